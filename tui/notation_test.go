package tui

import (
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"

	"github.com/warrenmq/warren/internal/testbrokers"
	"github.com/warrenmq/warren/sandbox/routing"
	"github.com/warrenmq/warren/scenarios"
)

// typedScenario has one headers exchange with a binding on the int 5 and
// one on the string "5": the lesson that the headers exchange compares
// types, which the screen must show.
func typedScenario(sfx string) scenarios.Scenario {
	x, qi, qs := "typed-"+sfx, "int5-"+sfx, "str5-"+sfx
	return scenarios.Scenario{
		Name:  "typed",
		Title: "Typed headers",
		Topology: routing.Topology{
			Exchanges: []routing.Exchange{{Name: x, Type: routing.Headers, Durable: true}},
			Queues:    []routing.Queue{{Name: qi, Durable: true}, {Name: qs, Durable: true}},
			Bindings: []routing.Binding{
				{Source: x, Destination: qi, DestinationType: routing.ToQueue, Arguments: routing.Table{"x-match": "any", "n": int32(5)}},
				{Source: x, Destination: qs, DestinationType: routing.ToQueue, Arguments: routing.Table{"x-match": "all", "n": "5"}},
			},
		},
		Steps: []scenarios.Step{{Publish: scenarios.Publish{Exchange: x}, Expect: []string{}}},
	}
}

// A message published from the form with n:int=5, n2:long=5, s="5" shows
// the three values distinctly, with their types, in the queue pane and in
// the routing pane at 80x24; the bindings show theirs.
func TestTypedHeadersShowTheirTypes(t *testing.T) {
	t.Parallel()
	for _, b := range testbrokers.Both(t) {
		t.Run(b.Name, func(t *testing.T) {
			sfx := suffix()
			sc := typedScenario(sfx)
			qi := sc.Topology.Queues[0].Name
			hs := start(t, b, 80, 24, []scenarios.Scenario{sc})
			hs.waitText("Scenarios")
			hs.key(tcell.KeyEnter)
			hs.waitText("About typed")
			hs.key(tcell.KeyEscape)
			hs.waitText(qi + " r:0")

			hs.typeText("p")
			hs.key(tcell.KeyDown) // from the key to the headers
			for range 40 {
				hs.key(tcell.KeyBackspace2)
			}
			const typed = `n:int=5, n2:long=5, s="5"`
			hs.typeText(typed)
			hs.key(tcell.KeyEnter)
			// the delivery can reach the queue pane before the publish's
			// verdict reaches the routing pane: wait for both
			s := hs.waitFor("the typed message in "+qi+" and its verdict", func(s string) bool {
				return strings.Contains(pane(s, qi), typed) && strings.Contains(routingPane(s), "{"+typed+"}")
			})
			rp := routingPane(s)
			for _, want := range []string{"{" + typed + "}", "any: n:int=5", `all: n="5"`} {
				if !strings.Contains(rp, want) {
					t.Errorf("the routing pane lacks %q:\n%s", want, s)
				}
			}
			if m := bindingMark(rp, qi, "any: n:int=5"); m != "✓" {
				t.Errorf("binding on the int 5: mark %q, want ✓:\n%s", m, s)
			}
			if m := bindingMark(rp, sc.Topology.Queues[1].Name, `all: n="5"`); m != "✗" {
				t.Errorf("binding on the string \"5\": mark %q, want ✗:\n%s", m, s)
			}
		})
	}
}
