package tui

import (
	"fmt"
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"github.com/warrenmq/warren/scenarios"
)

// The quiz panel: the question of the step about to be played, the
// scenario's queues (and consumers) to toggle, numbered, and the three
// fates of a message no queue gets. It sits under the routing pane, which
// shows every binding while the learner thinks. Everything here runs on
// the event loop.

// quizItem is one thing the learner can say of a message.
type quizItem struct {
	kind  quizKind
	name  string // the queue's or consumer's name
	queue string // a consumer's queue
	key   rune   // the key that toggles it, 0 for none
	on    bool
}

type quizKind int

const (
	quizQueue quizKind = iota
	quizConsumer
	quizReturned
	quizDropped
	quizAlternate
)

// quizAsk is the open question: the step (0-based) and what is toggled.
type quizAsk struct {
	step     int
	question string
	hint     string
	showHint bool
	items    []quizItem
	cursor   int
	err      string // what Parse refused, until the next change
}

func newQuizAsk(sc *scenarios.Scenario, q *scenarios.Quiz, i int) *quizAsk {
	ask := &quizAsk{step: i, question: q.Question(i), hint: q.Hint(i)}
	n := 0
	num := func() rune {
		n++
		if n <= 9 {
			return rune('0' + n)
		}
		return 0
	}
	for _, x := range sc.Topology.Queues {
		ask.items = append(ask.items, quizItem{kind: quizQueue, name: x.Name, key: num()})
	}
	for _, c := range sc.Consumers {
		ask.items = append(ask.items, quizItem{kind: quizConsumer, name: c.Name, queue: c.Queue, key: num()})
	}
	ask.items = append(ask.items,
		quizItem{kind: quizReturned, name: "returned to the publisher", key: 'r'},
		quizItem{kind: quizDropped, name: "dropped", key: 'd', on: true},
		quizItem{kind: quizAlternate, name: "alternate exchange", key: 'a'},
	)
	return ask
}

// toggle switches item i, keeping the answer one that can be true: a
// message that a queue gets is not returned and not dropped, a returned
// one goes to no queue and no alternate exchange, and dropped is what is
// left when nothing else is said.
func (ask *quizAsk) toggle(i int) {
	if i < 0 || i >= len(ask.items) {
		return
	}
	ask.err = ""
	it := &ask.items[i]
	it.on = !it.on
	set := func(k quizKind, on bool) {
		for j := range ask.items {
			if ask.items[j].kind == k {
				ask.items[j].on = on
			}
		}
	}
	if it.on {
		switch it.kind {
		case quizQueue, quizConsumer:
			set(quizReturned, false)
		case quizReturned:
			set(quizQueue, false)
			set(quizConsumer, false)
			set(quizAlternate, false)
		case quizDropped:
			set(quizQueue, false)
			set(quizConsumer, false)
			set(quizReturned, false)
			set(quizAlternate, false)
			it.on = true
		}
	}
	said := false
	for _, x := range ask.items {
		said = said || (x.on && x.kind != quizDropped)
	}
	set(quizDropped, !said)
}

// toggleKey toggles the item whose key is r; false when none has it.
func (ask *quizAsk) toggleKey(r rune) bool {
	for i, it := range ask.items {
		if it.key == r {
			ask.cursor = i
			ask.toggle(i)
			return true
		}
	}
	return false
}

// line is the answer as `warren run --quiz` reads it, for Quiz.Parse.
func (ask *quizAsk) line() string {
	var words []string
	for _, it := range ask.items {
		if !it.on {
			continue
		}
		switch it.kind {
		case quizQueue, quizConsumer:
			words = append(words, it.name)
		case quizReturned:
			words = append(words, "returned")
		case quizAlternate:
			words = append(words, "alternate")
		}
	}
	return strings.Join(words, " ")
}

func (it quizItem) cell() string {
	box := "[ ]"
	if it.on {
		box = "[x]"
	}
	key := " "
	if it.key != 0 {
		key = string(it.key)
	}
	label := it.name
	if it.kind == quizConsumer {
		label += " (" + it.queue + ")"
	}
	return key + " " + box + " " + label
}

// cellWidthOf is an item's width as drawn: its text is escaped, so "[x]"
// counts (visibleWidth would take it for a colour tag).
func cellWidthOf(it quizItem) int { return width(it.cell()) }

