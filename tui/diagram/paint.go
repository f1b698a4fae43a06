package diagram

import (
	"fmt"
	"math"

	"github.com/warrenmq/warren/sandbox/routing"
)

// Paint says how to draw a layout this time.
type Paint struct {
	// Selected is the ID of the item to highlight ("" for none).
	Selected string
	// Animating draws the latest message on its way: Progress, from 0 to
	// 1, is how far along its path it is. The edges it has passed light
	// up, a token marks where it is now, the rest waits dim.
	Animating bool
	Progress  float64
	// Rates, under a flood, are messages per second through edges (by
	// item ID), written on each edge's own stretch of line instead of
	// animating every message.
	Rates map[string]float64
}

// state is what the latest message did on an item.
type state uint8

const (
	stPlain     state = iota // no message explained
	stDim                    // not on its path
	stUnmatched              // considered, did not match
	stMatched                // on its path
	stWarn                   // model and broker disagree, refused, missing
)

var stateStyle = [...]Style{stPlain: Plain, stDim: Dim, stUnmatched: Unmatched, stMatched: Matched, stWarn: Warning}

// priority orders styles when several edges share a cell.
func priority(s Style) int {
	switch s {
	case Selected:
		return 7
	case Token:
		return 6
	case Matched, Received:
		return 5
	case Warning:
		return 4
	case Unmatched:
		return 3
	case Plain, Name:
		return 2
	}
	return 1
}

// verdicts finds the model's verdict for each binding of the topology and
// of the default exchange.
type verdicts struct {
	byKey map[string]routing.Verdict
}

func bindingKey(b routing.Binding) string {
	dt := b.DestinationType
	if dt == "" {
		dt = routing.ToQueue
	}
	return fmt.Sprintf("%q %q %q %q %q", b.Source, dt, b.Destination, b.RoutingKey, routing.TableKey(b.Arguments))
}

func newVerdicts(r *Route) verdicts {
	v := verdicts{byKey: map[string]routing.Verdict{}}
	if r == nil {
		return v
	}
	for _, x := range r.Result.Verdicts {
		v.byKey[bindingKey(x.Binding)] = x
	}
	return v
}

// explained is one message's path, as items' states.
type explained struct {
	route    *Route
	edges    map[*edge]state
	verdict  map[*edge]routing.Verdict
	queues   map[string]state // Received as stMatched, disagreement as stWarn
	visited  map[string]bool  // exchanges the message went through
	hop      map[*edge]int    // when the message reaches the edge, counted in edges
	hops     int
	received map[string]bool
}

func (l *Layout) explain(in *Input) *explained {
	ex := &explained{route: in.Route, edges: map[*edge]state{}, verdict: map[*edge]routing.Verdict{},
		queues: map[string]state{}, visited: map[string]bool{}, hop: map[*edge]int{}, received: map[string]bool{}}
	r := in.Route
	if r == nil {
		return ex
	}
	vs := newVerdicts(r)
	for _, x := range r.Result.Exchanges {
		ex.visited[x] = true
	}
	model := map[string]bool{}
	for _, q := range r.Result.Queues {
		model[q] = true
	}
	seen := model
	if r.Delivered != nil {
		seen = map[string]bool{}
		for _, q := range r.Delivered {
			seen[q] = true
		}
	}
	for q := range model {
		ex.queues[q] = stMatched
		ex.received[q] = true
	}
	for q := range seen {
		ex.received[q] = true
		if !model[q] {
			ex.queues[q] = stWarn
		}
	}
	for q := range model {
		if !seen[q] {
			ex.queues[q] = stWarn
		}
	}
	dead := map[string]bool{}
	for _, q := range r.DeadLettered {
		dead[q] = true
	}
	alt := map[string]bool{}
	for _, a := range r.Result.AlternateExchanges {
		alt[a] = true
	}
	for _, e := range l.g.edges {
		st := stDim
		switch e.item.Kind {
		case ItemBinding:
			b := in.Topology.Bindings[e.item.Binding]
			if v, ok := vs.byKey[bindingKey(b)]; ok && ex.visited[b.Source] {
				ex.verdict[e] = v
				st = stUnmatched
				if v.Matched {
					st = stMatched
				}
			}
		case ItemDefaultBinding:
			b := routing.Binding{Destination: e.item.Target, RoutingKey: e.item.Target}
			if v, ok := vs.byKey[bindingKey(b)]; ok && ex.visited[""] {
				ex.verdict[e] = v
				st = stMatched
			}
		case ItemPublish:
			// A dead-lettered message comes from its queue, not the publisher.
			if e.item.Target == r.Message.Exchange && len(r.DeadLettered) == 0 {
				st = stMatched
				if r.Result.Err != nil {
					st = stWarn
				}
			}
		case ItemAlternate:
			if ex.visited[e.item.Name] && alt[e.item.Target] {
				st = stMatched
			}
		case ItemDeadLetter:
			if dead[e.item.Name] {
				st = stMatched
			}
		case ItemConsume:
			if ex.received[e.item.Name] {
				st = stPlain
			}
		}
		ex.edges[e] = st
	}
	ex.hops = l.hops(ex)
	return ex
}

