package tui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
	"github.com/rivo/uniseg"

	"github.com/warrenmq/warren/sandbox"
	"github.com/warrenmq/warren/sandbox/routing"
	"github.com/warrenmq/warren/tui/cells"
	"github.com/warrenmq/warren/tui/diagram"
)

// The diagram page: the chosen scenario's topology drawn as a flow
// diagram (tui/diagram, the same drawing `warren diagram` prints), the
// latest message's path marked and animated, rates under a flood, and
// the details of what is selected. d opens and closes it; every key of
// the main page that is not the diagram's own works here too.
//
// The page's widget is drawn and driven on the event loop only. What it
// shows comes from the model in refresh (diagramRefresh, under m.mu); the
// layout is made in Draw, when the size or the topology's shape changed,
// and painted each draw (cheap), so an animation frame costs a paint.

const diagramPageName = "diagram"

// animationSpeeds are what v cycles through; 0 is off.
var animationSpeeds = []time.Duration{time.Second, 2 * time.Second, 500 * time.Millisecond, 0}

// diagramView is the widget.
type diagramView struct {
	*tview.Box
	a *App

	in      diagram.Input // from the model, at the latest refresh
	header  string
	details []string // lines about the selection, from the model
	started time.Time
	rates   map[string]float64
	speed   time.Duration

	layout    *diagram.Layout
	layoutKey string
	sel       string // selected item's ID
	sx, sy    int    // scroll offset of the drawing
	vx, vy    int    // where the drawing's viewport is on screen
	vw, vh    int
	ox, oy    int // where the drawing starts in the viewport (centred)
	paints    int // frames painted, for tests
}

func (a *App) newDiagramView() *diagramView {
	v := &diagramView{Box: tview.NewBox(), a: a, speed: a.cfg.Animation}
	return v
}

// diagramOpen shows the page (d); from the page, d or Esc goes back.
func (a *App) diagramOpen() {
	if a.diagramShown() {
		a.diagramClose()
		return
	}
	if a.ui.diagram == nil {
		a.ui.diagram = a.newDiagramView()
		root := tview.NewFlex().SetDirection(tview.FlexRow).
			AddItem(a.ui.diagram, 0, 1, true).
			AddItem(a.ui.status, 1, 0, false)
		a.ui.pages.AddPage(diagramPageName, root, true, false)
	}
	a.ui.lastFocus = a.app.GetFocus()
	a.ui.pages.SwitchToPage(diagramPageName)
	a.app.SetFocus(a.ui.diagram)
	a.m.mu.Lock()
	a.m.dirty = true
	a.m.mu.Unlock()
}

func (a *App) diagramClose() {
	a.ui.pages.SwitchToPage(pageMain)
	if a.ui.lastFocus != nil && a.ui.lastFocus != tview.Primitive(a.ui.diagram) {
		a.app.SetFocus(a.ui.lastFocus)
	} else {
		a.app.SetFocus(a.ui.routes)
	}
}

func (a *App) diagramShown() bool {
	if a.ui == nil || a.ui.pages == nil || a.ui.diagram == nil {
		return false
	}
	name, _ := a.ui.pages.GetFrontPage()
	return name == diagramPageName
}

// diagramBindings are the page's own keys; they come before the main
// table's, so that Tab and the arrows move the selection here.
func (a *App) diagramBindings() []binding {
	k := func(key tcell.Key, label, desc string, h func()) binding {
		return binding{Scope: paneDiagram, Key: key, Label: label, Description: desc, Handler: h}
	}
	r := func(ch rune, desc string, h func()) binding {
		return binding{Scope: paneDiagram, Key: tcell.KeyRune, Rune: ch, Label: string(ch), Description: desc, Handler: h}
	}
	v := func() *diagramView { return a.ui.diagram }
	return []binding{
		r('d', "back to the panes", a.diagramClose),
		k(tcell.KeyEscape, "Esc", "clear the selection, then back to the panes", func() {
			if v().sel != "" {
				v().selectItem("")
				return
			}
			a.diagramClose()
		}),
		k(tcell.KeyTab, "Tab", "select the next box or edge (its details below)", func() { v().cycle(1) }),
		k(tcell.KeyBacktab, "Shift-Tab", "select the previous one", func() { v().cycle(-1) }),
		k(tcell.KeyLeft, "←↑↓→", "select the nearest box or edge that way", func() { v().move(-1, 0) }),
		k(tcell.KeyRight, "→", "", func() { v().move(1, 0) }),
		k(tcell.KeyUp, "↑", "", func() { v().move(0, -1) }),
		k(tcell.KeyDown, "↓", "", func() { v().move(0, 1) }),
		k(tcell.KeyPgUp, "PgUp/PgDn", "scroll a drawing bigger than the screen", func() { v().scroll(0, -v().vh/2) }),
		k(tcell.KeyPgDn, "PgDn", "", func() { v().scroll(0, v().vh/2) }),
		r('<', "scroll left (also > right)", func() { v().scroll(-v().vw/2, 0) }),
		r('>', "", func() { v().scroll(v().vw/2, 0) }),
		r('v', "animation: 1 s, 2 s, 0.5 s, off", func() { v().nextSpeed() }),
		// The form is on the main page: p goes there first.
		r('p', "", func() { a.diagramClose(); a.openForm() }),
	}
}

