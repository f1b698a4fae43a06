package broker

import "github.com/warrenmq/warren/sandbox/broker/wire"

// queueName resolves the empty name to the channel's most recently
// declared queue, as RabbitMQ does.
func (ch *channel) queueName(name string) (string, *wire.Error) {
	if name != "" {
		return name, nil
	}
	if ch.lastQueue == "" {
		return "", wire.Errorf(wire.NotFound, "no previously declared queue")
	}
	return ch.lastQueue, nil
}

// handleQueue runs the queue class: declare, bind, unbind, purge, delete.
func (ch *channel) handleQueue(m wire.Method) *wire.Error {
	c := ch.conn
	v := c.vh
	switch m := m.(type) {
	case *wire.QueueDeclare:
		name := m.Queue
		serverNamed := name == "" && !m.Passive
		if serverNamed {
			name = serverNamedQueue()
		}
		if m.Passive {
			var err *wire.Error
			if name, err = ch.queueName(name); err != nil {
				return err
			}
		}
		_, msgs, cons, err := v.queueDeclare(c, name, serverNamed, m.Passive, m.Durable, m.Exclusive, m.AutoDelete, m.Arguments)
		if err != nil {
			return err
		}
		ch.lastQueue = name
		if !m.NoWait {
			c.sendMethod(ch.id, &wire.QueueDeclareOk{Queue: name, MessageCount: uint32(msgs), ConsumerCount: uint32(cons)})
		}
	case *wire.QueueBind:
		name, err := ch.queueName(m.Queue)
		if err != nil {
			return err
		}
		if err := v.bind(c, m.Exchange, name, false, m.RoutingKey, m.Arguments, false); err != nil {
			return err
		}
		if !m.NoWait {
			c.sendMethod(ch.id, &wire.QueueBindOk{})
		}
	case *wire.QueueUnbind:
		name, err := ch.queueName(m.Queue)
		if err != nil {
			return err
		}
		if err := v.bind(c, m.Exchange, name, false, m.RoutingKey, m.Arguments, true); err != nil {
			return err
		}
		c.sendMethod(ch.id, &wire.QueueUnbindOk{})
	case *wire.QueuePurge:
		name, err := ch.queueName(m.Queue)
		if err != nil {
			return err
		}
		q, err := v.lookupQueue(c, name)
		if err != nil {
			return err
		}
		n := q.purge()
		if !m.NoWait {
			c.sendMethod(ch.id, &wire.QueuePurgeOk{MessageCount: uint32(n)})
		}
	case *wire.QueueDelete:
		name, err := ch.queueName(m.Queue)
		if err != nil {
			return err
		}
		n, err := v.queueDelete(c, name, m.IfUnused, m.IfEmpty)
		if err != nil {
			return err
		}
		if !m.NoWait {
			c.sendMethod(ch.id, &wire.QueueDeleteOk{MessageCount: uint32(n)})
		}
	default:
		return wire.Errorf(wire.CommandInvalid, "unexpected method %s", m.Name())
	}
	return nil
}
