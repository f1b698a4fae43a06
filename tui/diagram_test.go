package tui

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/warrenmq/warren/internal/testbrokers"
	"github.com/warrenmq/warren/sandbox"
	"github.com/warrenmq/warren/sandbox/routing"
	"github.com/warrenmq/warren/scenarios"
	"github.com/warrenmq/warren/tui/diagram"
)

// mark is what the diagram page shows in a binding's mark cell.
type mark struct {
	r  rune
	fg tcell.Color
}

// diagramMarks reads, on the event loop, each binding's mark as drawn.
func (h *harness) diagramMarks(n int) map[int]mark {
	h.t.Helper()
	out := map[int]mark{}
	h.app.app.QueueUpdate(func() {
		v := h.app.ui.diagram
		if v == nil || v.layout == nil {
			return
		}
		for i := 0; i < n; i++ {
			x, y, ok := v.layout.MarkAt(diagram.Item{Kind: diagram.ItemBinding, Binding: i}.ID())
			if !ok {
				continue
			}
			sx, sy := v.vx+v.ox+x-v.sx, v.vy+v.oy+y-v.sy
			if sx < v.vx || sy < v.vy || sx >= v.vx+v.vw || sy >= v.vy+v.vh {
				continue // scrolled off
			}
			r, _, st, _ := h.screen.GetContent(sx, sy)
			fg, _, _ := st.Decompose()
			out[i] = mark{r, fg}
		}
	})
	return out
}

// builtin is a built-in scenario by name.
func builtin(t *testing.T, name string) scenarios.Scenario {
	for _, sc := range scenarios.Builtins() {
		if sc.Name == name {
			return sc
		}
	}
	t.Fatalf("no built-in scenario %q", name)
	return scenarios.Scenario{}
}

// After each step the diagram marks ✓ (green) exactly the bindings the
// routing model says matched and ✗ (red) exactly those it considered
// that did not, on both brokers, at 80x24.
func TestDiagramLightsWhatTheModelMatched(t *testing.T) {
	t.Parallel()
	for _, b := range testbrokers.Both(t) {
		for _, name := range []string{"topic", "headers", "unroutable"} {
			t.Run(b.Name+"/"+name, func(t *testing.T) {
				sc := builtin(t, name)
				hs := start(t, b, 80, 24, []scenarios.Scenario{sc}, func(c *Config) {
					c.Initial, c.NameSuffix = sc.Name, "-"+suffix()
				})
				hs.waitModel("the scenario declared", func(m *model) bool { return m.declared })
				hs.typeText("d")
				hs.waitText("Diagram: " + name)
				th := hs.app.th
				for i, st := range sc.Steps {
					hs.typeText("s")
					hs.waitModel(fmt.Sprintf("step %d on the diagram", i+1), func(m *model) bool {
						return m.last != nil && m.last.Step() == i+1 && m.diagLast == m.last
					})
					msg := routing.Message{Exchange: st.Publish.Exchange, RoutingKey: st.Publish.RoutingKey, Headers: st.Publish.Headers, Mandatory: st.Publish.Mandatory}
					hs.app.m.mu.Lock()
					res := hs.app.m.last.R.Model // the model the Player chose for this server
					hs.app.m.mu.Unlock()
					verdict := map[string]routing.Verdict{}
					for _, v := range res.Verdicts {
						verdict[routing.BindingKey(v.Binding)] = v
					}
					marks := hs.diagramMarks(len(sc.Topology.Bindings))
					for j, bd := range sc.Topology.Bindings {
						got, shown := marks[j]
						if !shown {
							continue // scrolled off the 80x24 page
						}
						v, considered := verdict[routing.BindingKey(bd)]
						switch {
						case considered && v.Matched && (got.r != '✓' || got.fg != th.color(colOK)):
							t.Errorf("step %d (%+v): binding %d %+v matched (%s) but shows %q in %v", i+1, msg, j, bd, v.Reason, got.r, got.fg)
						case considered && !v.Matched && (got.r != '✗' || got.fg != th.color(colBad)):
							t.Errorf("step %d (%+v): binding %d %+v did not match (%s) but shows %q in %v", i+1, msg, j, bd, v.Reason, got.r, got.fg)
						case !considered && (got.r == '✓' || got.r == '✗'):
							t.Errorf("step %d (%+v): binding %d %+v was not considered but shows %q", i+1, msg, j, bd, got.r)
						}
					}
					if len(marks) == 0 {
						t.Fatalf("step %d: no binding's mark on screen:\n%s", i+1, hs.text())
					}
				}
			})
		}
	}
}

