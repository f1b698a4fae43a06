package broker

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/warrenmq/warren/sandbox/broker/wire"
	"github.com/warrenmq/warren/sandbox/routing"
)

// What real clients tripped on (issue: fidelity, round two); each runs on
// both brokers.

// A client closing a channel just as the server closes it with an error
// (amqp091-go's own test for its issue 43): the crossing close-ok must not
// cost the connection.
func TestCrossingChannelCloseKeepsTheConnection(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		c := dial(t, b.url)
		ch := openChannel(t, c)
		// the publish fails (404) while our channel.close is on its way
		ch.Publish(uniq("missing"), "k", false, false, amqp.Publishing{})
		ch.Close()
		ch2, err := c.Channel()
		if err != nil {
			t.Fatalf("a channel after the crossing close: %v", err)
		}
		if _, err := ch2.QueueDeclare("", false, true, true, false, nil); err != nil {
			t.Fatalf("the connection did not survive the crossing close: %v", err)
		}
		if c.IsClosed() {
			t.Fatal("connection closed")
		}
	})
}

// After close-ok the broker reads on until the client closes the socket:
// closing it at once resets a client still sending (amqplib's EPIPE).
func TestConnectionCloseWaitsForTheClient(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		rc := rawOpen(t, b.url)
		rc.send(t, &wire.ConnectionClose{ReplyCode: 200, ReplyText: "bye"})
		// a frame the client had in flight when it closed
		rc.w.WriteFrame(wire.Frame{Type: wire.FrameHeartbeat})
		rc.w.Flush()
		for {
			if _, ok := rc.readMethod(t).(*wire.ConnectionCloseOk); ok {
				break
			}
		}
		// the socket stays open: a read waits (here, 300ms) instead of
		// seeing the end of the stream
		rc.nc.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		_, err := rc.r.ReadFrame()
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("after close-ok the broker closed the socket before the client did (read: %v)", err)
		}
	})
}

func TestUpdateSecretIsAnswered(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		c := dial(t, b.url)
		if err := c.UpdateSecret("guest", "token refreshed"); err != nil {
			t.Fatalf("update-secret: %v", err)
		}
		ch := openChannel(t, c)
		if _, err := ch.QueueDeclare("", false, true, true, false, nil); err != nil {
			t.Fatalf("after update-secret: %v", err)
		}
	})
}

// Deleting a queue that has a consumer on the same channel: queue.delete-ok
// first, then basic.cancel (py-amqp raised ConsumerCancelled from inside
// queue_delete()).
func TestQueueDeleteOkBeforeConsumerCancel(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		rc := rawOpenWith(t, b.url, routing.Table{"capabilities": routing.Table{"consumer_cancel_notify": true}})
		q := uniq("del")
		// one method at a time: RabbitMQ may answer a pipelined consume
		// after the delete
		var got []string
		for _, m := range []wire.Method{&wire.QueueDeclare{Queue: q, AutoDelete: true},
			&wire.BasicConsume{Queue: q, ConsumerTag: "c1"}, &wire.QueueDelete{Queue: q}} {
			rc.w.WriteMethod(1, m)
			rc.w.Flush()
			got = append(got, rc.readMethod(t).Name())
		}
		got = append(got, rc.readMethod(t).Name())
		want := []string{"queue.declare_ok", "basic.consume_ok", "queue.delete_ok", "basic.cancel"}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("frames %v, want %v", got, want)
			}
		}
	})
}

