package tui

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"github.com/warrenmq/warren/scenarios"
)

// The main page, top to bottom, all full width:
//
//	narration   the scenario and the step just played (its say), 1-4 lines
//	routing     every queue with its counts and every binding's verdict
//	            (routes.go); as tall as it needs to be
//	queues      a pane per queue with its latest deliveries (grid.go),
//	            given the room that is left, if any
//	publish     the form, only while it is open (p)
//	log         what happened, newest last
//	status      broker, connection, keys
//
// The scenario list, the scenario's about text and the help are pages
// over it. The routing row is a row of its own (routeRow) so that another
// view of the topology can sit beside the routing pane on a wide screen.

// widgets are the panes on the screen. Only the event loop touches them.
type widgets struct {
	pages     *tview.Pages
	main      *tview.Flex
	narration *tview.TextView
	routeRow  *tview.Flex
	routes    *section
	queueRow  *queueGrid
	queues    []*queuePane
	publish   *publishForm
	log       *section
	status    *tview.TextView
	diagram   *diagramView // the diagram page's, made when first opened (diagram_page.go)
	scenarios *tview.List
	about     *section
	help      *section
	quiz      *section // the quiz panel (quiz_view.go), shown while ask is open
	ask       *quizAsk
	quizBack  tview.Primitive // the focus before the quiz panel took it

	formOpen    bool
	shownQueues []string // queue names the panes were built for
	chosen      string   // the scenario marked in the list
	lastFocus   tview.Primitive
	screenW     int // the screen size the layout was made for
	screenH     int
}

// pane names, for the focus ring and the key table's scopes.
const (
	paneScenarios = "scenarios"
	paneTopology  = "routing"
	paneQueue     = "queue"
	panePublish   = "publish"
	paneLog       = "log"
	paneDiagram   = "diagram"
	paneQuiz      = "quiz"
)

// Pages over the main one.
const (
	pageMain      = "main"
	pageScenarios = "scenarios"
	pageAbout     = "about"
	pageHelp      = "help"
)

const (
	maxNarrationLines = 4
	minLogHeight      = 3 // its rule and two lines
)

func (a *App) build() *widgets {
	w := &widgets{}
	w.scenarios = tview.NewList().ShowSecondaryText(true).SetHighlightFullLine(true).
		SetSelectedStyle(a.th.selected()).SetSecondaryTextColor(tcell.ColorDefault)
	w.scenarios.SetBorder(true)
	for i := range a.cfg.Scenarios {
		sc := &a.cfg.Scenarios[i]
		label := sc.Name
		if sc.File != "" && !strings.HasPrefix(sc.File, "builtin/") {
			label += " (file)"
		}
		w.scenarios.AddItem(label, "  "+sc.Title, 0, func() { a.choose(sc) })
	}
	// The title counts the list, so that at 80x24, where about half of
	// the built-ins fit, a learner knows there are more below.
	scenarioTitle := func(i int, _, _ string, _ rune) {
		if w.scenarios.GetItemCount() == 0 {
			w.scenarios.SetTitle(" Scenarios: none ")
			return
		}
		w.scenarios.SetTitle(fmt.Sprintf(" Scenarios %d of %d: ↑↓ and Enter chooses, Esc closes ", i+1, w.scenarios.GetItemCount()))
	}
	w.scenarios.SetChangedFunc(scenarioTitle)
	scenarioTitle(0, "", "", 0)

	w.narration = tview.NewTextView().SetDynamicColors(true).SetWrap(false)
	w.routes = newSection(&a.th, "Routing", false)
	w.routeRow = tview.NewFlex().AddItem(w.routes, 0, 1, false)
	w.queueRow = newQueueGrid(&a.th)
	w.log = newSection(&a.th, "Log", true)
	w.status = tview.NewTextView().SetDynamicColors(true).SetWrap(false)
	w.publish = a.newPublishForm()
	w.about = newSection(&a.th, "About", false)
	w.about.boxed = true
	w.help = newSection(&a.th, "Keys and marks (? or Esc closes, ↑↓ scroll)", false)
	w.help.boxed = true
	w.quiz = newSection(&a.th, "Quiz", false)

	w.main = tview.NewFlex().SetDirection(tview.FlexRow).
		AddItem(w.narration, 1, 0, false).
		AddItem(w.routeRow, 3, 0, false).
		AddItem(w.quiz, 0, 0, false).
		AddItem(w.queueRow, 0, 1, false).
		AddItem(w.publish.root, 0, 0, false).
		AddItem(w.log, minLogHeight, 0, false).
		AddItem(w.status, 1, 0, false)

	w.pages = tview.NewPages().AddPage(pageMain, w.main, true, true)
	a.app.SetRoot(w.pages, true).SetFocus(w.routes)
	// Before each draw, with tview's lock held (so nothing here may call
	// the Application): a new screen size means a new layout.
	a.app.SetBeforeDrawFunc(func(screen tcell.Screen) bool {
		sw, sh := screen.Size()
		if sw != w.screenW || sh != w.screenH {
			a.m.mu.Lock()
			a.layoutLocked(sw, sh)
			a.m.mu.Unlock()
		}
		return false
	})
	return w
}

