package broker

import (
	"fmt"
	"os"
	"slices"
	"sync"

	"github.com/warrenmq/warren/sandbox/broker/wire"
	"github.com/warrenmq/warren/sandbox/routing"
)

// The firehose tracer, as RabbitMQ's rabbit_trace has it: while tracing is
// on for a vhost (rabbitmqctl trace_on -p VHOST; here Server.SetTracing),
// every message published in it is copied to its exchange
// amq.rabbitmq.trace with routing key "publish.<exchange>", and every
// delivery to a consumer or basic.get with "deliver.<queue>". A copy has
// the message's body and no properties of its own; its headers say what
// happened, with RabbitMQ's names and types:
//
//	exchange_name  longstr    the exchange published to ("" the default)
//	routing_keys   array      the routing key, then CC and BCC
//	properties     table      the message's properties that are set
//	routed_queues  array      (publish) the queues the message was routed to;
//	                          for the default exchange, as in RabbitMQ, the
//	                          queues its routing keys name, existing or not
//	redelivered    signedint  (deliver) 0 or 1
//	node           longstr    the broker ("warren@HOST")
//	vhost, user    longstr    where, and who published or consumed
//	connection     longstr    "client-addr -> server-addr"
//	channel        signedint  the channel's number
//
// Messages published to amq.rabbitmq.trace itself, and deliveries of
// them, are not traced. The copies are made where the publish and the
// delivery happen, under their locks, onto a list the vhost's tracer
// goroutine publishes from, in order; so a publish's copy always comes
// before the copies of its deliveries.

// TraceExchange is the exchange the firehose publishes to, in every vhost.
const TraceExchange = "amq.rabbitmq.trace"

// traceSource is who published a message, for its publish trace.
type traceSource struct {
	connection string
	channel    uint16
	user       string
}

// traceEvent is one copy to publish to the trace exchange.
type traceEvent struct {
	key     string
	headers routing.Table
	body    []byte
}

// tracer is a vhost's firehose while tracing is on.
type tracer struct {
	v      *vhost
	node   string
	mu     sync.Mutex
	events []traceEvent
	wake   chan struct{} // cap 1: events were added
	stop   chan struct{} // closed: publish what is left and exit
	done   chan struct{} // closed when the goroutine has exited
}

var nodeName = sync.OnceValue(func() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		h = "localhost"
	}
	return "warren@" + h
})

