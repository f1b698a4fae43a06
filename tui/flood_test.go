package tui

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/warrenmq/warren/internal/testbrokers"
)

// A flood must leave the UI responsive, memory bounded and the number of
// redraws tied to time, not to the number of messages.
func TestFloodStaysResponsiveAndBounded(t *testing.T) {
	const n = 20000
	for _, b := range testbrokers.Both(t) {
		t.Run(b.Name, func(t *testing.T) {
			hs, topic := chooseTopic(t, b, 120, 40, func(c *Config) { c.FloodCount = n })
			q1 := topic.Topology.Queues[0].Name
			var before runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			refreshesBefore := hs.app.Refreshes()
			start := time.Now()

			// The loop answers keys while the worker floods: the help opens
			// while the status line still says the flood is running.
			hs.typeText("f")
			hs.typeText("?")
			hs.waitFor("the help during the flood", func(s string) bool {
				return strings.Contains(s, "Keys and marks (? or Esc closes") && strings.Contains(s, "flood...")
			})
			hs.key(tcell.KeyEscape)
			hs.waitFor("the help closed", func(s string) bool { return !strings.Contains(s, "Keys and marks (? or Esc closes") })

			s := hs.waitText(fmt.Sprintf("flood: %d published", n))
			elapsed := time.Since(start)
			t.Logf("%s: %d messages in %s; the Session dropped %d events", b.Name, n, elapsed.Round(time.Millisecond), hs.sess.Dropped())
			if !strings.Contains(pane(s, q1), "quick.orange.rabbit") {
				t.Errorf("Q1 shows no flooded message:\n%s", pane(s, q1))
			}
			if hs.sess.Dropped() == 0 {
				// Every delivery reached the model: both panes count them all.
				got := fmt.Sprintf("[auto] got %d ", n)
				hs.waitFor("both queues counting every delivery", func(s string) bool { return strings.Count(s, got) == 2 })
			}

			// Bounded buffers: no queue keeps more rows than its ring.
			hs.app.m.mu.Lock()
			for name, q := range hs.app.m.queues {
				if q.rows.len() > maxRowsPerQueue {
					t.Errorf("queue %s keeps %d rows, more than %d", name, q.rows.len(), maxRowsPerQueue)
				}
			}
			if l := hs.app.m.log.len(); l > maxLogLines {
				t.Errorf("the log keeps %d lines, more than %d", l, maxLogLines)
			}
			hs.app.m.mu.Unlock()

			// Coalesced redraws: at most one per redrawEvery, plus slack for
			// redraws that keys and the end of the flood cause.
			refreshes := hs.app.Refreshes() - refreshesBefore
			limit := int64(elapsed/redrawEvery) + 10
			t.Logf("%d refreshes in %s (limit %d)", refreshes, elapsed.Round(time.Millisecond), limit)
			if refreshes > limit {
				t.Errorf("%d refreshes during a %s flood; coalescing allows at most %d", refreshes, elapsed, limit)
			}

			var after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&after)
			grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
			t.Logf("heap grew by %d KiB", grown/1024)
			if grown > 32<<20 {
				t.Errorf("the heap grew by %d MiB during the flood; the panes' buffers should bound it", grown>>20)
			}
		})
	}
}

// At 80x24 a publish is still explained, and the help fits, starting at
// its first key, and scrolls to its last line.
func TestSmallTerminal(t *testing.T) {
	t.Parallel()
	for _, b := range testbrokers.Both(t) {
		t.Run(b.Name, func(t *testing.T) {
			hs, topic := chooseTopic(t, b, 80, 24)
			q1, q2 := topic.Topology.Queues[0].Name, topic.Topology.Queues[1].Name
			hs.typeText("p")
			hs.typeText("quick.orange.rabbit")
			hs.key(tcell.KeyEnter)
			s := hs.waitFor("the message in Q1 and its verdicts at 80x24", func(s string) bool {
				return strings.Contains(pane(s, q1), "quick.orange.rabbit") && bindingMark(routingPane(s), q2, "lazy.#") == "✗"
			})
			for _, want := range []string{"Log", "connected", "? help"} {
				if !strings.Contains(s, want) {
					t.Errorf("at 80x24 the screen lacks %q:\n%s", want, s)
				}
			}
			hs.typeText("?")
			hs.waitFor("the help's first key at 80x24", func(s string) bool {
				return strings.Contains(s, "Keys and marks (? or Esc closes") && strings.Contains(s, "show or hide this help")
			})
			hs.key(tcell.KeyEnd)
			hs.waitFor("the help scrolled to its end", func(s string) bool {
				return strings.Contains(s, "there is more than fits") && !strings.Contains(s, "show or hide this help")
			})
		})
	}
}
