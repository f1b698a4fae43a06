package diagram

import (
	"sort"
)

// Options say how much room the diagram has and what to reserve room for.
type Options struct {
	// Width and Height are the room to fit in; 0 means unlimited.
	Width, Height int
	// Marks reserves room for ✓ and ✗ on bindings and queues even when
	// Input.Route is nil, so that the layout does not move when the first
	// message is explained (the TUI sets it).
	Marks bool
}

// level is one degree of compactness, tried in order until one fits.
type level struct {
	pad      int // spaces inside a box on each side
	boxGap   int // empty rows between boxes in a column
	compact  bool
	truncate int
	nameMax  int
	noPub    bool
	// tight channels let the labels beside the boxes on a channel's left
	// and those on its right share columns (they are on different rows);
	// lines then have less room to run between them.
	tight bool
}

var levels = []level{
	{pad: 1, boxGap: 1},
	{pad: 1, boxGap: 0},
	{pad: 0, boxGap: 0, compact: true, tight: true},
	{pad: 0, boxGap: 0, compact: true, tight: true, truncate: 20},
	{pad: 0, boxGap: 0, compact: true, tight: true, truncate: 12, nameMax: 16},
	{pad: 0, boxGap: 0, compact: true, tight: true, truncate: 8, nameMax: 12, noPub: true},
}

// Layout is where every box, line and label goes. It depends on the
// topology, the publishes, the consumers, the text in the boxes and the
// options, not on the explanation of a message: painting a new explanation
// reuses it.
type Layout struct {
	// Width and Height are the size of the drawing.
	Width, Height int
	// Fits says whether it fits the Options' width and height.
	Fits bool
	// Level is how compact it had to be (0 is the most comfortable).
	Level int
	// Notes are the whole labels of the edges shortened with a footnote
	// number (¹ x-match=all format=pdf type=report), in number order.
	Notes []string
	// Unrouted lists edges no path could be found for, or whose label
	// could not be placed; empty unless something is badly wrong.
	Unrouted []Item
	clash    []Item

	marks     bool
	padding   int
	cellEdges map[cell]int // how many edges pass through each cell
	g         *graph
	cols      [][]*node
	grid      *grid
	nets      []*net
}

// NewLayout lays the input out in the room the options give: the most
// comfortable level that fits; failing that, the first that fits the
// width (the caller scrolls down); failing that, the smallest.
func NewLayout(in *Input, opt Options) *Layout {
	var best *Layout
	var bestRank [3]int
	for i, lv := range levels {
		l := layoutAt(in, opt, lv)
		l.Level = i
		okW := opt.Width <= 0 || l.Width <= opt.Width
		okH := opt.Height <= 0 || l.Height <= opt.Height
		if okW && okH && len(l.Unrouted) == 0 {
			l.Fits = true
			return l
		}
		rank := [3]int{len(l.Unrouted), 1, l.Width * l.Height}
		if okW {
			rank[1], rank[2] = 0, i
		}
		if best == nil || less(rank, bestRank) {
			best, bestRank = l, rank
		}
	}
	return best
}

func less(a, b [3]int) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

// layoutAt lays the input out at one level, widening the channels
// between columns until every edge finds a path.
func layoutAt(in *Input, opt Options, lv level) *Layout {
	var l *Layout
	first := map[string]bool{}
	for attempt := 0; attempt < 6; attempt++ {
		// Each try routes first what failed before (rip up and reroute),
		// with a little more room from the second try on.
		extra := 2 * (attempt / 2)
		l = layoutOnce(in, opt, lv, extra, min(attempt/2, 2), first)
		if len(l.Unrouted) == 0 {
			break
		}
		for _, it := range l.Unrouted {
			first[it.ID()] = true
		}
	}
	return l
}

