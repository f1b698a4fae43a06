package broker

import "github.com/warrenmq/warren/sandbox/broker/wire"

// handleChannelClass runs the channel class on an open channel: close,
// flow (channel.open is handled before a channel exists).
func (ch *channel) handleChannelClass(m wire.Method) *wire.Error {
	c := ch.conn
	switch m := m.(type) {
	case *wire.ChannelOpen:
		return wire.Errorf(wire.ChannelError, "second 'channel.open' seen")
	case *wire.ChannelClose:
		ch.release()
		c.removeChannel(ch.id)
		c.sendMethod(ch.id, &wire.ChannelCloseOk{})
	case *wire.ChannelCloseOk:
		// not expected: we sent no channel.close
	case *wire.ChannelFlow:
		if !m.Active {
			return wire.Errorf(wire.NotImplemented, "active=false")
		}
		c.sendMethod(ch.id, &wire.ChannelFlowOk{Active: true})
	case *wire.ChannelFlowOk:
	default:
		return wire.Errorf(wire.CommandInvalid, "unexpected method %s", m.Name())
	}
	return nil
}
