package tui

import (
	"context"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"github.com/warrenmq/warren/scenarios"
)

// How the publish form is used (the widget is in publish.go). It runs on
// the event loop.
//
// p opens the form with every field taken from one place: the step played
// last (before any, the first step; with no scenario, nothing). A field so
// filled is shown reversed, like selected text: the first character typed
// into it replaces it, Backspace empties it, and an arrow key starts
// editing it instead. Enter publishes and closes the form, so the next p
// starts afresh from the same place; Esc closes it without publishing.

// formSource is the message p fills the form with. Callers hold m.mu.
func (m *model) formSource() scenarios.Publish {
	if m.scenario == nil || len(m.scenario.Steps) == 0 {
		return scenarios.Publish{}
	}
	i := max(0, min(m.nextStep-1, len(m.scenario.Steps)-1))
	return m.scenario.Steps[i].Publish
}

// openForm opens the form filled afresh, the cursor in the routing key.
func (a *App) openForm() {
	a.m.mu.Lock()
	pub := a.m.formSource()
	a.m.mu.Unlock()
	f := a.ui.publish
	f.fill(pub)
	f.markFresh(a.th)
	f.setHint(a.th.text(publishHint))
	if !a.ui.formOpen {
		a.ui.lastFocus = a.app.GetFocus()
	}
	a.ui.formOpen = true
	a.app.SetFocus(f.key)
	a.relayout()
}

// closeForm closes the form and gives the focus back.
func (a *App) closeForm() {
	a.ui.formOpen = false
	back := a.ui.lastFocus
	if back == nil || a.ui.publish.has(back) {
		back = a.ui.routes
	}
	a.app.SetFocus(back)
	a.relayout()
}

// publishForm reads the form (pure), hands the publish to the worker and
// closes the form; bad input keeps it open with what to fix.
func (a *App) publishForm() {
	p, err := a.ui.publish.publishing()
	if err != nil {
		a.ui.publish.setHint(a.th.text("[red]" + tview.Escape(err.Error())))
		a.m.mu.Lock()
		a.m.logf(colBad, "not published: %v", err)
		a.m.mu.Unlock()
		return
	}
	a.submit("publish", func(ctx context.Context) { a.doPublish(ctx, p) })
	a.closeForm()
}

// flood publishes the form's message (the last step's when it is closed).
func (a *App) flood() {
	var p scenarios.Publish
	if a.ui.formOpen {
		var err error
		if p, err = a.ui.publish.publishing(); err != nil {
			a.ui.publish.setHint(a.th.text("[red]" + tview.Escape(err.Error())))
			return
		}
	} else {
		a.m.mu.Lock()
		p = a.m.formSource()
		a.m.mu.Unlock()
	}
	n := a.cfg.FloodCount
	a.submit("flood", func(ctx context.Context) { a.doFlood(ctx, p, n) })
}

// markFresh shows every text field as selected: typing replaces it.
func (f *publishForm) markFresh(th theme) {
	for _, in := range []*tview.InputField{f.exchange, f.key, f.headers, f.body} {
		f.fresh[in] = in.GetText() != ""
		f.styleField(in, th)
	}
}

func (f *publishForm) styleField(in *tview.InputField, th theme) {
	st := th.field()
	if f.fresh[in] {
		st = th.selected()
	}
	in.SetFieldStyle(st)
}

// freshKeys makes a filled field behave like selected text. It is the
// input capture of each text field.
func (f *publishForm) freshKeys(in *tview.InputField, th theme) func(*tcell.EventKey) *tcell.EventKey {
	return func(ev *tcell.EventKey) *tcell.EventKey {
		if !f.fresh[in] {
			return ev
		}
		f.fresh[in] = false
		f.styleField(in, th)
		switch ev.Key() {
		case tcell.KeyRune:
			in.SetText("")
		case tcell.KeyBackspace, tcell.KeyBackspace2, tcell.KeyDelete:
			in.SetText("")
			return nil
		}
		return ev
	}
}
