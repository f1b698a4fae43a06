package broker

import (
	"time"

	"github.com/warrenmq/warren/sandbox/routing"
)

// deadLetterLocked republishes dead-lettered messages to their queues'
// dead-letter exchanges, as RabbitMQ does: x-death records why, where and
// how often; a message that would go round a cycle of queues without ever
// being rejected is dropped. Dead-lettering can cascade (a dead-letter
// queue that overflows), so this works through a list. v.mu must be held
// (read); no queue lock may be held.
func (v *vhost) deadLetterLocked(dls []deadLetter) {
	if len(dls) == 0 {
		return
	}
	now := v.s.now()
	for len(dls) > 0 {
		d := dls[0]
		dls = dls[1:]
		q := d.q
		if v.s.onMessage != nil {
			v.observeDeath(d)
		}
		if q.qa.dlx == nil {
			continue
		}
		if q.qa.atLeastOnce {
			dls = append(dls, v.deadLetterHeld(d, now)...)
			continue
		}
		x := v.exchanges[*q.qa.dlx]
		if x == nil {
			// RabbitMQ drops the message when the DLX does not exist
			v.s.observe(MessageEvent{Kind: EventDeadLettered, VHost: v.name, Queue: q.name, Reason: d.reason,
				Exchange: *q.qa.dlx, RoutingKey: d.e.msg.routingKey}, d.e.msg)
			continue
		}
		m, keys := deadLettered(d.e.msg, q, d.reason, now)
		queues := v.route(x, keys, m.props.Headers, nil)
		targets := queues[:0]
		for _, target := range queues {
			if isDeadLetterCycle(m.props.Headers, target.name) {
				v.s.log.Debug("dead-letter cycle: message dropped", "queue", target.name)
				continue
			}
			targets = append(targets, target)
		}
		v.s.observe(MessageEvent{Kind: EventDeadLettered, VHost: v.name, Queue: q.name, Reason: d.reason,
			Exchange: m.exchange, RoutingKey: m.routingKey, Queues: queueNames(targets)}, m)
		v.storeLocked(m, targets)
		for _, target := range targets {
			ok, more, _ := target.enqueue(m, -1, now.UnixNano(), nil)
			if !ok {
				target.unstore(m)
			}
			dls = append(dls, more...)
		}
	}
}

// deadLettered returns the copy of m that q dead-letters for reason, and
// the routing keys to route it with.
func deadLettered(m *message, q *queue, reason string, now time.Time) (*message, []string) {
	// the message was routed once: its CC and BCC are valid
	keys, _ := routingKeys(&message{routingKey: m.routingKey, props: m.props}, nil)
	nm := &message{exchange: *q.qa.dlx, routingKey: m.routingKey, props: m.props, body: m.body, id: m.id}
	h := make(routing.Table, len(m.props.Headers)+8)
	for k, val := range m.props.Headers {
		h[k] = val
	}
	if q.qa.dlrk != nil {
		// RabbitMQ 4 keeps the CC header (3.x dropped it) but routes the
		// dead letter by x-dead-letter-routing-key alone
		nm.routingKey = *q.qa.dlrk
		if q.v.s.v3 {
			delete(h, "CC")
		}
	}
	rks := make([]any, len(keys))
	for i, k := range keys {
		rks[i] = k
	}
	death := routing.Table{
		"count":        int64(1),
		"reason":       reason,
		"queue":        q.name,
		"time":         now.Truncate(time.Second),
		"exchange":     m.exchange,
		"routing-keys": rks,
	}
	if m.props.Expiration != "" {
		death["original-expiration"] = m.props.Expiration
		nm.props.Expiration = ""
	}
	deaths := []any{death}
	if old, ok := h["x-death"].([]any); ok {
		for _, o := range old {
			t, ok := o.(routing.Table)
			if !ok {
				continue
			}
			if t["queue"] == q.name && t["reason"] == reason {
				// the same queue and reason again: count it, newest first
				n, _ := intArg(t["count"])
				death["count"] = n + 1
				continue
			}
			deaths = append(deaths, t)
		}
	}
	h["x-death"] = deaths
	if _, ok := h["x-first-death-reason"]; !ok {
		h["x-first-death-reason"] = reason
		h["x-first-death-queue"] = q.name
		h["x-first-death-exchange"] = m.exchange
	}
	h["x-last-death-reason"] = reason
	h["x-last-death-queue"] = q.name
	h["x-last-death-exchange"] = m.exchange
	nm.props.Headers = h
	if q.qa.dlrk != nil {
		return nm, []string{*q.qa.dlrk}
	}
	return nm, keys
}

// isDeadLetterCycle reports whether dead-lettering to queue would repeat a
// cycle in which no message was rejected (only expiries and overflows):
// RabbitMQ drops such a message instead of looping forever.
func isDeadLetterCycle(h routing.Table, queue string) bool {
	deaths, _ := h["x-death"].([]any)
	seen := false
	for _, o := range deaths {
		t, ok := o.(routing.Table)
		if !ok {
			continue
		}
		if t["reason"] == "rejected" {
			return false
		}
		if t["queue"] == queue {
			seen = true
		}
	}
	return seen
}

// deadLetter is a message leaving a queue for its dead-letter exchange.
type deadLetter struct {
	q      *queue
	e      *entry
	reason string // expired, maxlen, rejected
}
