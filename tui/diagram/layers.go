package diagram

import (
	"sort"
)

// assignLayers puts the publisher in column 0, each exchange in 1 + the
// longest chain of exchange-to-exchange bindings leading to it (cycles
// broken where a depth-first search meets them; alternate-exchange edges
// do not count: they run back or beside, like dead-letter edges),
// every queue in the column after the last exchange and consumers after
// that. It returns the number of columns.
func assignLayers(g *graph) int {
	var exchanges []*node
	for _, n := range g.nodes {
		if n.kind == kindExchange {
			exchanges = append(exchanges, n)
		}
	}
	// Edges between exchanges, by source, in graph order.
	out := map[*node][]*edge{}
	for _, e := range g.edges {
		if e.item.Kind == ItemBinding && e.from.kind == kindExchange && e.to.kind == kindExchange && e.from != e.to {
			out[e.from] = append(out[e.from], e)
		}
	}
	// Depth-first from the exchanges the publisher reaches first, so that
	// their edges point forward; an edge to a node on the stack is a back
	// edge and does not count for depth.
	back := map[*edge]bool{}
	state := map[*node]int{} // 0 new, 1 on stack, 2 done
	var order []*node        // reverse post-order: a topological order of the DAG
	var visit func(n *node)
	visit = func(n *node) {
		state[n] = 1
		for _, e := range out[n] {
			switch state[e.to] {
			case 0:
				visit(e.to)
			case 1:
				back[e] = true
			}
		}
		state[n] = 2
		order = append(order, n)
	}
	var roots []*node
	for _, e := range g.edges {
		if e.item.Kind == ItemPublish {
			roots = append(roots, e.to)
		}
	}
	roots = append(roots, exchanges...)
	for _, n := range roots {
		if state[n] == 0 {
			visit(n)
		}
	}
	for _, n := range exchanges {
		n.layer = 1
	}
	for i := len(order) - 1; i >= 0; i-- {
		n := order[i]
		for _, e := range out[n] {
			if !back[e] && e.to.layer < n.layer+1 {
				e.to.layer = n.layer + 1
			}
		}
	}
	last := 0
	for _, n := range exchanges {
		last = max(last, n.layer)
	}
	queueLayer := last + 1
	layers := queueLayer + 1
	for _, n := range g.nodes {
		switch n.kind {
		case kindPublisher:
			n.layer = 0
		case kindQueue:
			n.layer = queueLayer
		case kindConsumer:
			n.layer = queueLayer + 1
			layers = queueLayer + 2
		}
	}
	return layers
}

// makeChains gives every edge its chain of nodes from its left end to its
// right end, with a dummy in each column it passes through.
func makeChains(g *graph) {
	for _, e := range g.edges {
		if e.from == e.to {
			e.self = true
			e.chain = []*node{e.from}
			continue
		}
		l, r := e.from, e.to
		if l.layer == r.layer {
			// Two exchanges in one column (an alternate exchange): the
			// edge leaves one's right side and comes back into the other's.
			e.side = true
			e.chain = []*node{l, r}
			continue
		}
		if l.layer > r.layer {
			l, r = r, l
			e.reversed = true
		}
		e.chain = []*node{l}
		for layer := l.layer + 1; layer < r.layer; layer++ {
			d := &node{kind: kindDummy, layer: layer, h: 1, dummyOf: e, item: e.item}
			g.nodes = append(g.nodes, d)
			e.chain = append(e.chain, d)
		}
		e.chain = append(e.chain, r)
	}
}

// columns groups the nodes by layer, in graph order.
func columns(g *graph, layers int) [][]*node {
	cols := make([][]*node, layers)
	for _, n := range g.nodes {
		cols[n.layer] = append(cols[n.layer], n)
	}
	for _, c := range cols {
		for i, n := range c {
			n.order = i
		}
	}
	return cols
}

// neighbours lists, for each node, the nodes next to it on a chain in the
// column before (up) and after (down).
type neighbours struct {
	before, after map[*node][]*node
}

func chainNeighbours(g *graph) neighbours {
	nb := neighbours{before: map[*node][]*node{}, after: map[*node][]*node{}}
	for _, e := range g.edges {
		for i := 0; i+1 < len(e.chain); i++ {
			a, b := e.chain[i], e.chain[i+1]
			nb.after[a] = append(nb.after[a], b)
			nb.before[b] = append(nb.before[b], a)
		}
	}
	return nb
}

// orderColumns cuts crossings: sweeps that sort each column by the
// barycentre of its neighbours in the column before (then after), keeping
// the order with the fewest crossings. Ties keep the current order, so a
// topology with nothing to untangle keeps the order it was declared in.
func orderColumns(cols [][]*node, nb neighbours) {
	best := snapshot(cols)
	bestCross := crossings(cols, nb)
	for iter := 0; iter < 8 && bestCross > 0; iter++ {
		for i := 1; i < len(cols); i++ {
			sortByBarycentre(cols[i], nb.before, len(cols[i-1]))
		}
		for i := len(cols) - 2; i >= 0; i-- {
			sortByBarycentre(cols[i], nb.after, len(cols[i+1]))
		}
		if c := crossings(cols, nb); c < bestCross {
			best, bestCross = snapshot(cols), c
		}
	}
	for i, c := range best {
		copy(cols[i], c)
		for j, n := range cols[i] {
			n.order = j
		}
	}
}

func snapshot(cols [][]*node) [][]*node {
	out := make([][]*node, len(cols))
	for i, c := range cols {
		out[i] = append([]*node(nil), c...)
	}
	return out
}

func sortByBarycentre(col []*node, adj map[*node][]*node, otherLen int) {
	if len(col) < 2 {
		return
	}
	for _, n := range col {
		ns := adj[n]
		if len(ns) == 0 {
			// Nothing pulls it: it keeps its relative place.
			n.pos = float64(n.order) / float64(len(col))
			continue
		}
		sum := 0.0
		for _, m := range ns {
			sum += float64(m.order)
		}
		n.pos = sum / float64(len(ns)) / float64(max(otherLen, 1))
	}
	sort.SliceStable(col, func(i, j int) bool { return col[i].pos < col[j].pos })
	for i, n := range col {
		n.order = i
	}
}

// crossings counts pairs of chain segments between adjacent columns whose
// ends are in opposite orders.
func crossings(cols [][]*node, nb neighbours) int {
	total := 0
	for i := 0; i+1 < len(cols); i++ {
		type seg struct{ a, b int }
		var segs []seg
		for _, n := range cols[i] {
			for _, m := range nb.after[n] {
				segs = append(segs, seg{n.order, m.order})
			}
		}
		for x := range segs {
			for y := x + 1; y < len(segs); y++ {
				s, t := segs[x], segs[y]
				if (s.a-t.a)*(s.b-t.b) < 0 {
					total++
				}
			}
		}
	}
	return total
}
