package diagram

// Directions, as bits of a cell's arms.
const (
	north uint8 = 1 << iota
	east
	south
	west
)

var dirs = [4]uint8{north, east, south, west}

func opposite(d uint8) uint8 {
	switch d {
	case north:
		return south
	case south:
		return north
	case east:
		return west
	}
	return east
}

func vertical(d uint8) bool { return d == north || d == south }

func step(d uint8) (dx, dy int) {
	switch d {
	case north:
		return 0, -1
	case south:
		return 0, 1
	case east:
		return 1, 0
	}
	return -1, 0
}

func bits(a uint8) int {
	n := 0
	for ; a != 0; a &= a - 1 {
		n++
	}
	return n
}

// cell is a position on the grid.
type cell struct{ x, y int }

// net is a tree of lines drawn as one: the edges leaving one port together,
// or a single edge.
type net struct {
	id     int
	edges  []*edge
	dashed bool
	start  cell
	// startArm points from the start cell to what it joins (the box or
	// the label beside it).
	startArm uint8
	sinks    []sink
}

type sink struct {
	e   *edge
	at  cell
	arm uint8 // from the end cell to what it joins
}

// grid is the routing surface: what is blocked, and which nets use which
// cells with which arms. A cell holds at most two nets, crossing at right
// angles.
type grid struct {
	w, h     int
	blocked  []bool
	owner    []int // a blocked cell one net may use anyway (-1: none)
	noCross  []bool
	isEnd    []bool   // a sink's end cell: only its own path may enter it
	reserved []bool   // a label's or an arrowhead's
	net      [2][]int // -1: free
	arms     [2][]uint8
	bias     []int // extra cost of a vertical step at column x: pulls trunks left
	ss       searchState
}

func newGrid(w, h int) *grid {
	n := w * h
	g := &grid{w: w, h: h, blocked: make([]bool, n), owner: make([]int, n), noCross: make([]bool, n), isEnd: make([]bool, n), reserved: make([]bool, n),
		bias: make([]int, w)}
	for i := range g.owner {
		g.owner[i] = -1
	}
	for k := range g.net {
		g.net[k] = make([]int, n)
		g.arms[k] = make([]uint8, n)
		for i := range g.net[k] {
			g.net[k][i] = -1
		}
	}
	return g
}

func (g *grid) in(c cell) bool    { return c.x >= 0 && c.y >= 0 && c.x < g.w && c.y < g.h }
func (g *grid) idx(c cell) int    { return c.y*g.w + c.x }
func (g *grid) at(i int) cell     { return cell{i % g.w, i / g.w} }
func (g *grid) block(c cell)      { g.setBlock(c, -1) }
func (g *grid) own(c cell, n int) { g.setBlock(c, n) }

func (g *grid) setBlock(c cell, owner int) {
	if !g.in(c) {
		return
	}
	i := g.idx(c)
	g.blocked[i] = true
	if owner >= 0 {
		g.owner[i] = owner
	}
}

// armsOf is what net n has at cell i, and whether n is there at all.
func (g *grid) armsOf(i, n int) (uint8, bool) {
	for k := range g.net {
		if g.net[k][i] == n {
			return g.arms[k][i], true
		}
	}
	return 0, false
}

func (g *grid) addArms(i, n int, a uint8) {
	for k := range g.net {
		if g.net[k][i] == n {
			g.arms[k][i] |= a
			return
		}
	}
	for k := range g.net {
		if g.net[k][i] == -1 {
			g.net[k][i], g.arms[k][i] = n, a
			return
		}
	}
}

// others is the one other net at cell i (and its arms), if any.
func (g *grid) others(i, n int) (int, uint8, int) {
	count, other, arms := 0, -1, uint8(0)
	for k := range g.net {
		if m := g.net[k][i]; m >= 0 && m != n {
			count++
			other, arms = m, g.arms[k][i]
		}
	}
	return other, arms, count
}

