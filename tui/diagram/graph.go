package diagram

import (
	"github.com/warrenmq/warren/sandbox/routing"
)

// column kinds, left to right.
type nodeKind int

const (
	kindPublisher nodeKind = iota
	kindExchange
	kindQueue
	kindConsumer
	kindDummy // a long edge's passage through a column
)

// node is a box (or a dummy passage) of the layout.
type node struct {
	item  Item
	kind  nodeKind
	title string   // drawn in the top border: an exchange's type
	foot  string   // drawn in the bottom border: a queue's counts
	lines []string // content rows
	layer int
	order int     // index within its layer, top to bottom
	pos   float64 // barycentre during ordering
	x, y  int
	w, h  int
	// ports on the left and right sides, top to bottom after placement.
	left, right []*port
	dummyOf     *edge // for a dummy: the edge passing through
}

func (n *node) isDummy() bool { return n.kind == kindDummy }

// edgeKind tells how an edge is drawn.
type edgeStyle int

const (
	solid edgeStyle = iota
	dashed
)

// edge is an item drawn as a line from one box to another.
type edge struct {
	item     Item
	from, to *node // the true direction: from the source to the destination
	label    string
	style    edgeStyle
	dimLabel bool // a fanout binding's key: ignored, shown dim
	// group joins edges that leave one port together (an exchange's
	// bindings, the publisher's edges, a queue's consumers): they share a
	// trunk. Empty: the edge has a port of its own.
	group string

	// Set by the layout.
	reversed bool    // drawn from its destination's column to its source's
	self     bool    // source == destination
	side     bool    // between two boxes of one column: right side to right side
	chain    []*node // left node, dummies, right node
	lport    *port   // on the right side of chain[0]
	rport    *port   // on the left side of chain[len-1]
	route    []cell  // routed cells, from the start of its net to its sink
	labelAt  cell    // first cell of the label
	labelW   int
	footnote int // >0: the label was shortened; the number of its note
}

// leftEnd and rightEnd are the nodes at the edge's drawn ends.
func (e *edge) leftEnd() *node  { return e.chain[0] }
func (e *edge) rightEnd() *node { return e.chain[len(e.chain)-1] }

// port is where edges meet a box side.
type port struct {
	node  *node
	right bool // on the right side (else the left)
	row   int  // offset from the box's top
	edges []*edge
	// out says that the edges leave the box here (else they arrive: an
	// arrowhead is drawn beside the box).
	out bool
}

// graph is the diagram before layout.
type graph struct {
	nodes []*node
	edges []*edge
	byID  map[string]*node
}

func (g *graph) add(n *node) *node {
	if old := g.byID[n.item.ID()]; old != nil {
		return old
	}
	g.byID[n.item.ID()] = n
	g.nodes = append(g.nodes, n)
	return n
}

func (g *graph) connect(e *edge) { g.edges = append(g.edges, e) }