// The exchange federation plugin declares an x-federation-upstream
// exchange on its upstream and falls back to a fanout only on 503. 3.x
// without the plugin answers 503; 4.x answers 406 for an unknown type, so
// Warren (4.x semantics) has the type, as a 4.x upstream with the plugin.
func TestFederationUpstreamExchangeType(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		c := dial(t, b.url)
		ch := openChannel(t, c)
		x := uniq("fed")
		err := ch.ExchangeDeclare(x, "x-federation-upstream", true, true, true, false,
			amqp.Table{"x-max-hops": int32(2), "x-downstream-name": "down", "x-downstream-vhost": "/"})
		if b.is3x() {
			var ae *amqp.Error
			if !errors.As(err, &ae) || ae.Code != 503 || ae.Reason != "COMMAND_INVALID - unknown exchange type 'x-federation-upstream'" {
				t.Fatalf("3.x without the federation plugin: got %v, want 503 COMMAND_INVALID", err)
			}
			return
		}
		if err != nil {
			t.Fatalf("declare: %v", err)
		}
		defer ch.ExchangeDelete(x, false, false)
		q := mustQueue(t, ch, nil)
		if err := ch.QueueBind(q, "", x, false, nil); err != nil {
			t.Fatal(err)
		}
		// internal: fed by exchange-to-exchange bindings, as the plugin does
		src := uniq("fed-src")
		if err := ch.ExchangeDeclare(src, "topic", false, true, false, false, nil); err != nil {
			t.Fatal(err)
		}
		defer ch.ExchangeDelete(src, false, false)
		if err := ch.ExchangeBind(x, "#", src, false, nil); err != nil {
			t.Fatal(err)
		}
		hop := func(cluster string) amqp.Table { return amqp.Table{"cluster-name": cluster, "vhost": "/"} }
		publish(t, ch, src, "any.key", "fresh", amqp.Publishing{})
		publish(t, ch, src, "k", "been downstream", amqp.Publishing{Headers: amqp.Table{"x-received-from": []any{hop("down")}}})
		publish(t, ch, src, "k", "two hops", amqp.Publishing{Headers: amqp.Table{"x-received-from": []any{hop("a"), hop("b")}}})
		publish(t, ch, src, "k", "one hop", amqp.Publishing{Headers: amqp.Table{"x-received-from": []any{hop("elsewhere")}}})
		ds := mustConsume(t, ch, q, true)
		if d := recv(t, ds); string(d.Body) != "fresh" {
			t.Fatalf("got %q first, want the message with no hops", d.Body)
		}
		// not back to where it came from (a cycle), not past x-max-hops
		if d := recv(t, ds); string(d.Body) != "one hop" {
			t.Fatalf("got %q, want the message with one hop from elsewhere", d.Body)
		}
		noDelivery(t, ch, ds)

		// x-max-hops is required, a long
		ch2 := openChannel(t, c)
		err = ch2.ExchangeDeclare(uniq("fed"), "x-federation-upstream", false, true, true, false, nil)
		var ae *amqp.Error
		if !errors.As(err, &ae) || ae.Code != 406 || ae.Reason != "PRECONDITION_FAILED - Argument x-max-hops missing" {
			t.Fatalf("without x-max-hops: %v", err)
		}
	})
}

// CC and BCC as RabbitMQ reads them: an array's longstr elements are
// routing keys (a byte array is not), anything but an array refuses the
// message.
func TestCCHeaderTypes(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		c := dial(t, b.url)
		ch := openChannel(t, c)
		q := mustQueue(t, ch, nil)
		publish(t, ch, "", "nowhere", "bytes", amqp.Publishing{Headers: amqp.Table{"CC": []any{[]byte(q)}}})
		publish(t, ch, "", "nowhere", "mixed", amqp.Publishing{Headers: amqp.Table{"BCC": []any{int32(5), q}}})
		d := mustGet(t, ch, q)
		if string(d.Body) != "mixed" {
			t.Fatalf("got %q, want only the message whose BCC held the name as a longstr", d.Body)
		}
		if _, ok := d.Headers["BCC"]; ok {
			t.Fatal("BCC was delivered")
		}
		if _, ok, _ := ch.Get(q, true); ok {
			t.Fatal("a byte-array CC routed the message")
		}
		err := publishError(ch, "", q, amqp.Publishing{Headers: amqp.Table{"CC": q}})
		var ae *amqp.Error
		if !errors.As(err, &ae) || ae.Code != 406 || ae.Reason != `PRECONDITION_FAILED - invalid message: {unacceptable_type_in_header,"CC",longstr}` {
			t.Fatalf("a string CC: %v, want 406 unacceptable_type_in_header", err)
		}
	})
}