// quizLines lays the panel out for width w: its title and lines.
// Callers hold m.mu.
func (a *App) quizLines(w int) (string, []string) {
	ask := a.ui.ask
	sc := a.m.scenario
	title := "Quiz"
	if sc != nil {
		title = fmt.Sprintf("Quiz: step %d of %d", ask.step+1, len(sc.Steps))
	}
	if s := a.m.quizScoreLocked(); s != "" {
		title += " · " + s
	}
	lines := wrapPlain("[::b]", ask.question, w, 2)
	cells := func(from, to int) []string {
		width := 0
		for _, it := range ask.items[from:to] {
			width = max(width, cellWidthOf(it))
		}
		colW := width + 2
		cols := max(1, (w-1)/colW)
		var out []string
		row := ""
		for k, i := 0, from; i < to; k, i = k+1, i+1 {
			it := ask.items[i]
			c := tview.Escape(pad(it.cell(), width))
			if it.on {
				c = "[::b]" + c + "[::-]"
			}
			if i == ask.cursor {
				c = "[::r]" + c + "[::-]"
			}
			if k > 0 && k%cols == 0 {
				out = append(out, row)
				row = ""
			}
			row += " " + c + " "
		}
		return append(out, row)
	}
	fates := len(ask.items) - 3
	lines = append(lines, cells(0, fates)...)
	// The three fates on one line when they fit, without padding.
	fl := ""
	for i := fates; i < len(ask.items); i++ {
		c := tview.Escape(ask.items[i].cell())
		if ask.items[i].on {
			c = "[::b]" + c + "[::-]"
		}
		if i == ask.cursor {
			c = "[::r]" + c + "[::-]"
		}
		if fl != "" {
			fl += " "
		}
		fl += " " + c
	}
	if visibleWidth(fl) <= w {
		lines = append(lines, fl)
	} else {
		lines = append(lines, cells(fates, len(ask.items))...)
	}
	if ask.showHint {
		h := ask.hint
		if h == "" {
			h = "this step has no hint"
		}
		lines = append(lines, wrapPlain("[yellow]", "hint: "+h, w, 2)...)
	}
	if ask.err != "" {
		lines = append(lines, wrapPlain("[red]", ask.err, w, 2)...)
	}
	last := min(9, fates)
	keys := fmt.Sprintf("1-%d r d a or space toggle · ↑↓ · ? hint · Enter commits · Esc later", last)
	if fates == 0 {
		keys = "r d a or space toggle · ↑↓ · ? hint · Enter commits · Esc later"
	}
	if width(keys) > w {
		keys = "space toggles · ? hint · Enter commits"
	}
	lines = append(lines, "[aqua]"+tview.Escape(keys)+"[-]")
	return title, lines
}

// quizBindings are the panel's keys; they come first in the table, and
// while the panel has the focus no other key works (Ctrl-C still quits).
func (a *App) quizBindings() []binding {
	k := func(key tcell.Key, label, desc string, h func()) binding {
		return binding{Scope: paneQuiz, Key: key, Label: label, Description: desc, Handler: h}
	}
	r := func(ch rune, label, desc string, h func()) binding {
		return binding{Scope: paneQuiz, Key: tcell.KeyRune, Rune: ch, Label: label, Description: desc, Handler: h}
	}
	with := func(f func(ask *quizAsk)) func() {
		return func() {
			if ask := a.ui.ask; ask != nil {
				f(ask)
				a.relayout()
			}
		}
	}
	out := []binding{
		k(tcell.KeyEnter, "Enter", "commit the prediction: the message is published, then the reveal", a.quizCommit),
		k(tcell.KeyEscape, "Esc", "not now: close the question without publishing (s asks again)", a.quizLater),
		r(' ', "space", "toggle what the cursor is on", with(func(ask *quizAsk) { ask.toggle(ask.cursor) })),
		k(tcell.KeyUp, "↑↓", "move the cursor", with(func(ask *quizAsk) { ask.cursor = max(0, ask.cursor-1) })),
		k(tcell.KeyDown, "↓", "", with(func(ask *quizAsk) { ask.cursor = min(len(ask.items)-1, ask.cursor+1) })),
		k(tcell.KeyLeft, "←", "", with(func(ask *quizAsk) { ask.cursor = max(0, ask.cursor-1) })),
		k(tcell.KeyRight, "→", "", with(func(ask *quizAsk) { ask.cursor = min(len(ask.items)-1, ask.cursor+1) })),
		r('r', "r", "it is returned to the publisher (mandatory, no queue)", with(func(ask *quizAsk) { ask.toggleKey('r') })),
		r('d', "d", "it is dropped: no queue gets it, nothing comes back", with(func(ask *quizAsk) { ask.toggleKey('d') })),
		r('a', "a", "the exchange's alternate exchange takes it (with the queues it reaches)", with(func(ask *quizAsk) { ask.toggleKey('a') })),
		r('?', "? or h", "the step's hint", with(func(ask *quizAsk) { ask.showHint = !ask.showHint })),
		r('h', "h", "", with(func(ask *quizAsk) { ask.showHint = !ask.showHint })),
	}
	for d := '1'; d <= '9'; d++ {
		desc := ""
		if d == '1' {
			desc = "toggle the queue or consumer with that number (it gets a copy)"
		}
		label := string(d)
		if d == '1' {
			label = "1-9"
		}
		out = append(out, r(d, label, desc, with(func(ask *quizAsk) { ask.toggleKey(d) })))
	}
	return out
}
