package diagram

import (
	"fmt"
	"strings"

	"github.com/warrenmq/warren/sandbox/routing"
)

type rect struct{ x, y, w, h int }

func (r rect) contains(c cell) bool {
	return c.x >= r.x && c.x < r.x+r.w && c.y >= r.y && c.y < r.y+r.h
}

func (r rect) overlaps(o rect) bool {
	return r.x < o.x+o.w && o.x < r.x+r.w && r.y < o.y+o.h && o.y < r.y+r.h
}

// checkLayout holds a layout to what a reader relies on: every exchange,
// queue and binding of the topology is drawn, no two boxes overlap, no
// line enters a box, every line is connected from its source box to its
// destination box, and every name shows in its box.
func checkLayout(l *Layout, in *Input, c *Canvas) error {
	var errs []string
	fail := func(f string, a ...any) { errs = append(errs, fmt.Sprintf(f, a...)) }
	if len(l.Unrouted) > 0 {
		fail("unrouted edges: %v", l.Unrouted)
	}
	if c.Width != l.Width || c.Height != l.Height {
		fail("canvas %dx%d, layout %dx%d", c.Width, c.Height, l.Width, l.Height)
	}
	boxes := map[string]rect{}
	var rects []rect
	var ids []string
	for _, n := range l.g.nodes {
		if n.isDummy() {
			continue
		}
		r := rect{n.x, n.y, n.w, n.h}
		if n.x < 0 || n.y < 0 || n.x+n.w > l.Width || n.y+n.h > l.Height {
			fail("box %s %v outside the %dx%d drawing", n.item.ID(), r, l.Width, l.Height)
		}
		for i, o := range rects {
			if r.overlaps(o) {
				fail("boxes %s %v and %s %v overlap", n.item.ID(), r, ids[i], o)
			}
		}
		boxes[n.item.ID()] = r
		rects = append(rects, r)
		ids = append(ids, n.item.ID())
		// The name is in the box.
		row := c.Lines()[n.y+1]
		name := n.lines[0]
		if !strings.Contains(string([]rune(row)), name) {
			fail("box %s: name %q not on its row %q", n.item.ID(), name, row)
		}
	}
	for _, x := range in.Topology.Exchanges {
		if x.Name == "" {
			continue
		}
		if _, ok := boxes[Item{Kind: ItemExchange, Name: x.Name}.ID()]; !ok {
			fail("exchange %q not drawn", x.Name)
		}
	}
	for _, q := range in.Topology.Queues {
		if _, ok := boxes[Item{Kind: ItemQueue, Name: q.Name}.ID()]; !ok {
			fail("queue %q not drawn", q.Name)
		}
	}
	drawn := map[int]bool{}
	for _, e := range l.g.edges {
		if e.item.Kind == ItemBinding {
			drawn[e.item.Binding] = true
		}
		if len(e.route) == 0 {
			fail("edge %s has no line", e.item.ID())
			continue
		}
		for i, cl := range e.route {
			for id, r := range boxes {
				if r.contains(cl) {
					fail("edge %s passes through box %s at %v", e.item.ID(), id, cl)
				}
			}
			if i > 0 {
				p := e.route[i-1]
				if abs(p.x-cl.x)+abs(p.y-cl.y) != 1 {
					fail("edge %s jumps from %v to %v", e.item.ID(), p, cl)
				}
			}
		}
		// Its ends touch its boxes: beside the port, or past the label
		// and arrowhead there.
		from, to := boxes[e.from.item.ID()], boxes[e.to.item.ID()]
		first, last := e.route[0], e.route[len(e.route)-1]
		var wantFirst, wantLast cell
		switch {
		case e.self:
			wantFirst, wantLast = cell{from.x + from.w, e.lport.y()}, cell{from.x + from.w + 1, e.rport.y()}
		case e.side:
			wantFirst, wantLast = cell{from.x + from.w, e.lport.y()}, cell{to.x + to.w + l.sideReserve(e), e.rport.y()}
		case e.reversed:
			res := l.rightReserve(e)
			if res == 0 {
				res = 1
			}
			wantFirst, wantLast = cell{from.x - 1 - res + btoi(l.rightReserve(e) == 0), e.rport.y()}, cell{to.x + to.w + 1, e.lport.y()}
		default:
			wantFirst, wantLast = cell{from.x + from.w, e.lport.y()}, cell{to.x - 1 - l.rightReserve(e), e.rport.y()}
		}
		if first != wantFirst || last != wantLast {
			fail("edge %s runs %v..%v, want %v..%v (boxes %v, %v)", e.item.ID(), first, last, wantFirst, wantLast, from, to)
		}
		if e.labelW > 0 && e.label != "" {
			row := c.Lines()[e.labelAt.y]
			if !strings.Contains(row, strings.TrimSuffix(e.label, "…")) {
				fail("edge %s: label %q not on row %d %q", e.item.ID(), e.label, e.labelAt.y, row)
			}
		}
	}
	for i := range in.Topology.Bindings {
		if !drawn[i] {
			fail("binding %d %+v not drawn", i, in.Topology.Bindings[i])
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s\n%s", strings.Join(errs, "\n"), c.String())
	}
	return nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

var _ = routing.Topic