// hops numbers the lit edges in the order the message takes them: the
// publish first, then each exchange's matched bindings, then the next
// exchange's.
func (l *Layout) hops(ex *explained) int {
	xHop := map[*node]int{}
	total := 0
	for _, e := range l.g.edges {
		if (e.item.Kind == ItemPublish || e.item.Kind == ItemDeadLetter) && ex.edges[e] == stMatched {
			ex.hop[e] = 0
			xHop[e.to] = 1
			total = 1
		}
	}
	for changed := true; changed; {
		changed = false
		for _, e := range l.g.edges {
			if ex.edges[e] != stMatched || e.item.Kind == ItemPublish || e.item.Kind == ItemConsume || e.item.Kind == ItemDeadLetter {
				continue
			}
			h, ok := xHop[e.from]
			if !ok {
				continue
			}
			if old, ok := ex.hop[e]; ok && old <= h {
				continue
			}
			ex.hop[e] = h
			total = max(total, h+1)
			changed = true
			if e.to.kind == kindExchange {
				if old, ok := xHop[e.to]; !ok || old > h+1 {
					xHop[e.to] = h + 1
				}
			}
		}
	}
	return total
}

// Paint draws the layout with what the input says now: counts, consumers'
// states, the latest message's path.
func (l *Layout) Paint(in *Input, p Paint) *Canvas {
	c := NewCanvas(l.Width, l.Height)
	ex := l.explain(in)
	cur, frac := -1, 0.0
	if p.Animating && ex.hops > 0 {
		pos := math.Max(0, math.Min(p.Progress, 0.9999)) * float64(ex.hops)
		cur = int(pos)
		frac = pos - float64(cur)
	}
	edgeStyle := func(e *edge) Style {
		if p.Selected != "" && e.item.ID() == p.Selected {
			return Selected
		}
		st := ex.edges[e]
		if cur >= 0 && st == stMatched {
			if h, ok := ex.hop[e]; ok && h > cur {
				return Dim
			}
		}
		if p.Rates[e.item.ID()] > 0 {
			return Matched
		}
		if in.Route == nil {
			return Plain
		}
		return stateStyle[st]
	}

	// Lines: each cell takes the most important style of the edges through it.
	g := l.grid
	cellStyle := make([]Style, g.w*g.h)
	for _, e := range l.g.edges {
		st := edgeStyle(e)
		for _, cl := range e.route {
			i := g.idx(cl)
			if priority(st) > priority(cellStyle[i]) {
				cellStyle[i] = st
			}
		}
	}
	dashed := map[int]bool{}
	for _, n := range l.nets {
		dashed[n.id] = n.dashed
	}
	for i := range g.blocked {
		a0 := g.arms[0][i]
		n0, n1 := g.net[0][i], g.net[1][i]
		if n0 < 0 {
			continue
		}
		cl := g.at(i)
		// Two nets crossing: the vertical one is drawn over the other, so
		// that a crossing never reads as a junction (a net's own four-way
		// junction is ┼).
		r := glyph(a0, dashed[n0])
		if n1 >= 0 {
			r = glyph(north|south, dashed[n0])
			if a0 == east|west {
				r = glyph(north|south, dashed[n1])
			}
		}
		c.set(cl.x, cl.y, r, cellStyle[i])
	}

	// Arrowheads and labels.
	for _, e := range l.g.edges {
		st := edgeStyle(e)
		switch {
		case e.self:
			c.set(e.route[0].x, e.route[2].y, "◀", st)
		case e.side:
			lx, y := e.to.x+e.to.w, e.rport.y()
			c.set(lx, y, "◀", st)
			if e.labelW > 0 {
				c.set(lx+1, y, lineGlyph(e), st)
			}
		default:
			rx, ry := e.rightEnd().x-1, e.rport.y()
			if e.reversed {
				c.set(rx, ry, lineGlyph(e), st)
				c.set(e.leftEnd().x+e.leftEnd().w, e.lport.y(), "◀", st)
			} else {
				c.set(rx, ry, "▶", st)
				if e.labelW > 0 {
					c.set(rx-1, ry, lineGlyph(e), st)
				}
			}
		}
		if e.labelW > 0 {
			x := e.labelAt.x
			labelSt := st
			if e.dimLabel && in.Route == nil {
				labelSt = Dim
			}
			if l.marks && markable(e) {
				mark := " "
				switch ex.edges[e] {
				case stMatched:
					mark = "✓"
				case stUnmatched:
					mark = "✗"
				}
				if cur >= 0 {
					if h, ok := ex.hop[e]; ok && h > cur {
						mark = " "
					}
				}
				if mark == " " {
					mark = lineGlyph(e) // nothing to mark: the line goes on
					c.set(x-1, e.labelAt.y, mark, st)
				}
				c.set(x, e.labelAt.y, mark, st)
				x += 2
			}
			if e.label == "" && l.marks && markable(e) && ex.edges[e] != stMatched && ex.edges[e] != stUnmatched {
				// No key and no mark: keep the line whole.
				c.set(e.labelAt.x-1, e.labelAt.y, lineGlyph(e), st)
				c.set(e.labelAt.x+1, e.labelAt.y, lineGlyph(e), st)
			}
			c.text(x, e.labelAt.y, e.label, labelSt, max(e.labelW-(x-e.labelAt.x), 0))
		}
	}

	// Boxes.
	for _, n := range l.g.nodes {
		if !n.isDummy() {
			l.paintBox(c, n, in, ex, p)
		}
	}

	// Rates on the lines.
	for _, e := range l.g.edges {
		if r := p.Rates[e.item.ID()]; r > 0 {
			l.paintRate(c, e, rate(r), edgeStyle(e))
		}
	}

	// The message on its way.
	if cur >= 0 {
		for _, e := range l.g.edges {
			if h, ok := ex.hop[e]; ok && h == cur && len(e.route) > 0 {
				k := int(frac * float64(len(e.route)))
				cl := e.route[min(k, len(e.route)-1)]
				c.set(cl.x, cl.y, "●", Token)
			}
		}
	}
	return c
}

