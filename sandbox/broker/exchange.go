package broker

import "github.com/warrenmq/warren/sandbox/broker/wire"

// handleExchange runs the exchange class: declare, delete, bind, unbind.
func (ch *channel) handleExchange(m wire.Method) *wire.Error {
	c := ch.conn
	v := c.vh
	switch m := m.(type) {
	case *wire.ExchangeDeclare:
		if err := v.exchangeDeclare(m); err != nil {
			return err
		}
		if !m.NoWait {
			c.sendMethod(ch.id, &wire.ExchangeDeclareOk{})
		}
	case *wire.ExchangeDelete:
		if err := v.exchangeDelete(m.Exchange, m.IfUnused); err != nil {
			return err
		}
		if !m.NoWait {
			c.sendMethod(ch.id, &wire.ExchangeDeleteOk{})
		}
	case *wire.ExchangeBind:
		if err := v.bind(c, m.Source, m.Destination, true, m.RoutingKey, m.Arguments, false); err != nil {
			return err
		}
		if !m.NoWait {
			c.sendMethod(ch.id, &wire.ExchangeBindOk{})
		}
	case *wire.ExchangeUnbind:
		if err := v.bind(c, m.Source, m.Destination, true, m.RoutingKey, m.Arguments, true); err != nil {
			return err
		}
		if !m.NoWait {
			c.sendMethod(ch.id, &wire.ExchangeUnbindOk{})
		}
	default:
		return wire.Errorf(wire.CommandInvalid, "unexpected method %s", m.Name())
	}
	return nil
}
