package tui

import (
	"context"
	"fmt"
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
)

// binding is one key, as data (lazygit's way): the help screen is generated
// from the same table that dispatches keys, so the two cannot disagree.
type binding struct {
	Scope       string    // "" everywhere, else the pane it works in (pane* constants)
	Key         tcell.Key // tcell.KeyRune for a letter, see Rune
	Rune        rune
	Label       string // how help shows the key
	Description string
	// Typing says the key also works while the cursor is in a publish
	// field (where letters are text).
	Typing  bool
	Handler func()
}

func (a *App) bindings() []binding {
	r := func(scope string, ch rune, desc string, h func()) binding {
		return binding{Scope: scope, Key: tcell.KeyRune, Rune: ch, Label: string(ch), Description: desc, Handler: h}
	}
	k := func(scope string, key tcell.Key, label, desc string, typing bool, h func()) binding {
		return binding{Scope: scope, Key: key, Label: label, Description: desc, Typing: typing, Handler: h}
	}
	q := func(ch rune, desc string, h func(*queuePane)) binding {
		return r(paneQueue, ch, desc, func() {
			if _, p := a.focusedPane(); p != nil {
				h(p)
			}
		})
	}
	return []binding{
		r("", '?', "show or hide this help", func() { a.showHelp(!a.helpShown()) }),
		k("", tcell.KeyTab, "Tab", "next pane", true, func() { a.cycleFocus(1) }),
		k("", tcell.KeyBacktab, "Shift-Tab", "previous pane", true, func() { a.cycleFocus(-1) }),
		r("", 'p', "publish: cursor in an empty routing-key field", a.focusPublish),
		r("", 's', "play the scenario's next step", func() { a.submit("step", a.doStep) }),
		r("", 'S', "play all the remaining steps", func() { a.submit("all steps", a.doAllSteps) }),
		r("", 'r', "reset: delete what Warren declared", func() { a.submit("reset", a.doReset) }),
		r("", 'f', fmt.Sprintf("flood: publish the form's message %d times", a.cfg.FloodCount), a.flood),
		r("", 'u', "the user-update flow: POST, crash, refuse, stop", a.flowOpen),
		r("", 'q', "quit (deletes what Warren declared)", a.requestQuit),
		k("", tcell.KeyCtrlC, "Ctrl-C", "quit (deletes what Warren declared)", true, a.requestQuit),

		k(paneScenarios, tcell.KeyEnter, "Enter", "choose the scenario: declare it on the broker", false, a.chooseSelected),

		q('m', "consumer: switch auto-ack / manual ack", func(p *queuePane) { a.consumerJob("ack mode", p, a.doToggleAck) }),
		q('z', "consumer: pause / resume", func(p *queuePane) { a.consumerJob("pause", p, a.doPause) }),
		q('a', "ack the selected (or oldest) held message", func(p *queuePane) { a.settleJob(p, "ack") }),
		q('n', "nack it, requeue", func(p *queuePane) { a.settleJob(p, "nack-requeue") }),
		q('N', "nack it, drop (no requeue)", func(p *queuePane) { a.settleJob(p, "nack-drop") }),
		q('x', "reject it, drop", func(p *queuePane) { a.settleJob(p, "reject-drop") }),
		q('X', "reject it, requeue", func(p *queuePane) { a.settleJob(p, "reject-requeue") }),
		q('c', "crash the consumer (unacked come back redelivered)", func(p *queuePane) { a.consumerJob("crash", p, a.doCrash) }),
		q('+', "prefetch +1", func(p *queuePane) {
			a.consumerJob("prefetch", p, func(ctx context.Context, q string) { a.doPrefetch(q, 1) })
		}),
		q('-', "prefetch -1 (0 = unlimited)", func(p *queuePane) {
			a.consumerJob("prefetch", p, func(ctx context.Context, q string) { a.doPrefetch(q, -1) })
		}),
		q('w', "add a consumer on the queue (round-robin)", func(p *queuePane) { a.consumerJob("add consumer", p, a.doAddConsumer) }),
		q('W', "remove the last added consumer", func(p *queuePane) { a.consumerJob("remove consumer", p, a.doRemoveConsumer) }),

		k(panePublish, tcell.KeyEnter, "Enter", "publish the message", true, a.publishForm),
		k(panePublish, tcell.KeyUp, "Up", "previous field", true, func() { a.ui.publish.move(a.app, -1) }),
		k(panePublish, tcell.KeyDown, "Down", "next field", true, func() { a.ui.publish.move(a.app, 1) }),
		k(panePublish, tcell.KeyEscape, "Esc", "leave the form", true, func() { a.app.SetFocus(a.ui.scenarios) }),
	}
}