// Direct reply-to: the RPC tutorial's way of getting replies without a
// reply queue.
func TestDirectReplyTo(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		c := dial(t, b.url)
		client := openChannel(t, c)
		replies, err := client.Consume("amq.rabbitmq.reply-to", "", true, false, false, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		server := openChannel(t, dial(t, b.url))
		q := mustQueue(t, server, nil)
		requests := mustConsume(t, server, q, true)
		publish(t, client, "", q, "ping", amqp.Publishing{ReplyTo: "amq.rabbitmq.reply-to", CorrelationId: "1"})
		req := recv(t, requests)
		if !strings.HasPrefix(req.ReplyTo, "amq.rabbitmq.reply-to.") {
			t.Fatalf("reply_to %q: want it rewritten to amq.rabbitmq.reply-to.<key>", req.ReplyTo)
		}
		if ok, err := server.QueueDeclarePassive(req.ReplyTo, false, false, false, false, nil); err != nil || ok.Consumers != 1 {
			t.Fatalf("passive declare of the reply name: %+v %v", ok, err)
		}
		publish(t, server, "", req.ReplyTo, "pong", amqp.Publishing{CorrelationId: req.CorrelationId})
		r := recv(t, replies)
		if string(r.Body) != "pong" || r.CorrelationId != "1" || r.RoutingKey != req.ReplyTo || r.Exchange != "" {
			t.Fatalf("reply %q corr %q exchange %q key %q", r.Body, r.CorrelationId, r.Exchange, r.RoutingKey)
		}
		// a reply to a name nobody holds is unroutable
		returns := server.NotifyReturn(make(chan amqp.Return, 1))
		if err := server.Publish("", "amq.rabbitmq.reply-to.nobody", true, false, amqp.Publishing{}); err != nil {
			t.Fatal(err)
		}
		select {
		case ret := <-returns:
			if ret.ReplyCode != 312 {
				t.Fatalf("returned with %d %s", ret.ReplyCode, ret.ReplyText)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("a mandatory reply to an unknown reply-to name was not returned")
		}
		if ok, err := server.QueueDeclarePassive("amq.rabbitmq.reply-to", false, false, false, false, nil); err != nil || ok.Consumers != 1 {
			t.Fatalf("passive declare of amq.rabbitmq.reply-to: %+v %v", ok, err)
		}

		refusals := []struct {
			name string
			do   func(ch *amqp.Channel) error
			want string
		}{
			{"acking consumer", func(ch *amqp.Channel) error {
				_, err := ch.Consume("amq.rabbitmq.reply-to", "", false, false, false, false, nil)
				return err
			}, "PRECONDITION_FAILED - reply consumer cannot acknowledge"},
			{"second consumer", func(ch *amqp.Channel) error {
				ch.Consume("amq.rabbitmq.reply-to", "", true, false, false, false, nil)
				_, err := ch.Consume("amq.rabbitmq.reply-to", "", true, false, false, false, nil)
				return err
			}, "PRECONDITION_FAILED - reply consumer already set"},
			{"request with no reply consumer", func(ch *amqp.Channel) error {
				return publishError(ch, "", q, amqp.Publishing{ReplyTo: "amq.rabbitmq.reply-to"})
			}, "PRECONDITION_FAILED - fast reply consumer does not exist"},
		}
		for _, tc := range refusals {
			err := tc.do(openChannel(t, c))
			var ae *amqp.Error
			if !errors.As(err, &ae) || ae.Code != 406 || ae.Reason != tc.want {
				t.Errorf("%s: %v, want 406 %s", tc.name, err, tc.want)
			}
		}
	})
}

// publishError publishes and returns the error that closed the channel
// for it (nil when a round trip after it succeeds).
func publishError(ch *amqp.Channel, exchange, key string, p amqp.Publishing) error {
	closed := ch.NotifyClose(make(chan *amqp.Error, 1))
	if err := ch.Publish(exchange, key, false, false, p); err != nil {
		return err
	}
	if _, err := ch.QueueDeclare("", false, true, true, false, nil); !errors.Is(err, amqp.ErrClosed) {
		return err
	}
	// the close overtook the round trip: its reason is the error
	if e := <-closed; e != nil {
		return e
	}
	return amqp.ErrClosed
}