func layoutOnce(in *Input, opt Options, lv level, extra, margin int, first map[string]bool) *Layout {
	lab := &labeler{compact: lv.compact, truncate: lv.truncate, nameMax: lv.nameMax, noPublisher: lv.noPub}
	g := buildGraph(in, lab)
	l := &Layout{g: g, marks: opt.Marks || in.Route != nil, padding: lv.pad}
	layers := assignLayers(g)
	makeChains(g)
	l.cols = columns(g, layers)
	nb := chainNeighbours(g)
	orderColumns(l.cols, nb)
	makePorts(g)
	sizeBoxes(g, lv.pad, l.marks)
	for _, col := range l.cols {
		w := 1
		for _, n := range col {
			w = max(w, n.w)
		}
		for _, n := range col {
			n.w = w
		}
	}
	orderPorts(g)
	placeRows(l.cols, nb, lv.boxGap)
	orderPorts(g)
	placeRows(l.cols, nb, lv.boxGap)
	orderPorts(g)

	// Columns and the channels between them.
	x := 0
	colX := make([]int, len(l.cols))
	chanW := l.channelWidths(extra, lv.tight)
	for i, col := range l.cols {
		colX[i] = x
		for _, n := range col {
			n.x = x
		}
		if len(col) > 0 {
			x += col[0].w
		}
		x += chanW[i]
	}
	l.Width = x
	h := 0
	for _, n := range g.nodes {
		n.y += margin
		h = max(h, n.y+n.h)
	}
	l.Height = h + margin
	if l.Width == 0 || l.Height == 0 {
		l.Width, l.Height = max(l.Width, 1), max(l.Height, 1)
	}
	l.route(colX, chanW, first)
	l.Unrouted = append(l.Unrouted, l.clash...)
	l.countOwners()
	l.Notes = lab.notes
	return l
}

// labelWidth is the room an edge's label takes, with its mark.
func (l *Layout) labelWidth(e *edge) int {
	w := width(e.label)
	if l.marks && markable(e) {
		if w == 0 {
			return 1
		}
		w += 2
	}
	return w
}

// markable edges get ✓ or ✗.
func markable(e *edge) bool {
	return e.item.Kind == ItemBinding || e.item.Kind == ItemDefaultBinding
}

// rightReserve is the room an edge's label and arrow take at its right end.
func (l *Layout) rightReserve(e *edge) int {
	lw := l.labelWidth(e)
	switch {
	case e.reversed && lw > 0:
		return lw + 3
	case e.reversed:
		return 0
	case lw > 0:
		return lw + 4
	}
	return 1
}

// channelWidths sizes the room after each column: the widest labels and
// arrows at its left (beside the boxes it follows) and at its right
// (beside the boxes it leads to), and a track for each tree of lines in it.
func (l *Layout) channelWidths(extra int, tight bool) []int {
	out := make([]int, len(l.cols))
	tracks := make([]map[any]bool, len(l.cols))
	left := make([]int, len(l.cols))
	right := make([]int, len(l.cols))
	for i := range tracks {
		tracks[i] = map[any]bool{}
	}
	for _, e := range l.g.edges {
		switch {
		case e.self:
			i := e.from.layer
			left[i] = max(left[i], 5+l.labelWidth(e))
			tracks[i][e] = true
			continue
		case e.side:
			i := e.from.layer
			left[i] = max(left[i], l.sideReserve(e)+1)
			tracks[i][e] = true
			continue
		}
		for k := 0; k+1 < len(e.chain); k++ {
			i := e.chain[k].layer
			var key any = e
			if !e.reversed && e.group != "" {
				key = e.lport
			}
			tracks[i][key] = true
			if k+1 == len(e.chain)-1 {
				right[i] = max(right[i], l.rightReserve(e))
			}
			if k == 0 && e.reversed {
				left[i] = max(left[i], 2) // the arrowhead beside the left box
			}
		}
	}
	for i := range out {
		switch {
		case len(tracks[i]) > 0:
			side := left[i] + right[i]
			if tight {
				side = max(left[i], right[i])
			}
			out[i] = 2 + len(tracks[i]) + side + extra
		case i+1 < len(l.cols):
			out[i] = 2
		}
	}
	return out
}