// A message animates along its path (a token, ●), and v switches the
// animation off.
func TestDiagramAnimatesAndVSwitchesItOff(t *testing.T) {
	t.Parallel()
	b := testbrokers.Embedded(t)
	sc := builtin(t, "topic")
	hs := start(t, b, 100, 30, []scenarios.Scenario{sc}, func(c *Config) {
		c.Initial, c.NameSuffix = sc.Name, "-"+suffix()
		c.Animation = time.Hour // never ends by itself within the test
	})
	hs.waitModel("the scenario declared", func(m *model) bool { return m.declared })
	hs.typeText("d")
	hs.waitText("Diagram: topic")
	hs.typeText("s")
	hs.waitText("●")
	for range 4 { // 1 s, 2 s, 0.5 s, off
		hs.typeText("v")
	}
	hs.waitFor("the animation off and the token gone", func(s string) bool {
		return strings.Contains(s, "animation off") && !strings.Contains(s, "●")
	})
	if s := hs.text(); !strings.Contains(s, "✓ *.orange.*") || !strings.Contains(s, "✗ lazy.#") {
		t.Errorf("without the animation the path is still marked:\n%s", s)
	}
}

// A message published by another client of the broker is drawn too: the
// TUI learns of it from its consumers' deliveries.
func TestDiagramShowsAnyClientsPublish(t *testing.T) {
	t.Parallel()
	for _, b := range testbrokers.Both(t) {
		t.Run(b.Name, func(t *testing.T) {
			sc := builtin(t, "topic")
			sfx := "-" + suffix()
			hs := start(t, b, 100, 30, []scenarios.Scenario{sc}, func(c *Config) { c.Initial, c.NameSuffix = sc.Name, sfx })
			hs.waitModel("the scenario declared", func(m *model) bool { return m.declared && len(m.consumers) > 0 })
			hs.typeText("d")
			hs.waitText("Diagram: topic")

			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			other, err := sandbox.Dial(ctx, b.URL, sandbox.Options{Label: b.Label, ConnectionName: "another client"})
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			if _, err := other.Publish(ctx, sandbox.Publishing{Exchange: "animals" + sfx, RoutingKey: "lazy.brown.fox"}); err != nil {
				t.Fatal(err)
			}
			s := hs.waitText(`latest message "lazy.brown.fox"`)
			for _, want := range []string{"✗ *.orange.*", "✗ *.*.rabbit", "✓ lazy.#", "Q2 ✓"} {
				if !strings.Contains(s, want) {
					t.Errorf("the other client's message: the diagram lacks %q:\n%s", want, s)
				}
			}
		})
	}
}

// Tab selects boxes and edges and shows their details; a binding's
// include its verdict for the latest message.
func TestDiagramSelectionShowsDetails(t *testing.T) {
	t.Parallel()
	b := testbrokers.Embedded(t)
	sc := builtin(t, "topic")
	hs := start(t, b, 100, 30, []scenarios.Scenario{sc}, func(c *Config) { c.Initial, c.NameSuffix = sc.Name, "-"+suffix() })
	hs.waitModel("the scenario declared", func(m *model) bool { return m.declared })
	hs.typeText("d")
	hs.waitText("Diagram: topic")
	hs.typeText("s")
	hs.waitText(`latest message "quick.orange.rabbit"`)
	hs.key(tcell.KeyTab) // the publisher
	hs.key(tcell.KeyTab) // animals
	hs.waitText("exchange animals: topic")
	for range 4 { // Q1, Q2, the publish edge, then the first binding
		hs.key(tcell.KeyTab)
	}
	hs.waitText(`binding animals → Q1, routing key "*.orange.*"`)
	hs.key(tcell.KeyTab)
	hs.key(tcell.KeyTab)
	hs.waitText(`✗ did not match "quick.orange.rabbit": 'lazy' != 'quick' at word 1`)
	hs.key(tcell.KeyEscape)
	hs.waitText("Tab or click: details")
	hs.key(tcell.KeyEscape)
	hs.waitText("queue ready unacked") // the main page again
}