// Costs of the path search, in tenths of a step.
const (
	costStep         = 10
	costBend         = 25
	costCross        = 40
	costJunction     = 15
	costCombJunction = 120
)

type searchPos struct {
	i   int   // cell index
	d   uint8 // direction moved to get here
	str bool  // crossing another net here: must go on straight
}

type item struct {
	s    searchPos
	cost int
	est  int // cost plus the least the rest can cost
}

// pq is a binary min-heap of items by estimated total cost (cost so far
// plus the distance still to go), typed to spare container/heap's boxing.
type pq struct{ items []item }

func (q *pq) len() int { return len(q.items) }

func (q *pq) push(it item) {
	q.items = append(q.items, it)
	i := len(q.items) - 1
	for i > 0 {
		p := (i - 1) / 2
		if q.items[p].est <= q.items[i].est {
			break
		}
		q.items[p], q.items[i] = q.items[i], q.items[p]
		i = p
	}
}

func (q *pq) pop() item {
	top := q.items[0]
	last := len(q.items) - 1
	q.items[0] = q.items[last]
	q.items = q.items[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < last && q.items[l].est < q.items[m].est {
			m = l
		}
		if r < last && q.items[r].est < q.items[m].est {
			m = r
		}
		if m == i {
			break
		}
		q.items[m], q.items[i] = q.items[i], q.items[m]
		i = m
	}
	return top
}

