package diagram

import (
	"fmt"
	"strconv"
)

// ItemKind says what a diagram item is: a box (publisher, exchange, queue,
// consumer) or an edge.
type ItemKind int

const (
	ItemPublisher ItemKind = iota
	ItemExchange
	ItemQueue
	ItemConsumer
	// ItemBinding is a binding of the topology; Item.Binding is its index
	// in Topology.Bindings.
	ItemBinding
	// ItemDefaultBinding is the default exchange's implicit binding to the
	// queue Item.Target (routing key = the queue's name).
	ItemDefaultBinding
	// ItemPublish is the publisher's edge to the exchange Item.Target.
	ItemPublish
	// ItemAlternate is exchange Item.Name's alternate-exchange argument,
	// leading to Item.Target.
	ItemAlternate
	// ItemDeadLetter is queue Item.Name's x-dead-letter-exchange argument,
	// leading to Item.Target ("" is the default exchange).
	ItemDeadLetter
	// ItemConsume joins queue Item.Name to its consumer Item.Target.
	ItemConsume
)

func (k ItemKind) String() string {
	switch k {
	case ItemPublisher:
		return "publisher"
	case ItemExchange:
		return "exchange"
	case ItemQueue:
		return "queue"
	case ItemConsumer:
		return "consumer"
	case ItemBinding:
		return "binding"
	case ItemDefaultBinding:
		return "default binding"
	case ItemPublish:
		return "publish"
	case ItemAlternate:
		return "alternate exchange"
	case ItemDeadLetter:
		return "dead-letter exchange"
	case ItemConsume:
		return "consume"
	}
	return "item " + strconv.Itoa(int(k))
}

// Item is one thing drawn: a box or an edge.
type Item struct {
	Kind ItemKind
	// Name is a box's name (the default exchange is ""), or an edge's
	// source: the exchange of a binding, the queue of a dead-letter edge.
	Name string
	// Target is an edge's destination.
	Target string
	// Binding is the index in Topology.Bindings of an ItemBinding, else -1.
	Binding int
	// Missing is set for a box named by a binding or an argument but not
	// declared in the topology.
	Missing bool
}

// IsEdge says whether the item is an edge rather than a box.
func (it Item) IsEdge() bool { return it.Kind >= ItemBinding }

// ID is a stable key for the item, the same across layouts of the same
// topology: a caller keeps a selection by it.
func (it Item) ID() string {
	switch it.Kind {
	case ItemBinding:
		return "b:" + strconv.Itoa(it.Binding)
	case ItemPublisher:
		return "p:"
	case ItemExchange, ItemQueue, ItemConsumer:
		return fmt.Sprintf("%c:%s", "xqc"[it.Kind-ItemExchange], it.Name)
	}
	return fmt.Sprintf("%d:%s\x00%s", it.Kind, it.Name, it.Target)
}
