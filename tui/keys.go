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
	return append(append(a.quizBindings(), a.diagramBindings()...), []binding{
		r("", '?', "show or hide this help", a.showHelp),
		r("", 'd', "the flow diagram: the topology drawn, each message animated along its path", a.diagramOpen),
		r("", 'l', "the list of scenarios: choose one with Enter", a.showScenarios),
		r("", 'i', "what the chosen scenario is about (all of it)", func() { a.showAbout(nil) }),
		r("", 's', "play the scenario's next step; you ack by hand. In quiz mode: ask first where its message goes", a.stepKey),
		r("", 'S', "play all the remaining steps, as warren run does (not in quiz mode)", a.allStepsKey),
		r("", 'b', "back one step: delete and declare the scenario again, replay the steps before it quietly as they were played (your own acks, pauses and messages are not replayed); in quiz mode the step is not scored any more", func() { a.submit("back a step", func(ctx context.Context) { a.doBack(ctx, false) }) }),
		r("", '.', "replay the step just played: back one step (as b), then play it again (in quiz mode: ask it again)", func() { a.submit("replay the step", func(ctx context.Context) { a.doBack(ctx, true) }) }),
		r("", 'Q', "quiz mode on or off: predict where each step's message goes, then the reveal, with a running score", a.quizToggle),
		r("", 'p', "publish: open the form with the last step's message", a.openForm),
		k("", tcell.KeyTab, "Tab", "next pane", true, func() { a.cycleFocus(1) }),
		k("", tcell.KeyBacktab, "Shift-Tab", "previous pane", true, func() { a.cycleFocus(-1) }),
		r("", 'r', "reset: delete what Warren declared", func() { a.submit("reset", a.doReset) }),
		r("", 'R', "restart the embedded broker: see what survives (durable queues, persistent messages)", func() { a.submit("restart", a.doRestart) }),
		r("", 'f', fmt.Sprintf("flood: publish the form's message %d times", a.cfg.FloodCount), a.flood),
		r("", 'u', "the user-update flow: POST, crash, refuse, stop", a.flowOpen),
		r("", 'q', "quit (deletes what Warren declared)", a.requestQuit),
		k("", tcell.KeyCtrlC, "Ctrl-C", "quit (deletes what Warren declared)", true, a.requestQuit),

		q('m', "consumer: switch auto-ack / manual ack", func(p *queuePane) { a.consumerJob("ack mode", p, a.doToggleAck) }),
		q('z', "consumer: pause / resume", func(p *queuePane) { a.consumerJob("pause", p, a.doPause) }),
		q('a', "ack the held message under the cursor", func(p *queuePane) { a.settleJob(p, "ack") }),
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

		k(panePublish, tcell.KeyEnter, "Enter", "publish the message and close the form", true, a.publishForm),
		k(panePublish, tcell.KeyUp, "Up", "previous field", true, func() { a.ui.publish.move(a.app, -1) }),
		k(panePublish, tcell.KeyDown, "Down", "next field", true, func() { a.ui.publish.move(a.app, 1) }),
		k(panePublish, tcell.KeyEscape, "Esc", "close the form without publishing", true, a.closeForm),
	}...)
}

