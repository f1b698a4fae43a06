package tui

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/rivo/tview"

	"github.com/warrenmq/warren/scenarios"
)

// widgets are the panes on the screen. Only the event loop touches them.
type widgets struct {
	pages     *tview.Pages
	scenarios *tview.List
	topology  *tview.TextView
	queueRow  *queueGrid
	queues    []*queuePane
	publish   *publishForm
	log       *tview.TextView
	status    *tview.TextView
	help      *tview.TextView

	shownQueues []string // queue names the panes were built for
	chosen      string   // the scenario marked in the list
	lastFocus   tview.Primitive
}

// pane names, for the focus ring and the key table's scopes.
const (
	paneScenarios = "scenarios"
	paneTopology  = "topology"
	paneQueue     = "queue"
	panePublish   = "publish"
	paneLog       = "log"
)

func (a *App) build() *widgets {
	w := &widgets{}
	w.scenarios = tview.NewList().ShowSecondaryText(false).SetHighlightFullLine(true)
	w.scenarios.SetBorder(true).SetTitle(" Scenarios ")
	for i := range a.cfg.Scenarios {
		sc := &a.cfg.Scenarios[i]
		label := sc.Name
		if sc.File != "" && !strings.HasPrefix(sc.File, "builtin/") {
			label += " (file)"
		}
		w.scenarios.AddItem(label, sc.Title, 0, func() {
			a.submit("choose "+sc.Name, func(ctx context.Context) { a.doChoose(ctx, sc) })
		})
	}

	w.topology = tview.NewTextView().SetDynamicColors(true).SetWrap(true).SetWordWrap(true)
	w.topology.SetBorder(true).SetTitle(" Topology ")
	w.topology.SetText("[gray]choose a scenario (Enter), then s plays its steps, p publishes")

	w.queueRow = newQueueGrid()
	w.log = tview.NewTextView().SetDynamicColors(true).SetScrollable(true).SetWrap(true)
	w.log.SetBorder(true).SetTitle(" Log ")
	w.status = tview.NewTextView().SetDynamicColors(true).SetWrap(false)
	w.publish = a.newPublishForm()

	w.help = tview.NewTextView().SetDynamicColors(true).SetScrollable(true)
	w.help.SetBorder(true).SetTitle(" Keys (? or Esc closes, ↑↓ scroll) ")
	w.help.SetText(a.helpText())

	left := tview.NewFlex().SetDirection(tview.FlexRow).
		AddItem(w.scenarios, 0, 1, true).
		AddItem(w.publish.root, publishHeight, 0, false)
	right := tview.NewFlex().SetDirection(tview.FlexRow).
		AddItem(w.topology, 0, 5, false).
		AddItem(w.queueRow, 0, 3, false).
		AddItem(w.log, 0, 2, false)
	body := tview.NewFlex().
		AddItem(left, 0, 1, true).
		AddItem(right, 0, 2, false)
	main := tview.NewFlex().SetDirection(tview.FlexRow).
		AddItem(body, 0, 1, true).
		AddItem(w.status, 1, 0, false)

	w.pages = tview.NewPages().
		AddPage("main", main, true, true).
		AddPage("help", centered(w.help, 64, strings.Count(w.help.GetText(false), "\n")+3), true, false)
	a.app.SetRoot(w.pages, true).SetFocus(w.scenarios)
	return w
}

// centered puts p in the middle of the screen at most width x height.
func centered(p tview.Primitive, width, height int) tview.Primitive {
	return tview.NewFlex().
		AddItem(nil, 0, 1, false).
		AddItem(tview.NewFlex().SetDirection(tview.FlexRow).
			AddItem(nil, 0, 1, false).
			AddItem(p, height, 1, true).
			AddItem(nil, 0, 1, false), width, 1, true).
		AddItem(nil, 0, 1, false)
}

// focusRing lists the panes Tab moves through, in screen order.
func (a *App) focusRing() []tview.Primitive {
	w := a.ui
	ring := []tview.Primitive{w.scenarios, w.topology}
	for _, q := range w.queues {
		ring = append(ring, q.table)
	}
	return append(ring, w.publish.fields[0], w.log)
}

// focusedPane says which kind of pane has the focus, and for a queue pane which.
func (a *App) focusedPane() (string, *queuePane) {
	f := a.app.GetFocus()
	w := a.ui
	switch {
	case f == w.scenarios:
		return paneScenarios, nil
	case f == w.topology:
		return paneTopology, nil
	case f == w.log:
		return paneLog, nil
	case w.publish.has(f):
		return panePublish, nil
	}
	for _, q := range w.queues {
		if f == q.table {
			return paneQueue, q
		}
	}
	return "", nil
}

