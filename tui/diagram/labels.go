package diagram

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/warrenmq/warren/sandbox/routing"
	"github.com/warrenmq/warren/tui/cells"
)

// labeler makes the text of boxes and edges at one level of compactness.
type labeler struct {
	compact     bool // short words, x-match value without "x-match="
	truncate    int  // >0: labels wider than this are cut and footnoted
	nameMax     int  // >0: names wider than this are cut with '…'
	noPublisher bool // the publisher is a one-letter box
	notes       []string
}

// printable replaces what a terminal would act on (control characters,
// escapes) with Go's escape for it, so that a name can never move the
// cursor or change colours.
func printable(s string) string {
	clean := true
	for _, r := range s {
		if !unicode.IsGraphic(r) || r == '\u00ad' {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsGraphic(r) && r != '\u00ad' {
			b.WriteRune(r)
			continue
		}
		q := strconv.QuoteRune(r)
		b.WriteString(q[1 : len(q)-1])
	}
	return b.String()
}

// width is how many terminal columns s takes.
func width(s string) int { return cells.Width(s) }

// cut shortens s to at most w columns, ending in '…' when it had to cut.
func cut(s string, w int) string { return cells.Fit(s, w) }

func (l *labeler) name(s string) string {
	s = printable(s)
	if s == "" {
		s = `""`
	}
	if l.nameMax > 0 {
		return cut(s, l.nameMax)
	}
	return s
}

func (l *labeler) word(full, short string) string {
	if l.compact {
		return short
	}
	return full
}

// key shows a routing key; the empty key as "".
func (l *labeler) key(k string) string {
	if k == "" {
		return `""`
	}
	return printable(k)
}

// binding is what a binding matches on: its routing key, or for a headers
// exchange its arguments. dim says the text is ignored by the exchange (a
// fanout binding's key).
func (l *labeler) binding(b routing.Binding, xt routing.ExchangeType) (label string, dim bool) {
	switch {
	case xt == routing.Headers || (xt == "" && len(b.Arguments) > 0 && b.RoutingKey == ""):
		// x-match first, then the arguments compared, in the notation
		// people type (copies:int=2, trace-id:void=).
		var xm any = "all"
		if v, ok := b.Arguments["x-match"]; ok {
			xm = v
		}
		rest := routing.Table{}
		for k, v := range b.Arguments {
			if k != "x-match" {
				rest[k] = v
			}
		}
		args := printable(routing.FormatTable(rest))
		head := printable(routing.FormatPair("x-match", xm))
		if l.compact {
			head = printable(routing.FormatValue(xm))
		}
		switch {
		case args == "":
			return head, false
		case l.compact:
			return head + ": " + args, false
		}
		return head + ", " + args, false
	case xt == routing.Fanout:
		// A fanout exchange ignores binding keys; say so, that is the lesson.
		if b.RoutingKey == "" {
			return "", false
		}
		if l.compact {
			return "(" + printable(b.RoutingKey) + ")", true
		}
		return printable(b.RoutingKey) + " (ignored)", true
	}
	return l.key(b.RoutingKey), false
}

func (l *labeler) counts(c QueueCounts) string {
	var s string
	if l.compact {
		s = fmt.Sprintf("%dr %du", c.Ready, c.Unacked)
	} else {
		s = fmt.Sprintf("%d ready %d unacked", c.Ready, c.Unacked)
	}
	if c.PerSecond > 0 {
		s += " " + rate(c.PerSecond)
	}
	return s
}

// rate is a message rate, short.
func rate(perSecond float64) string {
	switch {
	case perSecond >= 10000:
		return fmt.Sprintf("%.0fk/s", perSecond/1000)
	case perSecond >= 1000:
		return fmt.Sprintf("%.1fk/s", perSecond/1000)
	case perSecond >= 10:
		return fmt.Sprintf("%.0f/s", perSecond)
	}
	return fmt.Sprintf("%.1f/s", perSecond)
}

func (l *labeler) consumerMode(c Consumer) string {
	var parts []string
	switch {
	case c.ManualAck && l.compact:
		parts = append(parts, "manual")
	case c.ManualAck:
		parts = append(parts, "manual ack")
	case l.compact:
		parts = append(parts, "auto")
	default:
		parts = append(parts, "auto ack")
	}
	if c.Prefetch > 0 {
		if l.compact {
			parts = append(parts, fmt.Sprintf("pf%d", c.Prefetch))
		} else {
			parts = append(parts, fmt.Sprintf("prefetch %d", c.Prefetch))
		}
	}
	switch {
	case c.Crashed:
		parts = append(parts, "crashed")
	case c.Paused:
		parts = append(parts, "paused")
	}
	if l.compact {
		return strings.Join(parts, " ")
	}
	return strings.Join(parts, ", ")
}

var superscripts = []rune("⁰¹²³⁴⁵⁶⁷⁸⁹")

func superscript(n int) string {
	var b strings.Builder
	for _, d := range strconv.Itoa(n) {
		b.WriteRune(superscripts[d-'0'])
	}
	return b.String()
}

// footnoteLabels cuts every label wider than l.truncate, numbering it, and
// keeps the whole label as a note under the diagram.
func (l *labeler) footnoteLabels(edges []*edge) {
	for _, e := range edges {
		if width(e.label) <= l.truncate {
			continue
		}
		n := len(l.notes) + 1
		sup := superscript(n)
		l.notes = append(l.notes, sup+" "+e.label)
		e.footnote = n
		e.label = cut(e.label, l.truncate-width(sup)) + sup
	}
}