// onKey dispatches a key through the table. It runs on the event loop, so
// handlers only touch widgets and hand network work to the worker.
func (a *App) onKey(ev *tcell.EventKey) *tcell.EventKey {
	a.keyed.Store(true)
	if a.flowShown() {
		return a.flowKey(ev) // its own key table (userupdate_view.go)
	}
	if a.helpShown() {
		switch {
		case ev.Key() == tcell.KeyCtrlC:
			a.requestQuit()
		case ev.Key() == tcell.KeyEscape, ev.Key() == tcell.KeyRune && (ev.Rune() == '?' || ev.Rune() == 'q'):
			a.showHelp(false)
		default:
			return ev // scrolling the help
		}
		return nil
	}
	pane, _ := a.focusedPane()
	typing := pane == panePublish
	for i := range a.keys {
		b := &a.keys[i]
		if b.Scope != "" && b.Scope != pane {
			continue
		}
		if typing && !b.Typing {
			continue
		}
		if ev.Key() != b.Key || (b.Key == tcell.KeyRune && ev.Rune() != b.Rune) {
			continue
		}
		b.Handler()
		return nil
	}
	if ev.Key() == tcell.KeyCtrlC {
		return nil // never let tview stop the loop behind the worker's back
	}
	return ev
}

// helpText is the help page, generated from the key table.
func (a *App) helpText() string {
	titles := []struct{ scope, title string }{
		{"", "Everywhere"},
		{paneScenarios, "Scenario list"},
		{paneQueue, "Queue pane (Tab to it)"},
		{panePublish, "Publish form"},
	}
	var b strings.Builder
	for _, t := range titles {
		fmt.Fprintf(&b, "[yellow]%s[-]\n", t.title)
		for _, k := range a.keys {
			if k.Scope == t.scope {
				fmt.Fprintf(&b, "  [aqua]%-9s[-] %s\n", tview.Escape(k.Label), tview.Escape(k.Description))
			}
		}
	}
	b.WriteString("\n[gray]Queue rows: R redelivered, H held unacked, ✓ acked, ✗ nacked/rejected.\nTopology: ✓ binding matched, ✗ did not, ! model and broker disagree.")
	return b.String()
}

// focusPublish puts the cursor in an empty routing-key field.
func (a *App) focusPublish() {
	a.ui.publish.key.SetText("")
	a.ui.publish.setHint(publishHint)
	a.app.SetFocus(a.ui.publish.key)
}

func (a *App) chooseSelected() {
	i := a.ui.scenarios.GetCurrentItem()
	if i < 0 || i >= len(a.cfg.Scenarios) {
		return
	}
	sc := &a.cfg.Scenarios[i]
	a.submit("choose "+sc.Name, func(ctx context.Context) { a.doChoose(ctx, sc) })
}

// publishForm reads the form on the loop (pure) and publishes from the worker.
func (a *App) publishForm() {
	p, err := a.ui.publish.publishing()
	if err != nil {
		a.ui.publish.setHint("[red]" + tview.Escape(err.Error()))
		a.m.mu.Lock()
		a.m.logf("red", "not published: %v", err)
		a.m.mu.Unlock()
		return
	}
	a.ui.publish.setHint(publishHint)
	a.submit("publish", func(ctx context.Context) { a.doPublish(ctx, p, nil, 0) })
}

func (a *App) flood() {
	p, err := a.ui.publish.publishing()
	if err != nil {
		a.ui.publish.setHint("[red]" + tview.Escape(err.Error()))
		return
	}
	n := a.cfg.FloodCount
	a.submit("flood", func(ctx context.Context) { a.doFlood(ctx, p, n) })
}

// consumerJob runs a consumer operation on the focused queue from the worker.
func (a *App) consumerJob(name string, p *queuePane, run func(ctx context.Context, queue string)) {
	queue := p.name
	a.submit(name+" "+queue, func(ctx context.Context) { run(ctx, queue) })
}

// settleJob acks, nacks or rejects the selected message, or the oldest held
// one when the cursor is not on a held message.
func (a *App) settleJob(p *queuePane, how string) {
	queue := p.name
	row, ok := p.selected()
	a.submit(how+" "+queue, func(ctx context.Context) {
		if ok {
			a.doSettle(queue, row.Consumer, row.Tag, how)
		} else {
			a.doSettle(queue, "", 0, how)
		}
	})
}

// paneHint lists the keys of the focused pane for the status line, from
// the same table as the help. Runs on the event loop.
func (a *App) paneHint() string {
	pane, _ := a.focusedPane()
	if pane == "" {
		return ""
	}
	var keys []string
	for _, k := range a.keys {
		if k.Scope == pane {
			keys = append(keys, k.Label)
		}
	}
	if len(keys) == 0 {
		return ""
	}
	return pane + ": " + strings.Join(keys, " ")
}