func lineGlyph(e *edge) string {
	if e.style == dashed {
		return "╌"
	}
	return "─"
}

// glyph is the box-drawing character for a cell's arms.
func glyph(a uint8, dash bool) string {
	switch a {
	case east | west, east, west:
		if dash {
			return "╌"
		}
		return "─"
	case north | south, north, south:
		if dash {
			return "╎"
		}
		return "│"
	case east | south:
		return "┌"
	case west | south:
		return "┐"
	case north | east:
		return "└"
	case north | west:
		return "┘"
	case north | east | south:
		return "├"
	case north | west | south:
		return "┤"
	case east | west | south:
		return "┬"
	case north | east | west:
		return "┴"
	}
	return "┼"
}

func (l *Layout) paintBox(c *Canvas, n *node, in *Input, ex *explained, p Paint) {
	border, name := Plain, Name
	mark := ""
	switch n.kind {
	case kindQueue:
		switch ex.queues[n.item.Name] {
		case stMatched:
			border, name, mark = Received, Received, "✓"
		case stWarn:
			border, name, mark = Warning, Warning, "!"
		}
	case kindExchange:
		if in.Route != nil && ex.visited[n.item.Name] {
			border = Matched
		}
	}
	if n.item.Missing {
		border = Warning
	}
	if p.Selected != "" && n.item.ID() == p.Selected {
		border, name = Selected, Selected
	}
	h, v := "─", "│"
	if n.item.Missing {
		h, v = "╌", "╎"
	}
	x0, y0, x1, y1 := n.x, n.y, n.x+n.w-1, n.y+n.h-1
	for x := x0 + 1; x < x1; x++ {
		c.set(x, y0, h, border)
		c.set(x, y1, h, border)
	}
	for y := y0 + 1; y < y1; y++ {
		c.set(x0, y, v, border)
		c.set(x1, y, v, border)
		for x := x0 + 1; x < x1; x++ {
			c.set(x, y, " ", Plain)
		}
	}
	c.set(x0, y0, "┌", border)
	c.set(x1, y0, "┐", border)
	c.set(x0, y1, "└", border)
	c.set(x1, y1, "┘", border)
	if n.title != "" {
		tx := x0 + 1
		if width(n.title)+4 <= n.w {
			tx = x0 + 2
		}
		c.text(tx, y0, n.title, border, x1-tx)
	}
	if n.foot != "" {
		tx := x0 + 1
		if width(n.foot)+4 <= n.w {
			tx = x0 + 2
		}
		c.text(tx, y1, n.foot, border, x1-tx)
	}
	inner := n.w - 2
	pad := 0
	if inner > 0 {
		pad = min(l.padding, inner)
	}
	for i, s := range n.lines {
		st := Plain
		if i == 0 {
			st = name
		}
		used := c.text(x0+1+pad, y0+1+i, s, st, inner-pad)
		if i == 0 && mark != "" {
			c.set(x0+1+pad+used+1, y0+1, mark, name)
		}
	}
	for _, pt := range n.right {
		if pt.out {
			c.set(x1, n.y+pt.row, "├", border)
		}
	}
	for _, pt := range n.left {
		if pt.out {
			c.set(x0, n.y+pt.row, "┤", border)
		}
	}
}

// paintRate writes text on the longest horizontal stretch of e's line
// that no other edge shares, if it fits there with a cell either side.
func (l *Layout) paintRate(c *Canvas, e *edge, text string, st Style) {
	bestStart, bestLen := 0, 0
	for i := 0; i < len(e.route); {
		j := i
		for j < len(e.route) && e.route[j].y == e.route[i].y && l.owners(e.route[j]) == 1 {
			j++
		}
		if j-i > bestLen {
			bestStart, bestLen = i, j-i
		}
		if j == i {
			j++
		}
		i = j
	}
	w := width(text)
	if bestLen < w+2 {
		return
	}
	a, b := e.route[bestStart], e.route[bestStart+bestLen-1]
	x := min(a.x, b.x) + (bestLen-w)/2
	c.text(x, a.y, text, st, w)
}