// sideReserve is the room an edge between two boxes of one column takes
// beside its destination: the arrowhead and the label.
func (l *Layout) sideReserve(e *edge) int {
	if lw := l.labelWidth(e); lw > 0 {
		return lw + 4
	}
	return 1
}

// route reserves the boxes, passages, arrows and labels on a grid, then
// finds every edge's path.
func (l *Layout) route(colX, chanW []int, first map[string]bool) {
	g := newGrid(l.Width, l.Height)
	l.grid = g
	// A vertical step costs more the farther it is from the column on its
	// left: trunks hug the box they leave.
	for i := range l.cols {
		start := colX[i]
		if len(l.cols[i]) > 0 {
			start += l.cols[i][0].w
		}
		for x := start; x < start+chanW[i] && x < g.w; x++ {
			g.bias[x] = abs(x - start - 1)
		}
	}
	for _, n := range l.g.nodes {
		if n.isDummy() {
			continue
		}
		for y := n.y - 1; y <= n.y+n.h; y++ {
			for x := n.x - 1; x <= n.x+n.w; x++ {
				g.block(cell{x, y})
			}
		}
	}

	// One net per shared port, one per other edge.
	netOf := map[any]*net{}
	getNet := func(e *edge) *net {
		var key any = e
		if !e.reversed && !e.self && !e.side && e.group != "" {
			key = e.lport
		}
		if n := netOf[key]; n != nil {
			n.edges = append(n.edges, e)
			return n
		}
		n := &net{id: len(l.nets), edges: []*edge{e}, dashed: e.style == dashed}
		netOf[key] = n
		l.nets = append(l.nets, n)
		return n
	}
	noBranch := make([]bool, g.w*g.h)
	for _, e := range l.g.edges {
		n := getNet(e)
		if e.self {
			l.reserveSelf(e, n)
			continue
		}
		if e.side {
			l.reserveSide(e, n)
			continue
		}
		for _, d := range e.chain[1 : len(e.chain)-1] {
			for x := d.x; x < d.x+d.w; x++ {
				g.own(cell{x, d.y}, n.id)
			}
		}
		lx := e.leftEnd().x + e.leftEnd().w // first cell right of the left box
		rx := e.rightEnd().x - 1            // last cell left of the right box
		ly, ry := e.lport.y(), e.rport.y()
		lw := l.labelWidth(e)
		res := l.rightReserve(e)
		for x := rx - res + 1; x <= rx; x++ {
			l.reserve(e, cell{x, ry})
			g.noCross[g.idx(cell{x, ry})] = true
		}
		if e.reversed {
			start := cell{rx - res, ry}
			if res == 0 {
				start = cell{rx, ry}
			}
			g.own(start, n.id)
			g.noCross[g.idx(start)] = true
			n.start, n.startArm = start, east
			l.stub(cell{start.x - 1, start.y}, n)
			e.labelAt, e.labelW = cell{rx - 1 - lw, ry}, lw
			l.reserve(e, cell{lx, ly}) // the arrowhead
			g.noCross[g.idx(cell{lx, ly})] = true
			end := cell{lx + 1, ly}
			g.noCross[g.idx(end)] = true
			g.isEnd[g.idx(end)] = true
			l.stub(cell{end.x + 1, end.y}, n)
			n.sinks = append(n.sinks, sink{e: e, at: end, arm: west})
			continue
		}
		if len(n.sinks) == 0 {
			start := cell{lx, ly}
			g.own(start, n.id)
			g.noCross[g.idx(start)] = true
			n.start, n.startArm = start, west
			l.stub(cell{start.x + 1, start.y}, n)
		}
		e.labelAt, e.labelW = cell{rx - 2 - lw, ry}, lw
		end := cell{rx - res, ry}
		g.noCross[g.idx(end)] = true
		g.isEnd[g.idx(end)] = true
		l.stub(cell{end.x - 1, end.y}, n)
		n.sinks = append(n.sinks, sink{e: e, at: end, arm: east})
	}

	// Nets leaving the leftmost columns first; within a net, the sinks
	// farthest from its start first: they lay the trunk, the nearer ones
	// branch off it.
	order := append([]*net(nil), l.nets...)
	rank := func(n *net) int {
		for _, e := range n.edges {
			if first[e.item.ID()] {
				return 0
			}
		}
		switch {
		case n.edges[0].reversed:
			return 3
		case n.dashed:
			return 2
		}
		return 1
	}
	sort.SliceStable(order, func(i, j int) bool {
		a, b := order[i], order[j]
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra < rb
		}
		return a.start.x < b.start.x || a.start.x == b.start.x && a.start.y < b.start.y
	})
	for _, n := range order {
		if len(n.sinks) == 0 {
			continue // a self-edge, drawn already
		}
		sort.SliceStable(n.sinks, func(i, j int) bool {
			return abs(n.sinks[i].at.y-n.start.y) > abs(n.sinks[j].at.y-n.start.y)
		})
		for _, s := range g.routeNet(n, noBranch) {
			l.Unrouted = append(l.Unrouted, s.e.item)
		}
	}
}

