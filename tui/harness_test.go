package tui

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"go.uber.org/goleak"

	"github.com/warrenmq/warren/internal/testbrokers"
	"github.com/warrenmq/warren/sandbox"
	"github.com/warrenmq/warren/sandbox/routing"
	"github.com/warrenmq/warren/scenarios"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// A refresh abandoned because the loop ended on its own (a closed
		// terminal; TestRunReturnsWhenTheLoopEndsOnItsOwn) stays blocked in
		// tview until the process exits, holding nothing. That is the price
		// of Run returning at all; see App.queueRefresh.
		goleak.IgnoreAnyFunction("github.com/warrenmq/warren/tui.(*App).queueRefresh.func1"))
}

func suffix() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// topicScenario is the built-in topic scenario (scenarios/builtin/topic.yaml,
// the one README.md shows) with names unique to the test, so that runs
// never collide on a shared RabbitMQ.
func topicScenario(sfx string) scenarios.Scenario {
	x, q1, q2 := "animals-"+sfx, "Q1-"+sfx, "Q2-"+sfx
	return scenarios.Scenario{
		Name:  "topic",
		Title: "Topic exchange - routing by pattern",
		About: "'*' stands for exactly one word, '#' for zero or more.",
		File:  "builtin/topic.yaml",
		Topology: routing.Topology{
			Exchanges: []routing.Exchange{{Name: x, Type: routing.Topic, Durable: true}},
			Queues:    []routing.Queue{{Name: q1, Durable: true}, {Name: q2, Durable: true}},
			Bindings: []routing.Binding{
				{Source: x, Destination: q1, DestinationType: routing.ToQueue, RoutingKey: "*.orange.*"},
				{Source: x, Destination: q2, DestinationType: routing.ToQueue, RoutingKey: "*.*.rabbit"},
				{Source: x, Destination: q2, DestinationType: routing.ToQueue, RoutingKey: "lazy.#"},
			},
		},
		Steps: []scenarios.Step{
			{Say: "Both patterns match, so both queues get a copy.",
				Publish: scenarios.Publish{Exchange: x, RoutingKey: "quick.orange.rabbit", Body: "hi"},
				Expect:  []string{q1, q2}},
			{Say: "Nothing matches: dropped.",
				Publish: scenarios.Publish{Exchange: x, RoutingKey: "quick.brown.fox"},
				Expect:  []string{}},
		},
	}
}

func directScenario(sfx string) scenarios.Scenario {
	x, q := "logs-"+sfx, "errors-"+sfx
	return scenarios.Scenario{
		Name:  "direct",
		Title: "Direct exchange",
		Topology: routing.Topology{
			Exchanges: []routing.Exchange{{Name: x, Type: routing.Direct, Durable: true}},
			Queues:    []routing.Queue{{Name: q, Durable: true}},
			Bindings:  []routing.Binding{{Source: x, Destination: q, DestinationType: routing.ToQueue, RoutingKey: "error"}},
		},
		Steps: []scenarios.Step{{Publish: scenarios.Publish{Exchange: x, RoutingKey: "error"}, Expect: []string{q}}},
	}
}

// harness runs the real App on a simulation screen.
type harness struct {
	t      *testing.T
	screen tcell.SimulationScreen
	app    *App
	sess   *sandbox.Session
	draws  chan struct{}
	done   chan error

	mu     sync.Mutex
	last   string // the screen after the latest draw
	cancel context.CancelFunc

	// Keys: each one the test injects is waited for until the App's key
	// handler has run on it. tview's loop picks between key events and
	// queued updates (QueueUpdateDraw) in no set order, so without this a
	// key injected before an update (Esc, then focusQueue) could be
	// handled after it and undo it.
	keysSent int
	keysSeen int // under mu
	keyed    chan struct{}
}

type harnessOpt func(*Config)

func start(t *testing.T, b testbrokers.Broker, w, h int, scs []scenarios.Scenario, opts ...harnessOpt) *harness {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	sess, err := sandbox.Dial(ctx, b.URL, sandbox.Options{Label: b.Label, Reconnect: true, ConnectionName: "warren tui test", EventBuffer: 8192})
	cancel()
	if err != nil {
		t.Fatalf("dial %s: %v", b.Name, err)
	}
	screen := tcell.NewSimulationScreen("UTF-8")
	hs := &harness{t: t, screen: screen, sess: sess, draws: make(chan struct{}, 1), done: make(chan error, 1), keyed: make(chan struct{}, 1)}
	cfg := Config{
		Session:   sess,
		Scenarios: scs,
		Screen:    screen,
		AfterDraw: func(tcell.Screen) {
			// Read the screen here, on the event loop right after a draw:
			// from the test goroutine it would race with the next draw.
			// tview calls this hook before it shows what it drew, so show
			// it first: GetContents reads what has been shown.
			screen.Show()
			txt := screenText(screen)
			hs.mu.Lock()
			hs.last = txt
			hs.mu.Unlock()
			select {
			case hs.draws <- struct{}{}:
			default:
			}
		},
	}
	for _, o := range opts {
		o(&cfg)
	}
	app, err := New(cfg)
	if err != nil {
		sess.Close()
		t.Fatal(err)
	}
	// Count the keys the App has handled (its capture sees every key).
	app.app.SetInputCapture(func(ev *tcell.EventKey) *tcell.EventKey {
		out := app.onKey(ev)
		hs.mu.Lock()
		hs.keysSeen++
		hs.mu.Unlock()
		select {
		case hs.keyed <- struct{}{}:
		default:
		}
		return out
	})
	screen.SetSize(w, h)
	hs.app = app
	runCtx, runCancel := context.WithCancel(context.Background())
	hs.cancel = runCancel
	go func() { hs.done <- app.Run(runCtx) }()
	t.Cleanup(hs.stop)
	return hs
}

