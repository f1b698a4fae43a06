package diagram

import (
	"math"
	"sort"
)

// makePorts gives each edge its port on its left end's right side and its
// right end's left side. The edges of one group leaving one box share a
// port (they fan out from one trunk); every other end has a port of its
// own. A self-edge has two ports, out above in, on the right side.
func makePorts(g *graph) {
	shared := map[*node]map[string]*port{}
	for _, e := range g.edges {
		l, r := e.leftEnd(), e.rightEnd()
		if e.self || e.side {
			e.lport = &port{node: l, right: true, out: true, edges: []*edge{e}}
			e.rport = &port{node: r, right: true, edges: []*edge{e}}
			l.right = append(l.right, e.lport)
			r.right = append(r.right, e.rport)
			continue
		}
		if !e.reversed && e.group != "" {
			if shared[l] == nil {
				shared[l] = map[string]*port{}
			}
			p := shared[l][e.group]
			if p == nil {
				p = &port{node: l, right: true, out: true}
				shared[l][e.group] = p
				l.right = append(l.right, p)
			}
			p.edges = append(p.edges, e)
			e.lport = p
		} else {
			e.lport = &port{node: l, right: true, out: !e.reversed, edges: []*edge{e}}
			l.right = append(l.right, e.lport)
		}
		e.rport = &port{node: r, out: e.reversed, edges: []*edge{e}}
		r.left = append(r.left, e.rport)
	}
}

// sizeBoxes sets each box's width and height from its text and ports.
func sizeBoxes(g *graph, pad int, marks bool) {
	for _, n := range g.nodes {
		if n.isDummy() {
			n.w, n.h = 0, 1
			continue
		}
		w := 0
		for i, s := range n.lines {
			lw := width(s)
			if i == 0 && marks && n.kind == kindQueue {
				lw += 2 // room for the ✓ or ! beside the name
			}
			w = max(w, lw)
		}
		w += 2 * pad
		if n.title != "" {
			w = max(w, width(n.title)+2)
		}
		if n.foot != "" {
			w = max(w, width(n.foot)+2)
		}
		n.w = w + 2
		n.h = 2 + max(len(n.lines), len(n.left), len(n.right), 1)
	}
}

// portY is the screen row of a port.
func (p *port) y() int { return p.node.y + p.row }

// otherEnd is the row a port's edges lead to in the adjacent column, for
// ordering the ports of a side.
func (p *port) otherEnd() float64 {
	sum, n := 0.0, 0
	for _, e := range p.edges {
		if e.self {
			return float64(p.node.y) + 0.5
		}
		if e.side {
			sum += float64(e.from.y + e.to.y - p.node.y)
			n++
			continue
		}
		o := e.chain[len(e.chain)-2]
		if p.right {
			o = e.chain[1]
		}
		sum += float64(chainRow(e, o))
		n++
	}
	if n == 0 {
		return float64(p.node.y)
	}
	return sum / float64(n)
}

// orderPorts sorts each side's ports by where they lead, top to bottom,
// and gives them rows from the first content row down.
func orderPorts(g *graph) {
	for _, n := range g.nodes {
		if n.isDummy() {
			continue
		}
		for _, side := range [][]*port{n.left, n.right} {
			keys := make(map[*port]float64, len(side))
			for _, p := range side {
				keys[p] = p.otherEnd()
			}
			sort.SliceStable(side, func(i, j int) bool { return keys[side[i]] < keys[side[j]] })
			for i, p := range side {
				p.row = 1 + i
			}
		}
	}
}

// gapBetween is the empty rows kept between two neighbours in a column: a
// passage (dummy) keeps a row from a box so that its line cannot be read as
// the box's border.
func gapBetween(a, b *node, boxGap int) int {
	switch {
	case a.isDummy() && b.isDummy():
		return 0
	case a.isDummy() || b.isDummy():
		return 1
	}
	return boxGap
}