// reserveSide sets up an edge between two boxes of one column: from the
// source's right side round into the destination's right side, the label
// and arrowhead beside the destination.
func (l *Layout) reserveSide(e *edge, n *net) {
	g := l.grid
	start := cell{e.from.x + e.from.w, e.lport.y()}
	g.own(start, n.id)
	g.noCross[g.idx(start)] = true
	n.start, n.startArm = start, west
	l.stub(cell{start.x + 1, start.y}, n)
	lx, y := e.to.x+e.to.w, e.rport.y()
	res := l.sideReserve(e)
	for x := lx; x < lx+res; x++ {
		l.reserve(e, cell{x, y})
		g.noCross[g.idx(cell{x, y})] = true
	}
	e.labelAt, e.labelW = cell{lx + 3, y}, l.labelWidth(e)
	end := cell{lx + res, y}
	g.noCross[g.idx(end)] = true
	g.isEnd[g.idx(end)] = true
	l.stub(cell{end.x + 1, end.y}, n)
	n.sinks = append(n.sinks, sink{e: e, at: end, arm: west})
}

// reserve keeps a cell for an edge's label or arrowhead. Two edges that
// want one cell (labels on one row of a tight channel) make the layout
// fail, to be tried again with more room.
func (l *Layout) reserve(e *edge, c cell) {
	g := l.grid
	if !g.in(c) {
		return
	}
	i := g.idx(c)
	if g.reserved[i] {
		l.clash = append(l.clash, e.item)
	}
	g.reserved[i] = true
	g.block(c)
}

// stub keeps the cell after a net's start for that net, so that no other
// line can wall the start in.
func (l *Layout) stub(c cell, n *net) {
	g := l.grid
	if g.in(c) && !g.blocked[g.idx(c)] && !g.isEnd[g.idx(c)] {
		g.own(c, n.id)
	}
}

// reserveSelf draws an exchange's binding to itself as a small loop on its
// right side, the label beside it.
func (l *Layout) reserveSelf(e *edge, n *net) {
	g := l.grid
	x := e.from.x + e.from.w
	r0, r1 := e.lport.y(), e.rport.y()
	cells := []cell{{x, r0}, {x + 1, r0}, {x + 1, r1}, {x, r1}}
	arms := []uint8{west | east, west | south, north | west, east}
	for i, c := range cells {
		g.own(c, n.id)
		g.noCross[g.idx(c)] = true
		if i < 3 {
			g.addArms(g.idx(c), n.id, arms[i])
		}
	}
	l.reserve(e, cell{x + 2, r0})
	lw := l.labelWidth(e)
	for i := 0; i <= lw; i++ {
		l.reserve(e, cell{x + 3 + i, r0})
	}
	e.labelAt, e.labelW = cell{x + 3, r0}, lw
	e.route = cells[:3]
	n.start = cells[0]
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
