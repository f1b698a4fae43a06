package broker

import (
	"errors"
	"fmt"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Quorum queues and queue types on both brokers, each held to its own
// version's defaults.

func wantAMQPError(t *testing.T, err error, code int, reason string) {
	t.Helper()
	var ae *amqp.Error
	if !errors.As(err, &ae) || ae.Code != code || ae.Reason != reason {
		t.Fatalf("got %v\nwant %d %s", err, code, reason)
	}
}

// durableQueue declares a durable queue of a type (quorum queues and
// streams are durable) and deletes it when the test ends.
func durableQueue(t *testing.T, b testBroker, name string, args amqp.Table) string {
	t.Helper()
	c := dial(t, b.url)
	ch := openChannel(t, c)
	if _, err := ch.QueueDeclare(name, true, false, false, false, args); err != nil {
		t.Fatalf("declare %s: %v", name, err)
	}
	t.Cleanup(func() {
		if c, err := amqp.Dial(b.url); err == nil {
			if ch, err := c.Channel(); err == nil {
				ch.QueueDelete(name, false, false, false)
			}
			c.Close()
		}
	})
	return name
}

func TestQueueTypeDeclareRules(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		c := dial(t, b.url)
		type tc struct {
			name                 string
			durable, excl, autod bool
			server               bool
			args                 amqp.Table
			want                 string // %s: the queue's resource name
		}
		qq := func(more amqp.Table) amqp.Table {
			t := amqp.Table{"x-queue-type": "quorum"}
			for k, v := range more {
				t[k] = v
			}
			return t
		}
		st := func(more amqp.Table) amqp.Table {
			t := qq(more)
			t["x-queue-type"] = "stream"
			return t
		}
		cases := []tc{
			{"unknown type", true, false, false, false, amqp.Table{"x-queue-type": "bogus"}, `PRECONDITION_FAILED - invalid arg 'x-queue-type' for %s: "unsupported queue type 'bogus'"`},
			{"type not a string", true, false, false, false, amqp.Table{"x-queue-type": int32(1)}, "PRECONDITION_FAILED - invalid arg 'x-queue-type' for %s: {unacceptable_type,signedint}"},
			{"quorum non-durable", false, false, false, false, qq(nil), "PRECONDITION_FAILED - invalid property 'non-durable' for %s"},
			{"quorum exclusive", true, true, false, false, qq(nil), "PRECONDITION_FAILED - invalid property 'exclusive-owner' for %s"},
			{"quorum exclusive auto-delete", true, true, true, false, qq(nil), "PRECONDITION_FAILED - invalid property 'auto-delete' for %s"},
			{"quorum priority", false, false, false, false, qq(amqp.Table{"x-max-priority": int32(5)}), "PRECONDITION_FAILED - invalid arg 'x-max-priority' for %s of queue type rabbit_quorum_queue"},
			{"quorum lazy", true, false, false, false, qq(amqp.Table{"x-queue-mode": "lazy"}), "PRECONDITION_FAILED - invalid arg 'x-queue-mode' for %s of queue type rabbit_quorum_queue"},
			{"quorum server-named", true, false, false, true, qq(nil), "PRECONDITION_FAILED - Cannot declare a server-named queue for type rabbit_quorum_queue"},
			{"quorum bad strategy", true, false, false, false, qq(amqp.Table{"x-dead-letter-strategy": "bogus"}), "PRECONDITION_FAILED - invalid arg 'x-dead-letter-strategy' for %s: invalid_dlx_strategy"},
			{"classic delivery limit", true, false, false, false, amqp.Table{"x-delivery-limit": int32(3)}, "PRECONDITION_FAILED - invalid arg 'x-delivery-limit' for %s of queue type rabbit_classic_queue"},
			{"classic strategy", true, false, false, false, amqp.Table{"x-dead-letter-strategy": "at-least-once"}, "PRECONDITION_FAILED - invalid arg 'x-dead-letter-strategy' for %s of queue type rabbit_classic_queue"},
			{"stream ttl", true, false, false, false, st(amqp.Table{"x-message-ttl": int32(5)}), "PRECONDITION_FAILED - invalid arg 'x-message-ttl' for %s of queue type rabbit_stream_queue"},
			{"stream max-length", true, false, false, false, st(amqp.Table{"x-max-length": int32(5)}), "PRECONDITION_FAILED - invalid arg 'x-max-length' for %s of queue type rabbit_stream_queue"},
			{"stream dead-lettering", true, false, false, false, st(amqp.Table{"x-dead-letter-exchange": "x"}), "PRECONDITION_FAILED - invalid arg 'x-dead-letter-exchange' for %s of queue type rabbit_stream_queue"},
			{"stream single active", true, false, false, false, st(amqp.Table{"x-single-active-consumer": true}), "PRECONDITION_FAILED - invalid arg 'x-single-active-consumer' for %s of queue type rabbit_stream_queue"},
			{"stream exclusive", true, true, false, false, st(nil), "PRECONDITION_FAILED - invalid property 'exclusive-owner' for %s"},
			{"stream bad max-age", true, false, false, false, st(amqp.Table{"x-max-age": "10"}), "PRECONDITION_FAILED - invalid arg 'x-max-age' for %s: invalid_max_age"},
			{"stream max-age not a string", true, false, false, false, st(amqp.Table{"x-max-age": int32(10)}), "PRECONDITION_FAILED - invalid arg 'x-max-age' for %s: {unacceptable_type,signedint}"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				ch := openChannel(t, c)
				name := uniq("qt")
				if tc.server {
					name = ""
				}
				q, err := ch.QueueDeclare(name, tc.durable, tc.autod, tc.excl, false, tc.args)
				if err == nil {
					ch.QueueDelete(q.Name, false, false, false)
				}
				want := tc.want
				if !tc.server {
					want = fmt.Sprintf(tc.want, fmt.Sprintf("queue '%s' in vhost '/'", name))
				}
				wantAMQPError(t, err, 406, want)
			})
		}
	})
}