// layoutLocked fills the main page's panes for a screen size and gives
// each the height it needs, in order of what matters: the narration, then
// every queue and binding, then the log's last lines, then the queue
// panes with what is left. Callers hold m.mu; it runs on the event loop.
func (a *App) layoutLocked(sw, sh int) {
	w := a.ui
	w.screenW, w.screenH = sw, sh
	narr := a.narrationLines(sw)
	w.narration.SetText(a.th.text(strings.Join(narr, "\n")))
	title, routes := a.routeLines(sw)
	w.routes.title = title
	w.routes.setLines(routes)
	w.log.setThemed(a.logLines(sw))

	avail := sh - 1 - len(narr)
	form := 0
	if w.formOpen {
		form = publishHeight
	}
	avail -= form
	quizH := 0
	if w.ask != nil {
		qt, ql := a.quizLines(sw)
		w.quiz.title = qt
		w.quiz.setLines(ql)
		quizH = 1 + len(ql)
	}
	avail -= quizH
	queueFocused := false
	for _, q := range w.queues {
		queueFocused = queueFocused || q.table.HasFocus()
	}
	reserve := minLogHeight
	if queueFocused {
		reserve += minPaneHeight // the pane Tab moved to is shown, even if the routing must scroll
	}
	if 1+len(routes) > avail-reserve {
		reserve = max(2, reserve-1) // the log's rule and last line, so that the routing fits
	}
	routeH := min(1+len(routes), max(2, avail-reserve))
	rest := avail - routeH
	queueH := 0
	if len(w.queues) > 0 && (rest >= minLogHeight+minPaneHeight || queueFocused) {
		logH := min(max(minLogHeight, rest/3), 12)
		queueH = max(0, rest-logH)
		if queueFocused {
			queueH = max(queueH, min(rest-minLogHeight, minPaneHeight))
		}
	}
	logH := max(0, rest-queueH)
	w.main.ResizeItem(w.narration, len(narr), 0)
	w.main.ResizeItem(w.routeRow, routeH, 0)
	w.main.ResizeItem(w.quiz, quizH, 0)
	w.main.ResizeItem(w.queueRow, queueH, 0)
	w.main.ResizeItem(w.publish.root, form, 0)
	w.main.ResizeItem(w.log, logH, 0)
}