func (v *diagramView) nextSpeed() {
	i := 0
	for j, s := range animationSpeeds {
		if s == v.speed {
			i = j + 1
		}
	}
	v.speed = animationSpeeds[i%len(animationSpeeds)]
	v.a.diagramSpeed.Store(int64(v.speed))
}

// diagramRefresh copies what the page shows from the model. It runs in
// refresh, on the event loop, with m.mu held.
func (a *App) diagramRefresh() {
	v := a.ui.diagram
	if v == nil {
		return
	}
	m := a.m
	if m.last != m.diagLast {
		m.diagLast = m.last
		m.diagramPublished()
	}
	in := diagram.Input{Topology: m.topology}
	if sc := m.scenario; sc != nil {
		for _, st := range sc.Steps {
			in.Publishes = append(in.Publishes, diagram.Publish{Exchange: st.Publish.Exchange, RoutingKey: st.Publish.RoutingKey})
		}
	}
	if r := m.diag.route; r != nil {
		in.Publishes = append(in.Publishes, diagram.Publish{Exchange: r.Message.Exchange, RoutingKey: r.Message.RoutingKey})
		if !m.diag.flooding {
			in.Route = r
		}
	}
	if m.declared {
		in.Counts = map[string]diagram.QueueCounts{}
		for _, name := range m.order {
			q := m.queues[name]
			c := diagram.QueueCounts{PerSecond: m.diag.qrates[name]}
			if q.statsOK {
				c.Ready, c.Unacked = q.stats.Ready, q.stats.Unacked
			}
			in.Counts[name] = c
		}
	}
	for _, c := range m.consumers {
		if c.Spec.Name == c.Queue {
			continue // the observer a queue without named consumers gets
		}
		in.Consumers = append(in.Consumers, diagram.Consumer{
			Name: c.Spec.Name, Queue: c.Queue, ManualAck: c.Spec.Ack != sandbox.AutoAck, Prefetch: c.Spec.Prefetch,
			Paused: c.State == sandbox.ConsumerPaused, Crashed: c.State == sandbox.ConsumerCrashed,
		})
	}
	v.in = in
	v.rates = m.diag.rates
	v.started = m.diag.started
	v.header = a.diagramHeader()
	v.details = a.diagramDetails(v.sel)
}

// diagramHeader is the page's first line: the scenario and what became of
// the latest message. Callers hold m.mu.
func (a *App) diagramHeader() string {
	m := a.m
	if m.scenario == nil {
		return "no scenario chosen: d goes back to the list (Enter chooses one)"
	}
	s := "Diagram: " + m.scenario.Name
	switch r := m.diag.route; {
	case m.diag.flooding:
		s += fmt.Sprintf(" · flood: %.0f messages/s, rates on the edges", m.diag.rates[publishID(firstPublish(m))])
	case r != nil:
		ex := diagram.Explain(&diagram.Input{Topology: m.topology, Route: r})
		msg := strconv.Quote(r.Message.RoutingKey)
		if len(r.Message.Headers) > 0 {
			msg += " {" + routing.FormatTable(r.Message.Headers) + "}"
		}
		s += " · latest message " + msg + " " + ex[len(ex)-1]
	default:
		s += " · s plays a step, Tab selects"
	}
	return s
}

func firstPublish(m *model) string {
	if m.diag.route != nil {
		return m.diag.route.Message.Exchange
	}
	return ""
}

