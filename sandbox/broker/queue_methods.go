package broker

import (
	"crypto/rand"
	"encoding/base64"

	"github.com/warrenmq/warren/sandbox/broker/wire"
)

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

// lookupQueue finds the queue a method names ("" for the channel's last
// declared one) that this channel's connection may use.
func (ch *channel) lookupQueue(name string) (*queue, *wire.Error) {
	name, err := ch.queueName(name)
	if err != nil {
		return nil, err
	}
	return ch.conn.vh.lookupQueue(ch.conn, name)
}

// lookupQueueFor is lookupQueue for an operation that needs access a on
// the queue, checked (as RabbitMQ does) before the queue is looked up.
func (ch *channel) lookupQueueFor(name string, a Access) (*queue, *wire.Error) {
	name, err := ch.queueName(name)
	if err != nil {
		return nil, err
	}
	if err := ch.conn.allowed("queue", name, a); err != nil {
		return nil, err
	}
	return ch.conn.vh.lookupQueue(ch.conn, name)
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
			if name == replyToQueue || v.replies.lookup(name) != nil {
				// direct reply-to's pseudo-queues: RabbitMQ says one
				// consumer and no messages
				if !m.NoWait {
					c.sendMethod(ch.id, &wire.QueueDeclareOk{Queue: name, ConsumerCount: 1})
				}
				return nil
			}
		}
		if !m.Passive {
			if err := c.checkQueueDeclare(name, serverNamed, m.Arguments); err != nil {
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
		if err := c.checkBind(m.Exchange, name, false); err != nil {
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
		if err := c.checkBind(m.Exchange, name, false); err != nil {
			return err
		}
		if err := v.bind(c, m.Exchange, name, false, m.RoutingKey, m.Arguments, true); err != nil {
			return err
		}
		c.sendMethod(ch.id, &wire.QueueUnbindOk{})
	case *wire.QueuePurge:
		q, err := ch.lookupNotStream(m.Queue, "queue.purge")
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
		if err := c.allowed("queue", name, Configure); err != nil {
			return err
		}
		n, cancelled, err := v.queueDelete(c, name, m.IfUnused, m.IfEmpty)
		if err != nil {
			return err
		}
		if !m.NoWait {
			c.sendMethod(ch.id, &wire.QueueDeleteOk{MessageCount: uint32(n)})
		}
		cancelConsumers(cancelled)
	default:
		return wire.Errorf(wire.CommandInvalid, "unexpected method %s", m.Name())
	}
	return nil
}

// serverNamedQueue returns a fresh amq.gen-... name as RabbitMQ makes them.
func serverNamedQueue() string {
	var b [16]byte
	rand.Read(b[:])
	return "amq.gen-" + base64.RawURLEncoding.EncodeToString(b[:])
}