// cycleFocus moves the focus to the next (+1) or previous (-1) pane.
func (a *App) cycleFocus(dir int) {
	ring := a.focusRing()
	cur := a.app.GetFocus()
	i := slices.Index(ring, cur)
	if i < 0 && a.ui.publish.has(cur) {
		i = slices.Index(ring, tview.Primitive(a.ui.publish.fields[0]))
	}
	i = (i + dir + len(ring)) % len(ring)
	a.app.SetFocus(ring[i])
}

// refresh copies the model into the widgets. It runs on the event loop,
// called through QueueUpdateDraw by the ticker, so it is the one place
// where what the pump and the worker learned reaches the screen.
func (a *App) refresh() {
	a.drawPending.Store(false)
	a.keyed.Store(false)
	a.refreshes.Add(1)
	m := a.m
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dirty = false
	todo := m.todo
	m.todo = nil
	for _, f := range todo {
		f()
	}

	if !slices.Equal(m.order, a.ui.shownQueues) {
		a.rebuildQueuePanes(m.order)
	}
	for _, q := range a.ui.queues {
		q.update(m.queues[q.name], a.consumersOf(q.name))
	}
	a.ui.topology.SetText(a.topologyText())
	a.ui.log.SetText(logText(m))
	a.ui.log.ScrollToEnd()
	a.ui.status.SetText(a.statusText())
	a.markChosen(m.scenario)
	title := " Topology "
	if m.scenario != nil {
		title = fmt.Sprintf(" Topology: %s ", m.scenario.Name)
	}
	a.ui.topology.SetTitle(title)
}

// rebuildQueuePanes makes one pane per queue of the scenario. Callers hold m.mu.
func (a *App) rebuildQueuePanes(names []string) {
	focusWasQueue := false
	for _, q := range a.ui.queues {
		if a.app.GetFocus() == q.table {
			focusWasQueue = true
		}
	}
	a.ui.queues = nil
	for _, n := range names {
		a.ui.queues = append(a.ui.queues, newQueuePane(n))
	}
	a.ui.queueRow.setPanes(a.ui.queues)
	a.ui.shownQueues = slices.Clone(names)
	if focusWasQueue {
		a.app.SetFocus(a.ui.scenarios)
	}
}

func logText(m *model) string {
	var b strings.Builder
	for i := 0; i < m.log.len(); i++ {
		l := m.log.at(i)
		fmt.Fprintf(&b, "[gray]%s[-] [%s]%s[-]\n", l.At.Format("15:04:05"), l.Color, tview.Escape(l.Text))
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// showHelp toggles the help page generated from the key table.
func (a *App) showHelp(show bool) {
	if show {
		a.ui.lastFocus = a.app.GetFocus()
		// Fit the help to the screen as it is now: at 80x24 the key table
		// is taller than the terminal, and a fixed height would cut its
		// top off. What does not fit scrolls (Up/Down, PgUp/PgDn).
		_, _, _, screenH := a.ui.pages.GetRect()
		h := strings.Count(a.ui.help.GetText(false), "\n") + 3
		if screenH > 2 && h > screenH-2 {
			h = screenH - 2
		}
		a.ui.pages.AddPage("help", centered(a.ui.help, 64, h), true, true)
		a.ui.help.ScrollToBeginning()
		a.app.SetFocus(a.ui.help)
		return
	}
	a.ui.pages.HidePage("help")
	if a.ui.lastFocus != nil {
		a.app.SetFocus(a.ui.lastFocus)
	}
}

func (a *App) helpShown() bool {
	name, _ := a.ui.pages.GetFrontPage()
	return name == "help"
}

// markChosen marks the chosen scenario in the list. Callers hold m.mu.
func (a *App) markChosen(sc *scenarios.Scenario) {
	name := ""
	if sc != nil {
		name = sc.Name
	}
	if name == a.ui.chosen {
		return
	}
	a.ui.chosen = name
	for i := range a.cfg.Scenarios {
		main, sec := a.ui.scenarios.GetItemText(i)
		main = strings.TrimPrefix(main, "▸ ")
		if a.cfg.Scenarios[i].Name == name {
			main = "▸ " + main
		}
		a.ui.scenarios.SetItemText(i, main, sec)
	}
}