// buildGraph turns an Input into boxes and edges, with labels as lab says.
func buildGraph(in *Input, lab *labeler) *graph {
	g := &graph{byID: map[string]*node{}}
	t := &in.Topology
	publisher := g.add(&node{item: Item{Kind: ItemPublisher, Binding: -1}, kind: kindPublisher, lines: []string{"publisher"}})
	if lab.noPublisher {
		publisher.lines = []string{"P"}
	}

	exchanges := map[string]*routing.Exchange{}
	for i := range t.Exchanges {
		x := &t.Exchanges[i]
		if _, dup := exchanges[x.Name]; dup || x.Name == "" {
			continue
		}
		exchanges[x.Name] = x
		g.add(exchangeNode(x, lab))
	}
	declaredQueue := map[string]*routing.Queue{}
	for i := range t.Queues {
		q := &t.Queues[i]
		if _, dup := declaredQueue[q.Name]; dup {
			continue
		}
		declaredQueue[q.Name] = q
		g.add(queueNode(q, in.Counts, lab))
	}
	// exchangeRef and queueRef find or make the box a name refers to: a
	// name that is not declared is drawn as missing.
	exchangeRef := func(name string) *node {
		if name == "" {
			return g.add(defaultExchangeNode(lab))
		}
		if n := g.byID[Item{Kind: ItemExchange, Name: name}.ID()]; n != nil {
			return n
		}
		return g.add(&node{item: Item{Kind: ItemExchange, Name: name, Binding: -1, Missing: true},
			kind: kindExchange, title: "missing", lines: []string{lab.name(name)}})
	}
	queueRef := func(name string) *node {
		if n := g.byID[Item{Kind: ItemQueue, Name: name}.ID()]; n != nil {
			return n
		}
		return g.add(&node{item: Item{Kind: ItemQueue, Name: name, Binding: -1, Missing: true},
			kind: kindQueue, title: "missing", lines: []string{lab.name(name)}})
	}

	// The publisher's edges.
	published := map[string]bool{}
	defaultKeys := []string{}
	for _, p := range in.Publishes {
		if p.Exchange == "" {
			if declaredQueue[p.RoutingKey] != nil && !contains(defaultKeys, p.RoutingKey) {
				defaultKeys = append(defaultKeys, p.RoutingKey)
			}
		}
		if published[p.Exchange] {
			continue
		}
		published[p.Exchange] = true
	}
	if len(in.Publishes) == 0 {
		// An exchange only itself leads to (a self-binding, its own
		// alternate) is still an entry.
		led := map[string]bool{}
		for _, b := range t.Bindings {
			if b.DestinationType == routing.ToExchange && b.Destination != b.Source {
				led[b.Destination] = true
			}
		}
		for _, x := range t.Exchanges {
			if ae := x.AlternateExchange(); ae != "" && ae != x.Name {
				led[ae] = true
			}
		}
		for _, q := range t.Queues {
			if dlx, ok := deadLetterExchange(q); ok {
				led[dlx] = true
			}
		}
		for _, x := range t.Exchanges {
			if x.Name != "" && !x.Internal && !led[x.Name] {
				published[x.Name] = true
			}
		}
		if len(published) == 0 {
			// Everything is led to from somewhere (a cycle): the
			// publisher still has to start somewhere.
			for _, x := range t.Exchanges {
				if x.Name != "" && !x.Internal {
					published[x.Name] = true
					break
				}
			}
		}
	}
	for _, p := range orderedPublishes(in, published) {
		x := exchangeRef(p)
		g.connect(&edge{item: Item{Kind: ItemPublish, Target: p, Binding: -1}, from: publisher, to: x, group: "publish"})
	}
	if len(defaultKeys) > 0 {
		def := exchangeRef("")
		for _, k := range defaultKeys {
			g.connect(&edge{item: Item{Kind: ItemDefaultBinding, Target: k, Binding: -1},
				from: def, to: queueRef(k), label: lab.key(k), group: "x:"})
		}
	}

	for i, b := range t.Bindings {
		src := exchangeRef(b.Source)
		var dst *node
		if b.DestinationType == routing.ToExchange {
			dst = exchangeRef(b.Destination)
		} else {
			dst = queueRef(b.Destination)
		}
		var xt routing.ExchangeType
		if x := exchanges[b.Source]; x != nil {
			xt = x.Type
		}
		e := &edge{item: Item{Kind: ItemBinding, Name: b.Source, Target: b.Destination, Binding: i},
			from: src, to: dst, group: "x:" + b.Source}
		e.label, e.dimLabel = lab.binding(b, xt)
		g.connect(e)
	}
	for _, x := range t.Exchanges {
		if ae := x.AlternateExchange(); ae != "" && g.byID[Item{Kind: ItemExchange, Name: x.Name}.ID()] != nil {
			g.connect(&edge{item: Item{Kind: ItemAlternate, Name: x.Name, Target: ae, Binding: -1},
				from: exchangeRef(x.Name), to: exchangeRef(ae), label: lab.word("alternate", "ae"), style: dashed})
		}
	}
	for _, q := range t.Queues {
		dlx, ok := deadLetterExchange(q)
		if !ok {
			continue
		}
		label := lab.word("dead-letter", "dlx")
		if k, ok := q.Arguments["x-dead-letter-routing-key"].(string); ok {
			label += " " + lab.key(k)
		}
		g.connect(&edge{item: Item{Kind: ItemDeadLetter, Name: q.Name, Target: dlx, Binding: -1},
			from: queueRef(q.Name), to: exchangeRef(dlx), label: label, style: dashed})
	}
	for _, c := range in.Consumers {
		cn := g.add(consumerNode(c, lab))
		g.connect(&edge{item: Item{Kind: ItemConsume, Name: c.Queue, Target: c.Name, Binding: -1},
			from: queueRef(c.Queue), to: cn, group: "q:" + c.Queue})
	}
	if lab.truncate > 0 {
		lab.footnoteLabels(g.edges)
	}
	return g
}

// orderedPublishes lists the exchanges published to: in the order of the
// topology, the default exchange first, then any the topology lacks.
func orderedPublishes(in *Input, published map[string]bool) []string {
	var out []string
	seen := map[string]bool{}
	take := func(name string) {
		if published[name] && !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	for _, x := range in.Topology.Exchanges {
		take(x.Name)
	}
	take("")
	for _, p := range in.Publishes {
		take(p.Exchange)
	}
	return out
}

// deadLetterExchange is a queue's x-dead-letter-exchange argument.
func deadLetterExchange(q routing.Queue) (string, bool) {
	s, ok := q.Arguments["x-dead-letter-exchange"].(string)
	return s, ok
}

func exchangeNode(x *routing.Exchange, lab *labeler) *node {
	n := &node{item: Item{Kind: ItemExchange, Name: x.Name, Binding: -1}, kind: kindExchange,
		title: lab.name(string(x.Type)), lines: []string{lab.name(x.Name)}}
	if x.Internal {
		n.lines = append(n.lines, "internal")
	}
	return n
}

func defaultExchangeNode(lab *labeler) *node {
	return &node{item: Item{Kind: ItemExchange, Name: "", Binding: -1}, kind: kindExchange,
		title: "direct", lines: []string{lab.word("(AMQP default)", "(default)")}}
}

func queueNode(q *routing.Queue, counts map[string]QueueCounts, lab *labeler) *node {
	n := &node{item: Item{Kind: ItemQueue, Name: q.Name, Binding: -1}, kind: kindQueue, lines: []string{lab.name(q.Name)}}
	if qt, ok := q.Arguments["x-queue-type"].(string); ok && qt != "classic" {
		n.title = lab.name(qt)
	}
	if c, ok := counts[q.Name]; ok {
		// In the bottom border: a box stays three rows high.
		n.foot = lab.counts(c)
	}
	return n
}

func consumerNode(c Consumer, lab *labeler) *node {
	return &node{item: Item{Kind: ItemConsumer, Name: c.Name, Target: c.Queue, Binding: -1}, kind: kindConsumer,
		lines: []string{lab.name(c.Name), lab.consumerMode(c)}}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