func numeric(v any) (int64, bool) {
	n, ok := intArg(v)
	return n, ok
}

// A poison message on a quorum queue: redelivered with x-delivery-count
// until its delivery limit, then dead-lettered with reason delivery_limit.
func TestQuorumDeliveryLimitDeadLetters(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		c := dial(t, b.url)
		ch := openChannel(t, c)
		dlq := mustQueue(t, ch, nil)
		q := durableQueue(t, b, uniq("qq-poison"), amqp.Table{"x-queue-type": "quorum", "x-delivery-limit": int32(2),
			"x-dead-letter-exchange": "", "x-dead-letter-routing-key": dlq})
		ch.Qos(1, 0, false)
		ds := mustConsume(t, ch, q, false)
		publish(t, ch, "", q, "poison", amqp.Publishing{})
		for i := 0; i <= 2; i++ {
			d := recv(t, ds)
			n, has := numeric(d.Headers["x-delivery-count"])
			if i == 0 && (has || d.Redelivered) {
				t.Fatalf("first delivery: redelivered %v, x-delivery-count %v", d.Redelivered, d.Headers["x-delivery-count"])
			}
			if i > 0 && (!d.Redelivered || n != int64(i)) {
				t.Fatalf("delivery %d: redelivered %v, x-delivery-count %v (want %d)", i+1, d.Redelivered, d.Headers["x-delivery-count"], i)
			}
			d.Nack(false, true)
		}
		dl := recv(t, mustConsume(t, openChannel(t, c), dlq, true))
		deaths, _ := dl.Headers["x-death"].([]any)
		if len(deaths) != 1 {
			t.Fatalf("x-death %v", dl.Headers["x-death"])
		}
		death := deaths[0].(amqp.Table)
		if death["reason"] != "delivery_limit" || death["queue"] != q || dl.Headers["x-first-death-reason"] != "delivery_limit" {
			t.Fatalf("dead-lettered with %v", dl.Headers)
		}
		noDelivery(t, ch, ds)
	})
}

