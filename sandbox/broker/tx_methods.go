package broker

import "github.com/warrenmq/warren/sandbox/broker/wire"

// txPublish and txAck are what a transactional channel holds until
// tx.commit (or drops at tx.rollback).
type txPublish struct {
	pub *wire.BasicPublish
	msg *message
}

type txAck struct {
	ps      []*pending // taken from the unacked list, room kept
	ack     bool
	requeue bool
}

// handleTx runs the tx class.
func (ch *channel) handleTx(m wire.Method) *wire.Error {
	c := ch.conn
	switch m.(type) {
	case *wire.TxSelect:
		if ch.confirm {
			return wire.Errorf(wire.PreconditionFailed, "cannot switch from confirm to tx mode")
		}
		ch.tx = true
		ch.publishState()
		c.sendMethod(ch.id, &wire.TxSelectOk{})
	case *wire.TxCommit:
		if !ch.tx {
			return wire.Errorf(wire.PreconditionFailed, "channel is not transactional")
		}
		pubs, acks := ch.txPublishes, ch.txAcks
		ch.txPublishes, ch.txAcks = nil, nil
		for _, p := range pubs {
			ch.route(p.pub, p.msg, nil)
			if ch.closeSent {
				// the channel closed (e.g. its exchange was deleted) and
				// released its deliveries; these were the transaction's
				for _, a := range acks {
					releaseRoom(ch, a.ps)
					settle(a.ps, false, true)
				}
				return nil
			}
		}
		for _, a := range acks {
			releaseRoom(ch, a.ps)
			settleAs(a.ps, a.ack, a.requeue, settledKind(a.ack), "")
		}
		if len(acks) > 0 && ch.globalPrefetch.Load() > 0 {
			ch.kickConsumers() // the room is the channel's
		}
		ch.syncDisk() // commit-ok once the transaction's persistent messages are on disk
		c.sendMethod(ch.id, &wire.TxCommitOk{})
	case *wire.TxRollback:
		if !ch.tx {
			return wire.Errorf(wire.PreconditionFailed, "channel is not transactional")
		}
		for _, a := range ch.txAcks {
			ch.untake(a.ps)
		}
		ch.txPublishes, ch.txAcks = nil, nil
		c.sendMethod(ch.id, &wire.TxRollbackOk{})
	default:
		return wire.Errorf(wire.CommandInvalid, "unexpected method %s", m.Name())
	}
	return nil
}