// Draw lays the diagram out for the room it has (when that or the
// topology changed), then paints it, the header and the details.
func (v *diagramView) Draw(screen tcell.Screen) {
	v.Box.DrawForSubclass(screen, v)
	x, y, w, h := v.GetInnerRect()
	if w < 4 || h < 3 {
		return
	}
	th := v.a.th
	footer := max(1, min(len(v.details), 3))
	v.vx, v.vy, v.vw, v.vh = x, y+1, w, h-1-footer
	key := layoutKey(&v.in, v.vw, v.vh)
	if key != v.layoutKey || v.layout == nil {
		v.layout = diagram.NewLayout(&v.in, diagram.Options{Width: v.vw, Height: v.vh, Marks: true})
		v.layoutKey = key
		v.clampScroll()
	}
	p := diagram.Paint{Selected: v.sel, Rates: v.rates}
	if d := v.speed; d > 0 && !v.started.IsZero() {
		if el := time.Since(v.started); el < d {
			p.Animating, p.Progress = true, float64(el)/float64(d)
		}
	}
	c := v.layout.Paint(&v.in, p)
	v.paints++
	// A drawing smaller than the room sits in its middle.
	ox, oy := max(0, (v.vw-c.Width)/2), max(0, (v.vh-c.Height)/2)
	v.ox, v.oy = ox, oy
	for row := 0; row < v.vh-oy; row++ {
		for col := 0; col < v.vw-ox; col++ {
			cl := c.At(col+v.sx, row+v.sy)
			if cl.Text == "" {
				continue // the right half of a wide character
			}
			r := []rune(cl.Text)
			screen.SetContent(v.vx+ox+col, v.vy+oy+row, r[0], r[1:], th.diagramStyle(cl.Style))
		}
	}
	header := v.header
	if more := v.scrollNote(c); more != "" {
		header = more + " · " + header
	}
	drawLine(screen, x, y, w, header, tcell.StyleDefault.Bold(true))
	lines := v.details
	if len(lines) == 0 {
		lines = []string{"Tab or click: details of a box or an edge · v: animation " + speedName(v.speed) + " · d: back · ?: keys"}
	}
	for i := 0; i < footer && i < len(lines); i++ {
		drawLine(screen, x, y+h-footer+i, w, lines[i], tcell.StyleDefault)
	}
}

func speedName(d time.Duration) string {
	if d <= 0 {
		return "off"
	}
	return d.String()
}

// scrollNote says what of the drawing is off screen, or "".
func (v *diagramView) scrollNote(c *diagram.Canvas) string {
	var parts []string
	if c.Height > v.vh {
		parts = append(parts, fmt.Sprintf("rows %d-%d of %d (PgUp/PgDn)", v.sy+1, min(v.sy+v.vh, c.Height), c.Height))
	}
	if c.Width > v.vw {
		parts = append(parts, fmt.Sprintf("columns %d-%d of %d (< >)", v.sx+1, min(v.sx+v.vw, c.Width), c.Width))
	}
	if len(parts) == 0 {
		return ""
	}
	return "↕ " + strings.Join(parts, ", ")
}

// drawLine writes s at x, y, cut to w columns with '…'.
func drawLine(screen tcell.Screen, x, y, w int, s string, st tcell.Style) {
	s = cells.Fit(s, w)
	col := 0
	g := uniseg.NewGraphemes(s)
	for g.Next() && col < w {
		r := g.Runes()
		screen.SetContent(x+col, y, r[0], r[1:], st)
		col += max(g.Width(), 1)
	}
	for ; col < w; col++ {
		screen.SetContent(x+col, y, ' ', nil, st)
	}
}

// layoutKey changes when the layout must be made again: the topology, the
// publishes and consumers, the width of the counts, the room.
func layoutKey(in *diagram.Input, w, h int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %d %#v %#v %#v", w, h, in.Topology, in.Publishes, in.Consumers)
	for _, q := range in.Topology.Queues {
		if c, ok := in.Counts[q.Name]; ok {
			fmt.Fprintf(&b, " %d.%d.%v", len(fmt.Sprint(c.Ready)), len(fmt.Sprint(c.Unacked)), c.PerSecond > 0)
		}
	}
	return b.String()
}

