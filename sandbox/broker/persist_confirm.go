package broker

import (
	"sync/atomic"

	"github.com/warrenmq/warren/sandbox/broker/wire"
)

// channelDisk counts a channel's publisher confirms that wait for the
// disk. While any does, every later confirm of the channel waits behind
// it too, so confirms keep their order.
type channelDisk struct {
	waiting atomic.Int32
}

// confirmAfterDisk sends the confirm for the channel's latest publish once
// what the store holds is on disk, when the message was stored or an
// earlier confirm still waits; it reports false when the confirm is to be
// sent now. Runs on the reader goroutine.
func (ch *channel) confirmAfterDisk(m *message, rejected bool) bool {
	d := ch.conn.s.disk
	if d == nil || (m.pid == 0 && ch.disk.waiting.Load() == 0) {
		return false
	}
	tag := ch.publishSeq
	fold := !ch.nacked && !rejected
	if rejected {
		ch.nacked = true
	}
	c := ch.conn
	ch.disk.waiting.Add(1)
	err := d.st.After(func(err error) {
		defer ch.disk.waiting.Add(-1)
		if ch.closed.Load() {
			return // a new channel may take the number: it must not hear this
		}
		switch {
		case rejected || err != nil:
			c.sendMethod(ch.id, &wire.BasicNack{DeliveryTag: tag})
		case fold:
			c.sendConfirm(ch.id, tag)
		default:
			c.sendMethod(ch.id, &wire.BasicAck{DeliveryTag: tag})
		}
	})
	if err != nil {
		// the store is closed or broken: no fsync will come
		ch.disk.waiting.Add(-1)
		c.sendMethod(ch.id, &wire.BasicNack{DeliveryTag: tag})
		ch.nacked = true
	}
	return true
}

// syncDisk waits until what the store holds is on disk (tx.commit).
func (ch *channel) syncDisk() {
	d := ch.conn.s.disk
	if d == nil {
		return
	}
	done := make(chan struct{})
	if d.st.After(func(error) { close(done) }) != nil {
		return
	}
	select {
	case <-done:
	case <-ch.conn.quit:
	}
}