// Without x-delivery-limit: 20 from RabbitMQ 4.0, unlimited before.
func TestQuorumDefaultDeliveryLimit(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		c := dial(t, b.url)
		ch := openChannel(t, c)
		q := durableQueue(t, b, uniq("qq-default"), amqp.Table{"x-queue-type": "quorum"})
		ch.Qos(1, 0, false)
		ds := mustConsume(t, ch, q, false)
		publish(t, ch, "", q, "m", amqp.Publishing{})
		for range 21 { // the first delivery and 20 redeliveries
			recv(t, ds).Nack(false, true)
		}
		if b.is3x() {
			if d := recv(t, ds); d.Redelivered != true {
				t.Fatal("3.x has no default delivery limit: the message should come again")
			}
			return
		}
		noDelivery(t, ch, ds) // dropped: no dead-letter exchange
	})
}

func TestQuorumRefusesGlobalQos(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		c := dial(t, b.url)
		q := durableQueue(t, b, uniq("qq-qos"), amqp.Table{"x-queue-type": "quorum"})
		ch := openChannel(t, c)
		if err := ch.Qos(5, 0, true); err != nil {
			t.Fatal(err)
		}
		_, err := ch.Consume(q, "", false, false, false, false, nil)
		wantAMQPError(t, err, 540, fmt.Sprintf("NOT_IMPLEMENTED - queue '%s' in vhost '/' does not support global qos", q))
	})
}

// Single active consumer on a quorum queue: the first consumer gets
// everything; when it goes, the next takes over.
func TestQuorumSingleActiveConsumerFailover(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		c := dial(t, b.url)
		q := durableQueue(t, b, uniq("qq-sac"), amqp.Table{"x-queue-type": "quorum", "x-single-active-consumer": true})
		chA, chB := openChannel(t, c), openChannel(t, c)
		dsA := mustConsume(t, chA, q, true)
		dsB := mustConsume(t, chB, q, true)
		publish(t, chA, "", q, "1", amqp.Publishing{})
		publish(t, chA, "", q, "2", amqp.Publishing{})
		if a, b2 := recv(t, dsA), recv(t, dsA); string(a.Body)+string(b2.Body) != "12" {
			t.Fatalf("active consumer got %q %q", a.Body, b2.Body)
		}
		noDelivery(t, chB, dsB)
		chA.Close()
		publish(t, chB, "", q, "3", amqp.Publishing{})
		if d := recv(t, dsB); string(d.Body) != "3" {
			t.Fatalf("after failover got %q", d.Body)
		}
	})
}

// x-overflow on a quorum queue: reject-publish nacks once the queue is
// over its limit (so it holds one more than a classic queue would), and
// reject-publish-dlx (not a quorum strategy) acts as drop-head.
func TestQuorumOverflow(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		c := dial(t, b.url)
		ch := openChannel(t, c)
		if err := ch.Confirm(false); err != nil {
			t.Fatal(err)
		}
		rp := durableQueue(t, b, uniq("qq-rp"), amqp.Table{"x-queue-type": "quorum", "x-max-length": int32(1), "x-overflow": "reject-publish"})
		for i, want := range []bool{true, true, false} {
			dc, err := ch.PublishWithDeferredConfirm("", rp, false, false, amqp.Publishing{Body: []byte(fmt.Sprint(i))})
			if err != nil {
				t.Fatal(err)
			}
			if got := dc.Wait(); got != want {
				t.Fatalf("publish %d confirmed %v, want %v", i, got, want)
			}
		}
		dh := durableQueue(t, b, uniq("qq-rpdlx"), amqp.Table{"x-queue-type": "quorum", "x-max-length": int32(1), "x-overflow": "reject-publish-dlx"})
		for i := range 2 {
			dc, _ := ch.PublishWithDeferredConfirm("", dh, false, false, amqp.Publishing{Body: []byte(fmt.Sprint(i))})
			if !dc.Wait() {
				t.Fatalf("publish %d nacked: reject-publish-dlx should act as drop-head", i)
			}
		}
		if d := mustGet(t, ch, dh); string(d.Body) != "1" {
			t.Fatalf("kept %q, want the newest (drop-head)", d.Body)
		}
	})
}
