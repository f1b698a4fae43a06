package broker

import "github.com/warrenmq/warren/sandbox/broker/wire"

// handleConfirm runs confirm.select: from now on every publish on the
// channel is acked (or nacked, when a queue's x-overflow rejects it) with
// delivery tags counting publishes from 1.
func (ch *channel) handleConfirm(m wire.Method) *wire.Error {
	sel, ok := m.(*wire.ConfirmSelect)
	if !ok {
		return wire.Errorf(wire.CommandInvalid, "unexpected method %s", m.Name())
	}
	if ch.tx {
		return wire.Errorf(wire.PreconditionFailed, "cannot switch from tx to confirm mode")
	}
	ch.confirm = true
	ch.publishState()
	if !sel.Nowait {
		ch.conn.sendMethod(ch.id, &wire.ConfirmSelectOk{})
	}
	return nil
}