func dirIndex(d uint8) int {
	switch d {
	case north:
		return 0
	case east:
		return 1
	case south:
		return 2
	}
	return 3
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// routeNet draws net n as a tree from its start to each sink, in order.
// It records each sink's path on its edge and returns the sinks it could
// not reach.
func (g *grid) routeNet(n *net, noBranch []bool) []sink {
	s := g.idx(n.start)
	g.addArms(s, n.id, n.startArm)
	parent := map[int]int{s: -1}
	tree := []int{s}
	var failed []sink
	for _, k := range n.sinks {
		path := g.search(n, tree, g.idx(k.at), k.arm, noBranch)
		if path == nil {
			failed = append(failed, k)
			continue
		}
		// path[0] is in the tree already.
		for j := 1; j < len(path); j++ {
			a, b := path[j-1], path[j]
			d := dirBetween(g.at(a), g.at(b))
			g.addArms(a, n.id, d)
			g.addArms(b, n.id, opposite(d))
			parent[b] = a
			tree = append(tree, b)
		}
		end := path[len(path)-1]
		g.addArms(end, n.id, k.arm)
		noBranch[end] = true
		var cells []cell
		for c := end; c >= 0; c = parent[c] {
			cells = append(cells, g.at(c))
		}
		for a, b := 0, len(cells)-1; a < b; a, b = a+1, b-1 {
			cells[a], cells[b] = cells[b], cells[a]
		}
		k.e.route = cells
	}
	return failed
}

func dirBetween(a, b cell) uint8 {
	switch {
	case b.x > a.x:
		return east
	case b.x < a.x:
		return west
	case b.y > a.y:
		return south
	}
	return north
}

// searchState is reused across searches: dist per searchPos, with a stamp
// telling which search wrote it.
type searchState struct {
	dist  []int
	prev  []int // previous searchPos, or -2-cell for a start from the tree
	stamp []int
	gen   int
	q     pq
}

// search finds the cheapest path from any cell of the tree to target,
// as cell indexes from a tree cell to the target.
func (g *grid) search(n *net, tree []int, target int, arrive uint8, noBranch []bool) []int {
	ss := &g.ss
	if len(ss.dist) != g.w*g.h*8 {
		ss.dist = make([]int, g.w*g.h*8)
		ss.prev = make([]int, g.w*g.h*8)
		ss.stamp = make([]int, g.w*g.h*8)
	}
	ss.gen++
	q := &ss.q
	q.items = q.items[:0]
	tc := g.at(target)
	push := func(s searchPos, cost, from int) {
		k := stateKey(s)
		if ss.stamp[k] == ss.gen && ss.dist[k] <= cost {
			return
		}
		ss.stamp[k], ss.dist[k], ss.prev[k] = ss.gen, cost, from
		c := g.at(s.i)
		q.push(item{s, cost, cost + costStep*(abs(c.x-tc.x)+abs(c.y-tc.y))})
	}
	for j, t := range tree {
		if noBranch[t] {
			continue
		}
		arms, _ := g.armsOf(t, n.id)
		if _, _, count := g.others(t, n.id); count > 0 {
			continue // a crossing: branching here would read as a junction of both
		}
		for _, d := range dirs {
			if arms&d != 0 {
				continue
			}
			nb, ok := g.enter(n, g.at(t), d, target)
			if !ok {
				continue
			}
			cost := costStep + g.stepCost(d, g.at(nb.i))
			if j > 0 {
				cost += costJunction
			}
			if arms == east|west {
				// Off the middle of a horizontal line: a comb of such
				// branches reads worse than one trunk.
				cost += costCombJunction
			}
			if bits(arms) == 3 {
				cost += costJunction // a four-way junction: fine, but a T is clearer
			}
			if bits(arms) == 1 && arms != opposite(d) {
				cost += costBend
			}
			if nb.str {
				cost += costCross
			}
			push(nb, cost, -2-t)
		}
	}
	for q.len() > 0 {
		it := q.pop()
		k := stateKey(it.s)
		if ss.dist[k] < it.cost {
			continue
		}
		if it.s.i == target {
			var cells []int
			for kk := k; ; {
				cells = append(cells, kk/8)
				p := ss.prev[kk]
				if p <= -2 {
					cells = append(cells, -2-p)
					break
				}
				kk = p
			}
			for a, b := 0, len(cells)-1; a < b; a, b = a+1, b-1 {
				cells[a], cells[b] = cells[b], cells[a]
			}
			return cells
		}
		c := g.at(it.s.i)
		for _, d := range dirs {
			if d == opposite(it.s.d) || (it.s.str && d != it.s.d) {
				continue
			}
			nb, ok := g.enter(n, c, d, target)
			if !ok {
				continue
			}
			cost := it.cost + costStep + g.stepCost(d, g.at(nb.i))
			if d != it.s.d {
				cost += costBend
			}
			if nb.i == target && d != arrive {
				cost += costBend // a corner right at the label
			}
			if nb.str {
				cost += costCross
			}
			push(nb, cost, k)
		}
	}
	return nil
}

func stateKey(s searchPos) int { return (s.i*4+dirIndex(s.d))*2 + b2i(s.str) }

func (g *grid) stepCost(d uint8, c cell) int {
	if vertical(d) {
		return g.bias[c.x]
	}
	return 0
}

// enter says whether net n may move from c in direction d, and the searchPos
// it is in there.
func (g *grid) enter(n *net, c cell, d uint8, target int) (searchPos, bool) {
	dx, dy := step(d)
	nc := cell{c.x + dx, c.y + dy}
	if !g.in(nc) {
		return searchPos{}, false
	}
	i := g.idx(nc)
	if g.blocked[i] && g.owner[i] != n.id && i != target || g.isEnd[i] && i != target {
		return searchPos{}, false
	}
	if _, mine := g.armsOf(i, n.id); mine {
		return searchPos{}, false // this net's tree already: no loops
	}
	_, arms, count := g.others(i, n.id)
	if count == 0 {
		return searchPos{i: i, d: d}, true
	}
	if count > 1 || g.noCross[i] || i == target {
		return searchPos{}, false
	}
	// Cross straight over a straight line at right angles.
	if vertical(d) && arms == east|west || !vertical(d) && arms == north|south {
		return searchPos{i: i, d: d, str: true}, true
	}
	return searchPos{}, false
}
