package classroom

import (
	"fmt"
	"sort"
	"strings"

	"github.com/warrenmq/warren/sandbox/routing"
)

// Describe tells a traced message in a few lines: who published what
// where, where it went, and the model's verdict on every binding it
// considered; the teacher's screen and the headless log both use it.
func Describe(tr Traffic) []string {
	ex := tr.Exchange
	if ex == "" {
		ex = "(default)"
	}
	head := fmt.Sprintf("%s published to %s, routing key %q", tr.User, ex, tr.RoutingKey)
	if len(tr.CC) > 0 {
		head += fmt.Sprintf(" (CC %s)", strings.Join(tr.CC, ", "))
	}
	if len(tr.Headers) > 0 {
		head += ", headers " + headerText(tr.Headers)
	}
	went := "no queue"
	if len(tr.Routed) > 0 {
		went = strings.Join(tr.Routed, ", ")
	}
	lines := []string{head, "  went to " + went + fate(tr)}
	if len(tr.Gone) > 0 {
		lines[1] = fmt.Sprintf("  went to %s, or to %s if it existed then (there is no such queue now)", went, strings.Join(tr.Gone, ", "))
	}
	for _, v := range tr.Route.Verdicts {
		lines = append(lines, "    "+v.Line(headerText))
	}
	for _, n := range tr.Route.Notes {
		lines = append(lines, "    "+n)
	}
	if tr.Route.Err != nil {
		lines = append(lines, "    the model says the publish fails: "+tr.Route.Err.Error())
	} else if !tr.Agrees {
		model := append([]string{}, tr.Route.Queues...)
		sort.Strings(model)
		lines = append(lines, fmt.Sprintf("    the model routes it to %s: the topology changed since, or the model is wrong", orNone(model)))
	}
	return lines
}

func fate(tr Traffic) string {
	if len(tr.Routed) > 0 {
		if tr.Agrees && tr.Route.Fate == routing.Alternate {
			return ", through the alternate exchange"
		}
		return ""
	}
	return " (dropped, or returned to the publisher if it was mandatory)"
}

func orNone(qs []string) string {
	if len(qs) == 0 {
		return "no queue"
	}
	return strings.Join(qs, ", ")
}

// headerText shows a table in the notation, in braces.
func headerText(h routing.Table) string { return "{" + routing.FormatTable(h) + "}" }
