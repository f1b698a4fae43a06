package broker

import (
	"fmt"
	"sort"

	"github.com/warrenmq/warren/sandbox/broker/wire"
	"github.com/warrenmq/warren/sandbox/routing"
)

// What a test library reads of the broker without a client: a vhost's
// whole live topology in the routing model's terms (to explain a route
// with the model), and a queue's messages as they are now.

// Topology is vhost's exchanges (the amq.* ones included, not the
// default exchange, which the model knows), queues (exclusive ones
// included) and bindings, as the broker routes by them now.
func (s *Server) Topology(vhost string) (routing.Topology, error) {
	v, err := s.vhostNamed(vhost)
	if err != nil {
		return routing.Topology{}, err
	}
	v.mu.RLock()
	defer v.mu.RUnlock()
	var t routing.Topology
	for _, x := range v.exchanges {
		if x.name == "" {
			continue
		}
		t.Exchanges = append(t.Exchanges, routing.Exchange{Name: x.name, Type: routing.ExchangeType(x.kind), Durable: x.durable,
			AutoDelete: x.autoDelete, Internal: x.internal, Arguments: x.args})
		for _, b := range x.bindings {
			dt := routing.ToQueue
			if b.toExchange {
				dt = routing.ToExchange
			}
			t.Bindings = append(t.Bindings, routing.Binding{Source: b.source, Destination: b.dest, DestinationType: dt,
				RoutingKey: b.key, Arguments: b.args})
		}
	}
	for _, q := range v.queues {
		t.Queues = append(t.Queues, routing.Queue{Name: q.name, Durable: q.durable, AutoDelete: q.autoDelete, Exclusive: q.exclusive, Arguments: q.args})
	}
	sort.Slice(t.Exchanges, func(i, j int) bool { return t.Exchanges[i].Name < t.Exchanges[j].Name })
	sort.Slice(t.Queues, func(i, j int) bool { return t.Queues[i].Name < t.Queues[j].Name })
	sort.SliceStable(t.Bindings, func(i, j int) bool {
		a, b := t.Bindings[i], t.Bindings[j]
		if a.Source != b.Source {
			return a.Source < b.Source
		}
		if a.Destination != b.Destination {
			return a.Destination < b.Destination
		}
		return a.RoutingKey < b.RoutingKey
	})
	return t, nil
}

// RouteNow is where the broker itself would route a message published now
// to exchange with these routing key and headers: the queues, sorted. An
// exchange that does not exist or is internal is the error publishing
// would raise.
func (s *Server) RouteNow(vhost, exchange, routingKey string, headers routing.Table) ([]string, error) {
	v, err := s.vhostNamed(vhost)
	if err != nil {
		return nil, err
	}
	m := &message{exchange: exchange, routingKey: routingKey, props: wire.Properties{Headers: headers}}
	v.mu.RLock()
	defer v.mu.RUnlock()
	x, werr := v.publishableLocked(exchange)
	if werr != nil {
		return nil, werr
	}
	keys, werr := routingKeys(m, nil)
	if werr != nil {
		return nil, werr
	}
	names := queueNames(v.route(x, keys, m.props.Headers, nil))
	sort.Strings(names)
	return names, nil
}

// QueuedMessage is a message a queue holds: ready (waiting, in delivery
// order), unacked (delivered, not yet settled) or held (a dead letter of
// an at-least-once queue waiting to be placed).
type QueuedMessage struct {
	ID          uint64 // Options.OnMessage's MessageID; 0 without a hook
	State       string // "ready", "unacked" or "held"
	Exchange    string
	RoutingKey  string
	Properties  wire.Properties
	Body        []byte
	Redelivered bool
	// DeliveryCount is a quorum queue's x-delivery-count: the times it
	// was returned.
	DeliveryCount int
	// ConsumerTag and DeliveryTag say who holds an unacked message
	// (ConsumerTag "" for basic.get).
	ConsumerTag string
	DeliveryTag uint64
}

// QueueMessages lists a queue's messages: the ready ones in the order
// they will be delivered, then the unacked ones by channel and delivery
// tag, then the held dead letters. A stream lists the messages it
// retains, as ready.
func (s *Server) QueueMessages(vhost, queue string) ([]QueuedMessage, error) {
	v, err := s.vhostNamed(vhost)
	if err != nil {
		return nil, err
	}
	v.mu.RLock()
	q := v.queues[queue]
	v.mu.RUnlock()
	if q == nil {
		return nil, fmt.Errorf("%w: no queue '%s' in vhost '%s'", ErrNotFound, queue, vhost)
	}
	var out []QueuedMessage
	mk := func(m *message, state string) QueuedMessage {
		return QueuedMessage{ID: m.id, State: state, Exchange: m.exchange, RoutingKey: m.routingKey, Properties: m.props, Body: m.body}
	}
	q.mu.Lock()
	if q.stream != nil {
		for _, e := range q.stream.entries {
			out = append(out, mk(e.msg, "ready"))
		}
	}
	for _, e := range q.ready.items[q.ready.head:] {
		qm := mk(e.msg, "ready")
		qm.Redelivered, qm.DeliveryCount = e.redelivered, int(e.deliveries)
		out = append(out, qm)
	}
	var held []QueuedMessage
	for _, h := range q.held {
		held = append(held, mk(h.m, "held"))
	}
	q.mu.Unlock()
	for _, c := range s.openConns() {
		for _, ch := range c.channelList() {
			ch.mu.Lock()
			for _, p := range ch.unacked {
				if p.done || p.q != q {
					continue
				}
				qm := mk(p.e.msg, "unacked")
				qm.Redelivered, qm.DeliveryCount = p.e.redelivered, int(p.e.deliveries)
				qm.ConsumerTag, qm.DeliveryTag = consumerTagOf(p), p.tag
				out = append(out, qm)
			}
			ch.mu.Unlock()
		}
	}
	return append(out, held...), nil
}