// narrationLines is the top of the screen: the scenario and what the step
// just played says (the whole of it, up to four lines), or what to do.
func (a *App) narrationLines(sw int) []string {
	m := a.m
	if m.scenario == nil {
		return wrap("[::b]Warren[::-] ", 7, []span{{"", "a sandbox for RabbitMQ routing. Choose a scenario (l lists them), then s plays its steps one by one and p publishes a message of your own. ? explains every key and mark."}}, sw, 0)
	}
	sc := m.scenario
	head := "[::b]" + tview.Escape(sc.Name) + "[::-] "
	text := m.narration
	if text == "" {
		text = fmt.Sprintf("%s. s plays step 1 of %d, S all of them, p publishes your own message, i tells what this scenario is about.", sc.Title, len(sc.Steps))
		if len(sc.Steps) == 0 {
			text = sc.Title + ". p publishes a message; i tells what this scenario is about."
		}
	}
	lines := wrap(head, width(sc.Name)+1, []span{{"", text}}, sw, 0)
	if len(lines) > maxNarrationLines {
		lines = lines[:maxNarrationLines]
		l := lines[maxNarrationLines-1]
		// Where the rest is: the about page for the about text, the log
		// for a step's narration (it is logged whole).
		more := " … (i)"
		if text != aboutLead(sc) {
			more = " … (log)"
		}
		lines[maxNarrationLines-1] = strings.TrimRight(l, " ") + more
	}
	return lines
}

// focusRing lists the panes Tab moves through, in screen order.
func (a *App) focusRing() []tview.Primitive {
	w := a.ui
	ring := []tview.Primitive{w.routes}
	for _, q := range w.queues {
		ring = append(ring, q.table)
	}
	if w.formOpen {
		ring = append(ring, w.publish.fields[0])
	}
	return append(ring, w.log)
}

// focusedPane says which kind of pane has the focus, and for a queue pane which.
func (a *App) focusedPane() (string, *queuePane) {
	f := a.app.GetFocus()
	w := a.ui
	switch {
	case f == w.scenarios:
		return paneScenarios, nil
	case f == w.routes:
		return paneTopology, nil
	case w.diagram != nil && f == w.diagram:
		return paneDiagram, nil
	case f == w.log:
		return paneLog, nil
	case f == w.quiz:
		return paneQuiz, nil
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
	a.relayout()
}

// relayout lays the page out again at once (the focus moved, a page
// opened): on the event loop, outside refresh.
func (a *App) relayout() {
	a.m.mu.Lock()
	defer a.m.mu.Unlock()
	a.layoutLocked(a.ui.screenW, a.ui.screenH)
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
	todo := m.todo
	m.todo = nil
	m.mu.Unlock()
	// The worker's widget changes, outside the lock: they may take it.
	for _, f := range todo {
		f()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dirty = false

	if !slices.Equal(m.order, a.ui.shownQueues) {
		a.rebuildQueuePanes(m.order)
	}
	for _, q := range a.ui.queues {
		q.update(m.queues[q.name], a.consumersOf(q.name))
	}
	a.ui.status.SetText(a.th.text(a.statusText()))
	a.markChosen(m.scenario)
	a.diagramRefresh()
	a.layoutLocked(a.ui.screenW, a.ui.screenH)
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
		a.ui.queues = append(a.ui.queues, newQueuePane(&a.th, n))
	}
	a.ui.queueRow.setPanes(a.ui.queues)
	a.ui.shownQueues = slices.Clone(names)
	if focusWasQueue {
		a.app.SetFocus(a.ui.routes)
	}
}

// logLines is the log laid out for a width and themed: each entry wrapped
// under itself, a time stamp in front when there is room.
func (a *App) logLines(sw int) []string {
	m := a.m
	var out []string
	stamp := sw >= 100
	for i := 0; i < m.log.len(); i++ {
		l := m.log.at(i)
		if l.wrapW != sw || l.wrapped == nil {
			prefix, pw := "", 0
			if stamp {
				prefix, pw = l.At.Format("15:04:05")+" ", 9
			}
			l.wrapped = wrap(prefix, pw, []span{{"[" + l.Color + "]", l.Text}}, sw, pw+2)
			for i, t := range l.wrapped {
				l.wrapped[i] = a.th.text(t)
			}
			l.wrapW = sw
		}
		out = append(out, l.wrapped...)
	}
	return out
}

// logText is the whole log as text (tests read it).
func logText(m *model) string {
	var b strings.Builder
	for i := 0; i < m.log.len(); i++ {
		l := m.log.at(i)
		fmt.Fprintf(&b, "%s %s\n", l.At.Format("15:04:05"), l.Text)
	}
	return strings.TrimSuffix(b.String(), "\n")
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
