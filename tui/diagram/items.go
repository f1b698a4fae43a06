package diagram

// Items lists what the layout draws: the boxes column by column, top to
// bottom, then the edges in the order of the input (publishes, bindings,
// alternate and dead-letter edges, consumers). A caller moves a selection
// through it.
func (l *Layout) Items() []Item {
	var out []Item
	for _, col := range l.cols {
		for _, n := range col {
			if !n.isDummy() {
				out = append(out, n.item)
			}
		}
	}
	for _, e := range l.g.edges {
		out = append(out, e.item)
	}
	return out
}

// Bounds is the rectangle an item takes: a box's own, an edge's line and
// label's bounding box.
func (l *Layout) Bounds(id string) (x, y, w, h int, ok bool) {
	if n := l.node(id); n != nil {
		return n.x, n.y, n.w, n.h, true
	}
	e := l.edge(id)
	if e == nil || len(e.route) == 0 {
		return 0, 0, 0, 0, false
	}
	x0, y0, x1, y1 := e.route[0].x, e.route[0].y, e.route[0].x, e.route[0].y
	grow := func(c cell) {
		x0, y0, x1, y1 = min(x0, c.x), min(y0, c.y), max(x1, c.x), max(y1, c.y)
	}
	for _, c := range e.route {
		grow(c)
	}
	if e.labelW > 0 {
		grow(e.labelAt)
		grow(cell{e.labelAt.x + e.labelW - 1, e.labelAt.y})
	}
	return x0, y0, x1 - x0 + 1, y1 - y0 + 1, true
}

// ItemAt is the item drawn at column x, row y: a box, else an edge whose
// label or own line is there (a trunk shared by several edges gives the
// first of them).
func (l *Layout) ItemAt(x, y int) (Item, bool) {
	for _, n := range l.g.nodes {
		if !n.isDummy() && x >= n.x && x < n.x+n.w && y >= n.y && y < n.y+n.h {
			return n.item, true
		}
	}
	for _, e := range l.g.edges {
		if e.labelW > 0 && y == e.labelAt.y && x >= e.labelAt.x-1 && x <= e.labelAt.x+e.labelW {
			return e.item, true
		}
	}
	// Lines: the edge whose own stretch (nearest its label) passes there.
	for pass := 0; pass < 2; pass++ {
		for _, e := range l.g.edges {
			for i := len(e.route) - 1; i >= 0; i-- {
				c := e.route[i]
				if c.x == x && c.y == y && (pass == 1 || l.owners(c) == 1) {
					return e.item, true
				}
			}
		}
	}
	return Item{}, false
}

// MarkAt is where an edge's ✓ or ✗ goes (when Options.Marks or a Route
// reserves it): for tests and for a caller that points at it.
func (l *Layout) MarkAt(id string) (x, y int, ok bool) {
	e := l.edge(id)
	if e == nil || e.labelW == 0 || !l.marks || !markable(e) {
		return 0, 0, false
	}
	return e.labelAt.x, e.labelAt.y, true
}

func (l *Layout) node(id string) *node {
	for _, n := range l.g.nodes {
		if !n.isDummy() && n.item.ID() == id {
			return n
		}
	}
	return nil
}

func (l *Layout) edge(id string) *edge {
	for _, e := range l.g.edges {
		if e.item.ID() == id {
			return e
		}
	}
	return nil
}

// owners is how many edges' lines pass through c.
func (l *Layout) owners(c cell) int { return l.cellEdges[c] }

// countOwners fills cellEdges once the lines are routed.
func (l *Layout) countOwners() {
	l.cellEdges = map[cell]int{}
	for _, e := range l.g.edges {
		for _, rc := range e.route {
			l.cellEdges[rc]++
		}
	}
}
