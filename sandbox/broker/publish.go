package broker

import (
	"strings"

	"github.com/warrenmq/warren/sandbox/broker/wire"
	"github.com/warrenmq/warren/sandbox/routing"
)

// publish routes m from exchange and enqueues it. It reports whether any
// queue received it (routed), and whether a queue refused it
// (x-overflow reject-publish: a confirm nack). hold is set when the
// publishing connection from should now wait for a queue to drain.
func (v *vhost) publish(exchange string, m *message, from *conn) (routed, rejected bool, hold flowHold, err *wire.Error) {
	ttl, err := parseExpiration(m.props.Expiration)
	if err != nil {
		return false, false, hold, err
	}
	v.mu.RLock()
	defer v.mu.RUnlock()
	x, err := v.publishableLocked(exchange)
	if err != nil {
		return false, false, hold, err
	}
	var keyBuf [1]string
	keys, err := routingKeys(m, keyBuf[:0])
	if err != nil {
		return false, false, hold, err
	}
	if x.name == "" && strings.HasPrefix(m.routingKey, replyToPrefix) {
		// a reply to a direct reply-to request: straight to its consumer
		if rc := v.replies.lookup(m.routingKey); rc != nil {
			return rc.deliverReply(m, m.routingKey), false, hold, nil
		}
		return false, false, hold, nil
	}
	var buf [8]*queue
	queues := v.route(x, keys, m.props.Headers, buf[:0])
	v.tracePublished(x.name, m, keys, queues)
	if v.s.onMessage != nil {
		m.id = v.s.nextMsgID.Add(1)
		v.s.observe(MessageEvent{Kind: EventPublished, VHost: v.name, Queues: queueNames(queues)}, m)
	}
	if len(queues) == 0 {
		return false, false, hold, nil
	}
	v.storeLocked(m, queues)
	now := v.s.nowNano()
	var dls []deadLetter
	for _, q := range queues {
		ok, d, gate := q.enqueue(m, ttl, now, from)
		if !ok {
			rejected = true
			q.unstore(m)
			v.s.observe(MessageEvent{Kind: EventRefused, VHost: v.name, Queue: q.name, Reason: "x-overflow " + q.qa.overflow}, m)
		}
		if gate != nil && hold.gate == nil {
			// one queue at a time: the next publish finds the others
			hold = flowHold{q: q, gate: gate}
		}
		dls = append(dls, d...)
	}
	v.deadLetterLocked(dls)
	return true, rejected, hold, nil
}

// flowHold is a queue a publisher should wait for, and the channel to wait
// on (flow.go).
type flowHold struct {
	q    *queue
	gate chan struct{}
}

// routingKeys are the message's routing key plus the CC and BCC headers
// (sender-selected distribution); BCC is removed from what is delivered.
// As in RabbitMQ's header_routes, only an array's longstr elements count
// (a byte array is not a routing key) and a CC or BCC that is not an array
// refuses the message. buf is where to put the keys (the caller's stack:
// no allocation for the usual single key).
func routingKeys(m *message, buf []string) ([]string, *wire.Error) {
	keys := append(buf, m.routingKey)
	h := m.props.Headers
	if h == nil {
		return keys, nil
	}
	_, hasCC := h["CC"]
	_, hasBCC := h["BCC"]
	if !hasCC && !hasBCC {
		return keys, nil
	}
	for _, k := range []string{"CC", "BCC"} {
		v, ok := h[k]
		if !ok {
			continue
		}
		arr, ok := v.([]any)
		if !ok {
			return nil, wire.Errorf(wire.PreconditionFailed, "invalid message: {unacceptable_type_in_header,\"%s\",%s}", k, routing.TypeName(v))
		}
		for _, e := range arr {
			if s, ok := e.(string); ok {
				keys = append(keys, s)
			}
		}
	}
	if hasBCC {
		nh := make(routing.Table, len(h))
		for k, val := range h {
			if k != "BCC" {
				nh[k] = val
			}
		}
		m.props.Headers = nh
	}
	return keys, nil
}

// checkPublishable reports the error publishing to exchange would raise.
func (v *vhost) checkPublishable(exchange string) *wire.Error {
	v.mu.RLock()
	defer v.mu.RUnlock()
	_, err := v.publishableLocked(exchange)
	return err
}

// publishableLocked returns the exchange a publish names, or RabbitMQ's
// error for one that does not exist or is internal. v.mu must be held.
func (v *vhost) publishableLocked(exchange string) (*exchange, *wire.Error) {
	x := v.exchanges[exchange]
	if x == nil {
		return nil, v.noExchange(exchange)
	}
	if x.internal {
		return nil, wire.Errorf(wire.AccessRefused, "cannot publish to internal %s", v.exchangeRes(exchange))
	}
	return x, nil
}

// route finds the queues a message published to x with these routing keys
// reaches, following exchange-to-exchange bindings and alternate exchanges
// as RabbitMQ's rabbit_exchange:route does. It needs v.mu held (read).
func (v *vhost) route(x *exchange, keys []string, headers routing.Table, queues []*queue) []*queue {
	if x.name == "" {
		for _, k := range keys {
			if q := v.queues[k]; q != nil {
				queues = appendQueue(queues, q)
			}
		}
		return queues
	}
	var workBuf, seenBuf [8]*exchange
	var matchBuf [16]*binding
	work := append(workBuf[:0], x)
	seen := append(seenBuf[:0], x)
	for len(work) > 0 {
		cur := work[len(work)-1]
		work = work[:len(work)-1]
		matched := matchBuf[:0]
		for _, k := range keys {
			matched = cur.router.match(k, headers, matched)
		}
		for _, b := range matched {
			if !b.toExchange {
				if q := v.queues[b.dest]; q != nil {
					queues = appendQueue(queues, q)
				}
				continue
			}
			if nx := v.exchanges[b.dest]; nx != nil && !containsExchange(seen, nx) {
				seen = append(seen, nx)
				work = append(work, nx)
			}
		}
		if len(matched) == 0 && cur.alternate != nil {
			if ax := v.exchanges[*cur.alternate]; ax != nil && !containsExchange(seen, ax) {
				seen = append(seen, ax)
				work = append(work, ax)
			}
		}
	}
	return queues
}

func containsExchange(l []*exchange, x *exchange) bool {
	for _, e := range l {
		if e == x {
			return true
		}
	}
	return false
}

func appendQueue(l []*queue, q *queue) []*queue {
	for _, e := range l {
		if e == q {
			return l
		}
	}
	return append(l, q)
}
