package broker

import (
	"time"

	"github.com/warrenmq/warren/sandbox/broker/wire"
)

// The consumer timeout, as RabbitMQ 4.1 and 4.2 have it (rabbit_channel's
// evaluate_consumer_timeout): while a channel has unacknowledged
// deliveries it ticks once a minute (channel_tick_interval), and at each
// tick looks at its oldest one; if that was delivered longer ago than the
// timeout of its queue (x-consumer-timeout, else the broker's
// consumer_timeout, Options.ConsumerTimeout), the channel is closed with
// 406 PRECONDITION_FAILED, and its deliveries go back to their queues
// as with any channel closed. basic.get deliveries count too. RabbitMQ
// 4.3 changes this for quorum queues (basic.cancel to a client that
// supports it, and no timeout on classic queues); Warren follows 4.1.

// channelTickInterval is RabbitMQ's channel_tick_interval.
const channelTickInterval = time.Minute

// defaultConsumerTimeout is RabbitMQ's consumer_timeout, 30 minutes.
const defaultConsumerTimeout = 30 * time.Minute

// serverConsumerTimeout is Options.ConsumerTimeout in milliseconds, -1 for
// none.
func (s *Server) serverConsumerTimeout() int64 {
	switch d := s.opts.ConsumerTimeout; {
	case d < 0:
		return -1
	case d == 0:
		return defaultConsumerTimeout.Milliseconds()
	default:
		return d.Milliseconds()
	}
}

// ackTimeoutOf is the timeout a delivery from q has, in milliseconds; -1
// for none.
func (ch *channel) ackTimeoutOf(q *queue) int64 {
	if q != nil && q.qa.ackTimeoutSet {
		return q.qa.ackTimeout
	}
	return ch.conn.s.serverConsumerTimeout()
}

// armTickLocked starts the channel's tick when it has no tick running
// (it now has an unacknowledged delivery). Called under ch.mu.
func (ch *channel) armTickLocked() {
	if ch.tick != nil || ch.closed.Load() {
		return
	}
	ch.tick = ch.conn.s.goTimer(channelTickInterval, ch.onTick)
}

// onTick checks the oldest unacknowledged delivery, and closes the
// channel when it timed out; otherwise it ticks again while deliveries
// are outstanding.
func (ch *channel) onTick() {
	c := ch.conn
	ch.mu.Lock()
	ch.tick = nil
	var oldest *pending
	for _, p := range ch.unacked {
		if !p.done {
			oldest = p
			break
		}
	}
	if oldest == nil || ch.closed.Load() {
		ch.mu.Unlock()
		return
	}
	timeout := ch.ackTimeoutOf(oldest.q)
	if timeout < 0 || oldest.at >= c.s.nowNano()-timeout*int64(time.Millisecond) {
		ch.armTickLocked()
		ch.mu.Unlock()
		return
	}
	ch.mu.Unlock()
	c.s.log.Warn("consumer timed out waiting for a delivery acknowledgement: closing its channel",
		"conn", c.id, "channel", ch.id, "delivery_tag", oldest.tag, "timeout_ms", timeout)
	// close it as the reader would, between two of the client's methods
	c.handleMu.Lock()
	defer c.handleMu.Unlock()
	if c.closing.Load() || ch.closed.Load() || ch.closeSent {
		return
	}
	c.channelError(ch, wire.Errorf(wire.PreconditionFailed,
		"delivery acknowledgement on channel %d timed out. Timeout value used: %d ms. "+
			"This timeout value can be configured, see consumers doc guide to learn more", ch.id, timeout), nil)
}