// stop quits like a user would (the Run context ends) and waits for Run.
func (h *harness) stop() {
	h.cancel()
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Errorf("Run: %v", err)
		}
	case <-time.After(30 * time.Second):
		h.t.Fatalf("Run did not return 30s after quitting")
	}
	h.done <- nil // a second stop is a no-op
}

// text is the screen after the latest draw.
func (h *harness) text() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.last
}

// screenText is the screen as a person would read it, one line per row.
// Call it on the event loop.
func screenText(screen tcell.SimulationScreen) string {
	cells, w, ht := screen.GetContents()
	var b strings.Builder
	for y := 0; y < ht; y++ {
		for x := 0; x < w; x++ {
			c := cells[y*w+x]
			if len(c.Runes) == 0 || c.Runes[0] == 0 {
				b.WriteByte(' ')
			} else {
				b.WriteString(string(c.Runes))
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// drawWaitLimit bounds a wait that is failing, nothing else: a wait that
// succeeds returns at the draw that shows it. Under -race on a loaded
// two-core machine, 256 keystrokes or a 20,000-message flood take longer
// than 15 s to reach the screen, and a tight bound made such tests fail
// for want of CPU, not for a defect.
const drawWaitLimit = 90 * time.Second

// waitFor waits, draw by draw, until cond holds on the screen.
func (h *harness) waitFor(what string, cond func(screen string) bool) string {
	h.t.Helper()
	timeout := time.NewTimer(drawWaitLimit)
	defer timeout.Stop()
	for {
		s := h.text()
		if cond(s) {
			return s
		}
		select {
		case <-h.draws:
		case <-timeout.C:
			h.t.Fatalf("timed out waiting for %s; the screen:\n%s", what, s)
		}
	}
}

func (h *harness) waitText(sub string) string {
	h.t.Helper()
	return h.waitFor("\""+sub+"\" on screen", func(s string) bool { return strings.Contains(s, sub) })
}

func (h *harness) key(k tcell.Key) { h.inject(k, 0) }

func (h *harness) typeText(s string) {
	for _, r := range s {
		h.inject(tcell.KeyRune, r)
	}
}

// inject types one key and waits until the App's key handler has run on
// it, so that what the test does next (an update on the loop, a look at
// the model) comes after the key, as it does for a person at the keyboard.
func (h *harness) inject(k tcell.Key, r rune) {
	h.t.Helper()
	h.keysSent++
	h.screen.InjectKey(k, r, tcell.ModNone)
	timeout := time.NewTimer(drawWaitLimit)
	defer timeout.Stop()
	for {
		h.mu.Lock()
		seen := h.keysSeen
		h.mu.Unlock()
		if seen >= h.keysSent {
			return
		}
		select {
		case <-h.keyed:
		case <-timeout.C:
			h.t.Fatalf("key %d (%s) was not handled within %s; the screen:\n%s", h.keysSent, tcell.NewEventKey(k, r, tcell.ModNone).Name(), drawWaitLimit, h.text())
		}
	}
}

// pane returns the inside of the bordered pane whose title starts with
// title, or "" when there is none on screen.
func pane(screen, title string) string {
	lines := strings.Split(screen, "\n")
	for y, line := range lines {
		rs := []rune(line)
		tr := []rune(title)
		for x := 1; x+len(tr) <= len(rs); x++ {
			if string(rs[x:x+len(tr)]) != title || !strings.ContainsRune(" ─═┌╔", rs[x-1]) {
				continue
			}
			left := x - 1
			for left >= 0 && rs[left] != '┌' && rs[left] != '╔' {
				left--
			}
			right := x
			for right < len(rs) && rs[right] != '┐' && rs[right] != '╗' {
				right++
			}
			if left < 0 || right >= len(rs) {
				continue
			}
			var b strings.Builder
			for yy := y + 1; yy < len(lines); yy++ {
				r := []rune(lines[yy])
				if right >= len(r) || r[left] == '└' || r[left] == '╚' {
					break
				}
				b.WriteString(string(r[left+1 : right]))
				b.WriteByte('\n')
			}
			return b.String()
		}
	}
	return ""
}

// routingPane is the routing pane's text: from its rule (the first line
// that starts with one) to the next pane.
func routingPane(screen string) string {
	var b strings.Builder
	in := false
	for _, line := range strings.Split(screen, "\n") {
		ruled := strings.HasPrefix(line, "──") || strings.HasPrefix(line, "━━")
		switch {
		case !in && ruled:
			in = true
		case in && (ruled || strings.HasPrefix(line, "┌") || strings.HasPrefix(line, "╔")):
			return b.String()
		}
		if in {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// bindingMark is the mark (✓ ✗ ·) the routing pane shows for the binding
// with label on queue q's rows, or "(none)".
func bindingMark(routing, q, label string) string {
	cur := ""
	for _, line := range strings.Split(routing, "\n") {
		rs := []rune(line)
		if len(rs) > 1 && rs[1] != ' ' {
			name, _, _ := strings.Cut(string(rs[1:]), " ")
			cur = name
		}
		if cur != q {
			continue
		}
		for _, m := range []string{"✓", "✗", "·"} {
			if strings.Contains(line, m+" "+label+" ") || strings.HasSuffix(line, m+" "+label) {
				return m
			}
		}
	}
	return "(none)"
}