// Under a flood the diagram counts instead of animating: rates, no token,
// redraws tied to time and bounded memory.
func TestDiagramFlood(t *testing.T) {
	const n = 5000 // a hundred times floodRate, over in a second or two
	b := testbrokers.Embedded(t)
	hs, topic := chooseTopic(t, b, 100, 30, func(c *Config) {
		c.FloodCount = n
		c.Animation = time.Hour
	})
	_ = topic
	hs.typeText("d")
	hs.waitText("Diagram: topic")
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	refreshesBefore := hs.app.Refreshes()
	start := time.Now()
	hs.typeText("f")
	s := hs.waitText("flood:")
	if strings.Contains(s, "●") {
		t.Errorf("a token is drawn during the flood:\n%s", s)
	}
	hs.waitModel("the flood's end", func(m *model) bool { return strings.Contains(m.lastLog(), fmt.Sprintf("flood: %d published", n)) })
	elapsed := time.Since(start)
	refreshes := hs.app.Refreshes() - refreshesBefore
	limit := int64(elapsed/redrawEvery) + 10
	t.Logf("%d messages in %s: %d refreshes (limit %d)", n, elapsed.Round(time.Millisecond), refreshes, limit)
	if refreshes > limit {
		t.Errorf("%d refreshes during a %s flood; at most %d", refreshes, elapsed, limit)
	}
	var paints int
	hs.app.app.QueueUpdate(func() { paints = hs.app.ui.diagram.paints })
	if int64(paints) > refreshes+20 {
		t.Errorf("the diagram painted %d times for %d refreshes", paints, refreshes)
	}
	hs.app.m.mu.Lock()
	if c := len(hs.app.m.diag.cache); c > routeCacheSize {
		t.Errorf("%d routes cached, more than %d", c, routeCacheSize)
	}
	hs.app.m.mu.Unlock()
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 32<<20 {
		t.Errorf("the heap grew by %d MiB during the flood", grown>>20)
	}
}

// A message a TTL dead-letters travels its dead-letter edge: the broker's
// x-death header says which queue it came from.
func TestDiagramDeadLettering(t *testing.T) {
	t.Parallel()
	b := testbrokers.Embedded(t)
	sc := builtin(t, "retry-with-ttl")
	hs := start(t, b, 100, 30, []scenarios.Scenario{sc}, func(c *Config) { c.Initial, c.NameSuffix = sc.Name, "-"+suffix() })
	hs.waitModel("the scenario declared", func(m *model) bool { return m.declared })
	hs.typeText("d")
	hs.waitText("Diagram: retry-with-ttl")
	hs.typeText("s")
	hs.waitModel("step 1", func(m *model) bool { return m.last != nil && m.last.Step() == 1 })
	hs.typeText("s")
	hs.waitModel("step 2's message dead-lettered from retry_later", func(m *model) bool {
		r := m.diag.route
		return r != nil && len(r.DeadLettered) == 1 && r.DeadLettered[0] == "retry_later"
	})
	s := hs.waitText("dead-letter work")
	var fg tcell.Color
	hs.app.app.QueueUpdate(func() {
		for y, line := range strings.Split(hs.text(), "\n") {
			if x := strings.Index(line, "dead-letter work"); x >= 0 {
				_, _, st, _ := hs.screen.GetContent(len([]rune(line[:x])), y)
				fg, _, _ = st.Decompose()
			}
		}
	})
	if fg != hs.app.th.color(colOK) {
		t.Errorf("the dead-letter edge is drawn in %v, not lit:\n%s", fg, s)
	}
}
