package broker

import (
	"crypto/rand"
	"encoding/base64"
	"strings"
	"sync"

	"github.com/warrenmq/warren/sandbox/broker/wire"
)

// Direct reply-to, as RabbitMQ has it: an RPC client consumes (no-ack)
// from the pseudo-queue amq.rabbitmq.reply-to and publishes its requests
// with reply_to set to that name; the broker rewrites it to a name of the
// form amq.rabbitmq.reply-to.KEY, and a reply published to the default
// exchange with that routing key goes straight to the client's consumer,
// through no queue.
const (
	replyToQueue  = "amq.rabbitmq.reply-to"
	replyToPrefix = replyToQueue + "."
)

// replyConsumer is a channel's direct reply-to consumer.
type replyConsumer struct {
	tag string
	key string // what follows replyToPrefix in the rewritten reply_to
	ch  *channel
}

// replyTargets maps reply keys to their consumers, for a vhost. Its mutex
// is a leaf: a delivery is made after it is released.
type replyTargets struct {
	mu   sync.Mutex
	byID map[string]*replyConsumer
}

func (r *replyTargets) add(rc *replyConsumer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byID == nil {
		r.byID = map[string]*replyConsumer{}
	}
	r.byID[rc.key] = rc
}

func (r *replyTargets) remove(rc *replyConsumer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.byID, rc.key)
}

// lookup finds the consumer a routing key of the form
// amq.rabbitmq.reply-to.KEY names.
func (r *replyTargets) lookup(routingKey string) *replyConsumer {
	key, ok := strings.CutPrefix(routingKey, replyToPrefix)
	if !ok {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.byID[key]
}

// consumeReplyTo handles basic.consume on amq.rabbitmq.reply-to.
func (ch *channel) consumeReplyTo(m *wire.BasicConsume) *wire.Error {
	if !m.NoAck {
		return wire.Errorf(wire.PreconditionFailed, "reply consumer cannot acknowledge")
	}
	if ch.reply != nil {
		return wire.Errorf(wire.PreconditionFailed, "reply consumer already set")
	}
	tag := m.ConsumerTag
	if tag == "" {
		tag = consumerTag()
	}
	var b [18]byte
	rand.Read(b[:])
	rc := &replyConsumer{tag: tag, key: base64.RawURLEncoding.EncodeToString(b[:]), ch: ch}
	if !m.NoWait {
		ch.conn.sendMethod(ch.id, &wire.BasicConsumeOk{ConsumerTag: tag})
	}
	ch.mu.Lock()
	ch.reply = rc
	ch.mu.Unlock()
	ch.conn.vh.replies.add(rc)
	return nil
}

// cancelReplyTo drops the channel's reply consumer (basic.cancel, or the
// channel closing). It reports whether there was one with this tag ("":
// any).
func (ch *channel) cancelReplyTo(tag string) bool {
	ch.mu.Lock()
	rc := ch.reply
	if rc == nil || (tag != "" && rc.tag != tag) {
		ch.mu.Unlock()
		return false
	}
	ch.reply = nil
	ch.mu.Unlock()
	ch.conn.vh.replies.remove(rc)
	return true
}

// rewriteReplyTo gives a request's reply_to amq.rabbitmq.reply-to the
// name that leads back to this channel's reply consumer.
func (ch *channel) rewriteReplyTo(m *message) *wire.Error {
	if m.props.ReplyTo != replyToQueue {
		return nil
	}
	ch.mu.Lock()
	rc := ch.reply
	ch.mu.Unlock()
	if rc == nil {
		return wire.Errorf(wire.PreconditionFailed, "fast reply consumer does not exist")
	}
	m.props.ReplyTo = replyToPrefix + rc.key
	return nil
}

// deliverReply hands a reply to its consumer: basic.deliver, no ack, no
// queue. It reports false when the channel has closed meanwhile.
func (rc *replyConsumer) deliverReply(m *message, routingKey string) bool {
	ch := rc.ch
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if ch.closed.Load() || ch.reply != rc {
		return false
	}
	ch.nextTag++
	ch.conn.send(outFrame{ch: ch.id, method: &wire.BasicDeliver{ConsumerTag: rc.tag, DeliveryTag: ch.nextTag,
		Exchange: "", RoutingKey: routingKey}, msg: m})
	return true
}