func (th theme) diagramStyle(s diagram.Style) tcell.Style {
	st := tcell.StyleDefault
	switch s {
	case diagram.Name:
		return st.Bold(true)
	case diagram.Matched:
		return th.style(colOK).Bold(true)
	case diagram.Unmatched:
		return th.style(colBad)
	case diagram.Received:
		return th.style(colOK).Bold(true)
	case diagram.Warning:
		return th.style(colWarn).Bold(true)
	case diagram.Selected:
		return st.Reverse(true)
	case diagram.Token:
		return th.style(colInfo).Reverse(true).Bold(true)
	}
	return st
}

// selectItem selects the item with the given ID ("" for none), scrolls it
// into view and shows its details.
func (v *diagramView) selectItem(id string) {
	v.sel = id
	v.a.m.mu.Lock()
	v.details = v.a.diagramDetails(id)
	v.a.m.mu.Unlock()
	if v.layout == nil || id == "" {
		return
	}
	if x, y, w, h, ok := v.layout.Bounds(id); ok {
		if x < v.sx || x+w > v.sx+v.vw {
			v.sx = max(0, min(x, x+w-v.vw))
		}
		if y < v.sy || y+h > v.sy+v.vh {
			v.sy = max(0, min(y, y+h-v.vh))
		}
		v.clampScroll()
	}
}

func (v *diagramView) cycle(dir int) {
	if v.layout == nil {
		return
	}
	items := v.layout.Items()
	if len(items) == 0 {
		return
	}
	i := -1
	for j, it := range items {
		if it.ID() == v.sel {
			i = j
		}
	}
	switch {
	case i < 0 && dir < 0:
		i = len(items) - 1
	case i < 0:
		i = 0
	default:
		i = (i + dir + len(items)) % len(items)
	}
	v.selectItem(items[i].ID())
}

// move selects the item whose centre is nearest in direction (dx, dy).
func (v *diagramView) move(dx, dy int) {
	if v.layout == nil {
		return
	}
	if v.sel == "" {
		v.cycle(1)
		return
	}
	x0, y0, w0, h0, ok := v.layout.Bounds(v.sel)
	if !ok {
		v.cycle(1)
		return
	}
	cx, cy := 2*x0+w0, 2*y0+h0 // doubled centres: no halves lost
	best, bestD := "", 0
	for _, it := range v.layout.Items() {
		x, y, w, h, ok := v.layout.Bounds(it.ID())
		if !ok || it.ID() == v.sel {
			continue
		}
		ix, iy := 2*x+w-cx, 2*y+h-cy
		along := ix*dx + iy*dy
		if along <= 0 {
			continue
		}
		across := abs(ix*dy) + abs(iy*dx)
		d := along + 2*across
		if best == "" || d < bestD {
			best, bestD = it.ID(), d
		}
	}
	if best != "" {
		v.selectItem(best)
	}
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func (v *diagramView) scroll(dx, dy int) {
	v.sx += dx
	v.sy += dy
	v.clampScroll()
}

func (v *diagramView) clampScroll() {
	if v.layout == nil {
		return
	}
	v.sx = max(0, min(v.sx, v.layout.Width-v.vw))
	v.sy = max(0, min(v.sy, v.layout.Height-v.vh))
}

// MouseHandler selects what is clicked and scrolls with the wheel.
func (v *diagramView) MouseHandler() func(action tview.MouseAction, event *tcell.EventMouse, setFocus func(p tview.Primitive)) (bool, tview.Primitive) {
	return v.WrapMouseHandler(func(action tview.MouseAction, event *tcell.EventMouse, setFocus func(p tview.Primitive)) (bool, tview.Primitive) {
		x, y := event.Position()
		if !v.InRect(x, y) {
			return false, nil
		}
		switch action {
		case tview.MouseLeftClick:
			setFocus(v)
			if v.layout != nil && x >= v.vx && y >= v.vy && x < v.vx+v.vw && y < v.vy+v.vh {
				if it, ok := v.layout.ItemAt(x-v.vx-v.ox+v.sx, y-v.vy-v.oy+v.sy); ok {
					v.selectItem(it.ID())
				} else {
					v.selectItem("")
				}
			}
			return true, nil
		case tview.MouseScrollUp:
			v.scroll(0, -2)
			return true, nil
		case tview.MouseScrollDown:
			v.scroll(0, 2)
			return true, nil
		}
		return false, nil
	})
}
