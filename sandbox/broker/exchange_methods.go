package broker

import (
	"strings"

	"github.com/warrenmq/warren/sandbox/broker/wire"
)

// handleExchange runs the exchange class: declare, delete, bind, unbind.
func (ch *channel) handleExchange(m wire.Method) *wire.Error {
	c := ch.conn
	v := c.vh
	switch m := m.(type) {
	case *wire.ExchangeDeclare:
		if err := c.checkExchangeDeclare(m); err != nil {
			return err
		}
		if err := v.exchangeDeclare(m); err != nil {
			return err
		}
		if !m.NoWait {
			c.sendMethod(ch.id, &wire.ExchangeDeclareOk{})
		}
	case *wire.ExchangeDelete:
		if m.Exchange != "" && !strings.HasPrefix(m.Exchange, "amq.") {
			if err := c.allowed("exchange", m.Exchange, Configure); err != nil {
				return err
			}
		}
		if err := v.exchangeDelete(m.Exchange, m.IfUnused); err != nil {
			return err
		}
		if !m.NoWait {
			c.sendMethod(ch.id, &wire.ExchangeDeleteOk{})
		}
	case *wire.ExchangeBind:
		if err := c.checkBind(m.Source, m.Destination, true); err != nil {
			return err
		}
		if err := v.bind(c, m.Source, m.Destination, true, m.RoutingKey, m.Arguments, false); err != nil {
			return err
		}
		if !m.NoWait {
			c.sendMethod(ch.id, &wire.ExchangeBindOk{})
		}
	case *wire.ExchangeUnbind:
		if err := c.checkBind(m.Source, m.Destination, true); err != nil {
			return err
		}
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
