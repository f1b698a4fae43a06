package routing

import (
	"fmt"
	"sort"
	"strings"
)

// XMatch is a headers binding's "x-match" argument: how the binding's
// other arguments are compared with a message's headers.
type XMatch string

const (
	XMatchAll      XMatch = "all"        // every argument must match (the default)
	XMatchAny      XMatch = "any"        // one argument matching is enough
	XMatchAllWithX XMatch = "all-with-x" // like all, but x- arguments count too (3.10+)
	XMatchAnyWithX XMatch = "any-with-x" // like any, but x- arguments count too (3.10+)
)

// withX reports whether x- arguments take part in the comparison.
func (x XMatch) withX() bool { return x == XMatchAllWithX || x == XMatchAnyWithX }

// any reports whether one matching argument is enough.
func (x XMatch) any() bool { return x == XMatchAny || x == XMatchAnyWithX }

// ParseXMatch reads the "x-match" argument of a headers binding as
// RabbitMQ 4.x validates it (rabbit_exchange_type_headers:validate_binding):
// absent means all; otherwise it must be the string all, any, all-with-x or
// any-with-x. The error is the 406 PRECONDITION_FAILED RabbitMQ answers
// queue.bind / exchange.bind with.
func ParseXMatch(args Table) (XMatch, error) { return Model{}.ParseXMatch(args) }

// ParseXMatch is the version-aware ParseXMatch: before 3.10, only all and
// any exist.
func (m Model) ParseXMatch(args Table) (XMatch, error) {
	v, ok := args["x-match"]
	if !ok {
		return XMatchAll, nil
	}
	s, isStr := v.(string)
	if !isStr {
		return XMatchAll, &Error{Code: 406, Text: fmt.Sprintf(
			"PRECONDITION_FAILED - Invalid x-match field type %s (value %s); expected longstr",
			TypeName(v), erlangValue(v))}
	}
	allowed := "all, any, all-with-x, or any-with-x"
	switch XMatch(s) {
	case XMatchAll, XMatchAny:
		return XMatch(s), nil
	case XMatchAllWithX, XMatchAnyWithX:
		if m.atLeast(3, 10) {
			return XMatch(s), nil
		}
		allowed = "all or any"
	}
	return XMatchAll, &Error{Code: 406, Text: fmt.Sprintf(
		"PRECONDITION_FAILED - Invalid x-match field value <<%q>>; expected %s", s, allowed)}
}

// MatchHeaders compares a headers binding's arguments with a message's
// headers as RabbitMQ 4.x does, and says why in a short sentence
// ("x-match=all: header 'format' missing"). x is the binding's x-match
// (see ParseXMatch); args are the binding's arguments, x-match included or
// not.
func MatchHeaders(x XMatch, args, headers Table) (bool, string) {
	return Model{}.MatchHeaders(x, args, headers)
}

// headerCheck is the outcome of comparing one binding argument.
type headerCheck struct {
	key    string
	ok     bool
	reason string // "'format' = 'pdf'", "header 'format' missing"
}

// MatchHeaders is the version-aware MatchHeaders. Before 3.13 RabbitMQ
// compared values with Erlang's == (so the integer 1 equals the float 1.0);
// since 3.13 with =:= (they differ). Integer widths never matter: every
// AMQP integer type is an Erlang integer once decoded.
func (m Model) MatchHeaders(x XMatch, args, headers Table) (bool, string) {
	keys := make([]string, 0, len(args))
	for k := range args {
		// x-match itself is never compared; other x- arguments only with
		// the -with-x kinds.
		if k == "x-match" || (strings.HasPrefix(k, "x-") && !x.withX()) {
			continue
		}
		keys = append(keys, k)
	}
	// RabbitMQ 3.x walks both tables sorted by key; the order changes which
	// argument a reason names, never the outcome.
	sort.Strings(keys)
	prefix := "x-match=" + string(x) + ": "
	if len(keys) == 0 {
		if x.any() {
			return false, prefix + "no arguments to compare, so nothing matches"
		}
		return true, prefix + "no arguments to compare, so every message matches"
	}
	var checks []headerCheck
	for _, k := range keys {
		c := m.checkHeader(k, args[k], headers)
		if x.any() && c.ok {
			return true, prefix + c.reason
		}
		if !x.any() && !c.ok {
			return false, prefix + c.reason
		}
		checks = append(checks, c)
	}
	parts := make([]string, 0, len(checks))
	for _, c := range checks {
		parts = append(parts, c.reason)
	}
	const most = 3
	if len(parts) > most {
		parts = append(parts[:most], fmt.Sprintf("and %d more", len(checks)-most))
	}
	if x.any() {
		return false, prefix + "none matched: " + strings.Join(parts, ", ")
	}
	return true, prefix + strings.Join(parts, ", ")
}

// checkHeader compares one binding argument with the message's headers.
func (m Model) checkHeader(k string, want any, headers Table) headerCheck {
	got, present := headers[k]
	if want == nil {
		// A void argument tests presence (rabbit_exchange_type_headers:
		// "a 'no value' in a pattern field is supposed to mean simple presence").
		if present {
			return headerCheck{k, true, fmt.Sprintf("header '%s' present", k)}
		}
		return headerCheck{k, false, fmt.Sprintf("header '%s' missing", k)}
	}
	if !present {
		return headerCheck{k, false, fmt.Sprintf("header '%s' missing", k)}
	}
	loose := !m.atLeast(3, 13)
	a := toTerm(want, false, m)
	b := toTerm(got, true, m)
	if termsEqual(a, b, loose) {
		note := ""
		if loose && !termsEqual(a, b, false) {
			note = " (before 3.13, " + showValue(want) + " == " + showValue(got) + ")"
		}
		return headerCheck{k, true, fmt.Sprintf("'%s' = %s%s", k, showValue(got), note)}
	}
	note := ""
	if !loose && termsEqual(a, b, true) {
		note = " (equal before 3.13; since 3.13 integer and float differ)"
	}
	if !loose && a.kind == termInt && b.kind == termInt && isTimestamp(got) {
		note = " (since 3.13 a timestamp header routes in milliseconds)"
	}
	return headerCheck{k, false, fmt.Sprintf("header '%s' is %s, binding wants %s%s",
		k, showValue(got), showValue(want), note)}
}
