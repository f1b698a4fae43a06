package routing

import "fmt"

// Line is the verdict in one line, as Warren's narration, quiz reveal and
// teacher's view show it: `✓ animals -["*.orange.*"]-> Q1: '*' matched
// 'quick', ...`; a binding with arguments (a headers binding) shows them
// through table instead of its routing key.
func (v Verdict) Line(table func(Table) string) string {
	mark := "✗"
	if v.Matched {
		mark = "✓"
	}
	b := v.Binding
	src, key := b.Source, fmt.Sprintf("%q", b.RoutingKey)
	if src == "" {
		src = "(default)"
	}
	if len(b.Arguments) > 0 && table != nil {
		key = table(b.Arguments)
	}
	return fmt.Sprintf("%s %s -[%s]-> %s: %s", mark, src, key, b.Destination, v.Reason)
}