// placeRows sets every node's y: each column keeps its order and gaps,
// and within that each node goes as near as it can to the rows of what it
// is joined to (isotonic regression, a few sweeps each way).
func placeRows(cols [][]*node, nb neighbours, boxGap int) {
	// Start stacked from the top.
	for _, col := range cols {
		y := 0
		for i, n := range col {
			if i > 0 {
				y += gapBetween(col[i-1], n, boxGap)
			}
			n.y = y
			y += n.h
		}
	}
	for iter := 0; iter < 6; iter++ {
		for i := range cols {
			placeColumn(cols[i], nb, boxGap)
		}
		for i := len(cols) - 1; i >= 0; i-- {
			placeColumn(cols[i], nb, boxGap)
		}
	}
	// Shift everything so the top row is 0.
	top := math.MaxInt
	for _, col := range cols {
		if len(col) > 0 {
			top = min(top, col[0].y)
		}
	}
	for _, col := range cols {
		for _, n := range col {
			n.y -= top
		}
	}
}

// attachments lists, for a node, the rows its ports want to be at: pairs
// of (own offset, row of the other end).
func attachments(n *node) (offs []int, rows []float64) {
	if n.isDummy() {
		e := n.dummyOf
		for i, m := range e.chain {
			if m != n {
				continue
			}
			for _, o := range []*node{e.chain[i-1], e.chain[i+1]} {
				offs = append(offs, 0)
				rows = append(rows, float64(chainRow(e, o)))
			}
		}
		return
	}
	for _, side := range [][]*port{n.left, n.right} {
		for _, p := range side {
			for _, e := range p.edges {
				if e.self {
					continue
				}
				if e.side {
					other := e.lport
					if p == e.lport {
						other = e.rport
					}
					offs = append(offs, p.row)
					rows = append(rows, float64(other.y()))
					continue
				}
				var o *node
				if p.right {
					o = e.chain[1]
				} else {
					o = e.chain[len(e.chain)-2]
				}
				offs = append(offs, p.row)
				rows = append(rows, float64(chainRow(e, o)))
			}
		}
	}
	return
}

// chainRow is the row at which edge e meets node o of its chain.
func chainRow(e *edge, o *node) int {
	switch {
	case o.isDummy():
		return o.y
	case o == e.leftEnd():
		return e.lport.y()
	default:
		return e.rport.y()
	}
}

func placeColumn(col []*node, nb neighbours, boxGap int) {
	if len(col) == 0 {
		return
	}
	// z_k = y_k - s_k must not decrease, where s_k is the room the nodes
	// above take; each node wants z near its target.
	target := make([]float64, len(col))
	weight := make([]float64, len(col))
	s := 0
	for k, n := range col {
		if k > 0 {
			s += col[k-1].h + gapBetween(col[k-1], n, boxGap)
		}
		offs, rows := attachments(n)
		if len(rows) == 0 {
			// Nothing pulls it: it packs under the one above.
			target[k], weight[k] = 0, 0.01
			if k > 0 {
				target[k] = target[k-1]
			}
			continue
		}
		sum := 0.0
		for i := range rows {
			sum += rows[i] - float64(offs[i])
		}
		target[k], weight[k] = sum/float64(len(rows))-float64(s), float64(len(rows))
	}
	z := isotonic(target, weight)
	s = 0
	for k, n := range col {
		if k > 0 {
			s += col[k-1].h + gapBetween(col[k-1], n, boxGap)
		}
		n.y = int(math.Round(z[k])) + s
	}
}

// isotonic is the weighted least-squares non-decreasing fit of y (pool
// adjacent violators).
func isotonic(y, w []float64) []float64 {
	type block struct {
		sum, weight float64
		n           int
	}
	var bs []block
	for i := range y {
		bs = append(bs, block{y[i] * w[i], w[i], 1})
		for len(bs) > 1 {
			a, b := bs[len(bs)-2], bs[len(bs)-1]
			if a.sum/a.weight <= b.sum/b.weight {
				break
			}
			bs = bs[:len(bs)-2]
			bs = append(bs, block{a.sum + b.sum, a.weight + b.weight, a.n + b.n})
		}
	}
	out := make([]float64, 0, len(y))
	for _, b := range bs {
		for i := 0; i < b.n; i++ {
			out = append(out, b.sum/b.weight)
		}
	}
	return out
}