// onKey dispatches a key through the table. It runs on the event loop, so
// handlers only touch widgets and hand network work to the worker.
func (a *App) onKey(ev *tcell.EventKey) *tcell.EventKey {
	a.keyed.Store(true)
	if a.flowShown() {
		return a.flowKey(ev) // its own key table (userupdate_view.go)
	}
	if ev.Key() == tcell.KeyCtrlC {
		a.requestQuit()
		return nil
	}
	switch a.frontPage() {
	case pageHelp:
		if ev.Key() == tcell.KeyEscape || ev.Key() == tcell.KeyRune && (ev.Rune() == '?' || ev.Rune() == 'q') {
			a.closePage()
			return nil
		}
		return ev // scrolling the help
	case pageScenarios:
		switch {
		case ev.Key() == tcell.KeyEscape, ev.Key() == tcell.KeyRune && ev.Rune() == 'l':
			a.closePage()
			return nil
		case ev.Key() != tcell.KeyRune:
			return ev // the list's own keys: up, down, Enter...
		}
		a.closePage() // a letter closes it and does what it does
	case pageAbout:
		switch ev.Key() {
		case tcell.KeyEscape, tcell.KeyEnter:
			a.closePage()
			return nil
		case tcell.KeyUp, tcell.KeyDown, tcell.KeyPgUp, tcell.KeyPgDn, tcell.KeyHome, tcell.KeyEnd:
			return ev // scrolling it
		}
		a.closePage() // any other key closes it and does what it does
		if ev.Key() == tcell.KeyRune && ev.Rune() == 'i' {
			return nil
		}
	}
	pane, _ := a.focusedPane()
	typing := pane == panePublish
	for i := range a.keys {
		b := &a.keys[i]
		if b.Scope != "" && b.Scope != pane || pane == paneQuiz && b.Scope != paneQuiz {
			continue // the quiz panel is modal: only its keys
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
	return ev
}

// helpLines is the help page, generated from the key table, with a
// legend for every mark and abbreviation on the screen.
func (a *App) helpLines(w int) []string {
	titles := []struct{ scope, title string }{
		{"", "Everywhere"},
		{paneQueue, "On a queue pane (Tab to it)"},
		{panePublish, "In the publish form"},
		{paneQuiz, "In a quiz question (Q turns quiz mode on, then s asks)"},
		{paneDiagram, "On the diagram page (d)"},
	}
	var out []string
	for _, t := range titles {
		out = append(out, "[::b]"+t.title+"[::-]")
		for _, k := range a.keys {
			if k.Scope == t.scope && k.Description != "" {
				out = append(out, wrap("  [aqua]"+tview.Escape(pad(k.Label, 9))+"[-] ", 12, []span{{"", k.Description}}, w, 12)...)
			}
		}
		out = append(out, "")
	}
	out = append(out, "[::b]What the marks mean[::-]")
	for _, l := range legend {
		out = append(out, wrap("  "+tview.Escape(pad(l[0], 9))+" ", 12, []span{{"", l[1]}}, w, 12)...)
	}
	return out
}

// legend explains every mark and abbreviation the screen uses.
var legend = [][2]string{
	{"✓", "routing pane: the binding matched the message (the queue gets a copy); queue pane: the delivery was acked"},
	{"✗", "routing pane: the binding did not match, and why; queue pane: nacked or rejected, and dropped (or dead-lettered)"},
	{"·", "routing pane: the binding was not reached (its exchange never saw the message); queue pane: delivered to an auto-ack consumer, which the broker counts as acked at once"},
	{"!", "the routing model and the broker disagree about this queue: the broker is right, the model has a bug"},
	{"…", "waiting: not delivered yet, ready in the queue (its consumers are paused or hold their prefetch); or text cut short"},
	{"ready", "messages waiting in the queue for a consumer (the broker's count)"},
	{"unacked", "messages Warren's consumers hold, delivered but not acked yet"},
	{"H", "held: delivered to a manual-ack consumer, not acked yet (a, n, x settle it)"},
	{"R", "redelivered: the broker gave this delivery out before (after a crash, a requeue or a lost connection)"},
	{"↺", "requeued: nacked or rejected with requeue, or its consumer crashed or stopped holding it; it goes back to the queue"},
	{"r: u:", "in a queue pane's title: ready and unacked, as above"},
	{"pf3", "prefetch 3 (basic.qos): at most 3 unacked messages at a time per consumer"},
	{"auto", "the consumer auto-acks (no-ack): the broker forgets a message once sent"},
	{"manual", "the consumer acks by hand: you do, with a on its queue pane"},
	{"got 12", "how many deliveries Warren's consumers got from the queue so far"},
	{"by", "which consumer got the delivery (round-robin between several)"},
	{"n:int=5", "a header value with its AMQP type; a plain string has none (format=pdf), a string that looks like another type is quoted (n=\"5\"); a value without its key, in a reason or an array, is :int=5; the publish form takes the same"},
	{"k:void=", "a header with no value; in a headers binding's arguments it means the header must be present, with any value"},
	{"[x]", "quiz panel: your prediction says it (the queue or consumer gets the message, or that fate); bold, and reversed under the cursor"},
	{"●", "diagram: a message on its way along its path (v: speed, or off)"},
	{"╌", "diagram: an alternate-exchange or dead-letter edge"},
	{"3r 1u", "diagram: a queue's ready and unacked counts; 12/s a rate under a flood"},
	{"¹", "diagram: a label cut short to fit; Tab to its edge for all of it"},
	{"+3 more ↓", "there is more than fits: Tab to the pane and scroll with ↑↓ (PgUp PgDn Home End)"},
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
		if k.Scope == pane && k.Description != "" {
			keys = append(keys, k.Label)
		}
	}
	if len(keys) == 0 {
		return ""
	}
	return pane + ": " + strings.Join(keys, " ")
}