// SetTracing turns the firehose tracer of vhost on or off, as
// `rabbitmqctl trace_on -p VHOST` / trace_off do. Turning it on twice (or
// off twice) is harmless.
func (s *Server) SetTracing(vhost string, on bool) error {
	v := s.lookupVHost(vhost)
	if v == nil {
		return fmt.Errorf("%w: no vhost '%s'", ErrNotFound, vhost)
	}
	if !on {
		v.stopTracing()
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutdown {
		return fmt.Errorf("the broker is shut down")
	}
	t := &tracer{v: v, node: nodeName(), wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	if !v.tracer.CompareAndSwap(nil, t) {
		return nil // on already
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t.run()
	}()
	return nil
}

// Tracing reports whether the firehose tracer of vhost is on.
func (s *Server) Tracing(vhost string) bool {
	v := s.lookupVHost(vhost)
	return v != nil && v.tracer.Load() != nil
}

// stopTracing turns the vhost's tracer off and waits for its goroutine to
// publish what it had and exit.
func (v *vhost) stopTracing() {
	t := v.tracer.Swap(nil)
	if t == nil {
		return
	}
	close(t.stop)
	<-t.done
}

func (t *tracer) run() {
	defer close(t.done)
	for {
		select {
		case <-t.wake:
			t.flush()
		case <-t.stop:
			t.flush()
			return
		}
	}
}

func (t *tracer) add(e traceEvent) {
	t.mu.Lock()
	t.events = append(t.events, e)
	t.mu.Unlock()
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// flush publishes the events listed so far to the trace exchange.
func (t *tracer) flush() {
	t.mu.Lock()
	events := t.events
	t.events = nil
	t.mu.Unlock()
	if len(events) == 0 {
		return
	}
	v := t.v
	v.mu.RLock()
	defer v.mu.RUnlock()
	x := v.exchanges[TraceExchange]
	if x == nil {
		return
	}
	now := v.s.nowNano()
	var dls []deadLetter
	for _, e := range events {
		m := &message{exchange: TraceExchange, routingKey: e.key, props: wire.Properties{Headers: e.headers}, body: e.body}
		var buf [4]*queue
		for _, q := range v.route(x, []string{e.key}, nil, buf[:0]) {
			_, d, _ := q.enqueue(m, 0, now, nil)
			dls = append(dls, d...)
		}
	}
	v.deadLetterLocked(dls)
}

// traceSourceFor is the publisher of a message on channel ch, when its
// vhost is being traced (nil otherwise: nothing is recorded).
func (ch *channel) traceSourceFor() *traceSource {
	if ch.conn.vh == nil || ch.conn.vh.tracer.Load() == nil {
		return nil
	}
	return &traceSource{connection: ch.conn.traceName(), channel: ch.id, user: ch.conn.user}
}

func (c *conn) traceName() string {
	return c.nc.RemoteAddr().String() + " -> " + c.nc.LocalAddr().String()
}

// tracePublished records a publish of m to exchange, routed to queues.
// v.mu is held (read).
func (v *vhost) tracePublished(exchange string, m *message, keys []string, queues []*queue) {
	t := v.tracer.Load()
	if t == nil || exchange == TraceExchange || m.trace == nil {
		return
	}
	var routed []any
	if exchange == "" {
		// As RabbitMQ does, the default exchange reports the queues its
		// routing keys name, whether or not they exist.
		for _, k := range keys {
			if !slices.Contains(routed, any(k)) {
				routed = append(routed, k)
			}
		}
	} else {
		for _, q := range queues {
			routed = append(routed, q.name)
		}
	}
	if routed == nil {
		routed = []any{}
	}
	h := t.headers(exchange, keys, m, m.trace)
	h["routed_queues"] = routed
	t.add(traceEvent{key: "publish." + exchange, headers: h, body: m.body})
}

// traceDelivered records the delivery of e from queue on channel ch (to a
// consumer or basic.get). It may be called under the queue's lock.
func (ch *channel) traceDelivered(queue string, e *entry) {
	v := ch.conn.vh
	if v == nil {
		return
	}
	t := v.tracer.Load()
	if t == nil || e.msg.exchange == TraceExchange {
		return
	}
	keys, _ := routingKeys(&message{routingKey: e.msg.routingKey, props: e.msg.props}, nil)
	h := t.headers(e.msg.exchange, keys, e.msg, &traceSource{connection: ch.conn.traceName(), channel: ch.id, user: ch.conn.user})
	redelivered := int32(0)
	if e.redelivered {
		redelivered = 1
	}
	h["redelivered"] = redelivered
	t.add(traceEvent{key: "deliver." + queue, headers: h, body: e.msg.body})
}

func (t *tracer) headers(exchange string, keys []string, m *message, src *traceSource) routing.Table {
	rks := make([]any, len(keys))
	for i, k := range keys {
		rks[i] = k
	}
	return routing.Table{
		"exchange_name": exchange,
		"routing_keys":  rks,
		"properties":    propertiesTable(m.props),
		"node":          t.node,
		"vhost":         t.v.name,
		"connection":    src.connection,
		"channel":       int32(src.channel),
		"user":          src.user,
	}
}

// propertiesTable is a message's properties as RabbitMQ's trace shows
// them: the ones that are set, integers as signedint, the timestamp in
// seconds.
func propertiesTable(p wire.Properties) routing.Table {
	t := routing.Table{}
	str := func(k, v string) {
		if v != "" {
			t[k] = v
		}
	}
	str("content_type", p.ContentType)
	str("content_encoding", p.ContentEncoding)
	if p.Headers != nil {
		t["headers"] = p.Headers
	}
	if p.DeliveryMode != 0 {
		t["delivery_mode"] = int32(p.DeliveryMode)
	}
	if p.Priority != 0 {
		t["priority"] = int32(p.Priority)
	}
	str("correlation_id", p.CorrelationID)
	str("reply_to", p.ReplyTo)
	str("expiration", p.Expiration)
	str("message_id", p.MessageID)
	if !p.Timestamp.IsZero() {
		t["timestamp"] = int32(p.Timestamp.Unix())
	}
	str("type", p.Type)
	str("user_id", p.UserID)
	str("app_id", p.AppID)
	str("cluster_id", p.ClusterID)
	return t
}
