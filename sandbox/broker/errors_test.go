package broker

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// errEnv is what an error case works with: its own connection and channel,
// a way to open another connection, and names unique to the run.
type errEnv struct {
	t    *testing.T
	b    testBroker
	conn *amqp.Connection
	ch   *amqp.Channel
	n    func(string) string
	// cleanup deletes what the case declared, on a fresh connection
	queues, exchanges []string
	closed            chan *amqp.Error
}

func (e *errEnv) other() *amqp.Connection { return dial(e.t, e.b.url) }

func (e *errEnv) q(name string) string { n := e.n(name); e.queues = append(e.queues, n); return n }
func (e *errEnv) x(name string) string {
	n := e.n(name)
	e.exchanges = append(e.exchanges, n)
	return n
}

// sync forces a round trip, returning the error that closed the channel
// (or connection) after an asynchronous method such as publish or ack.
func (e *errEnv) sync() error {
	_, err := e.ch.QueueDeclare("", false, true, true, false, nil)
	if errors.Is(err, amqp.ErrClosed) {
		// the close overtook the round trip: the reason is in the notification
		select {
		case ae := <-e.closed:
			if ae != nil {
				return ae
			}
		case <-time.After(5 * time.Second):
		}
	}
	return err
}

// getN publishes n messages to a fresh queue and basic.gets them (manual
// ack), returning their delivery tags.
func (e *errEnv) getN(n int) []uint64 {
	e.t.Helper()
	q := e.q("acks")
	if _, err := e.ch.QueueDeclare(q, false, false, false, false, nil); err != nil {
		e.t.Fatalf("declare %s: %v", q, err)
	}
	var tags []uint64
	for i := 0; i < n; i++ {
		if err := e.ch.PublishWithContext(context.Background(), "", q, false, false, amqp.Publishing{Body: []byte("m")}); err != nil {
			e.t.Fatalf("publish: %v", err)
		}
		d, ok, err := e.ch.Get(q, false)
		if err != nil || !ok {
			e.t.Fatalf("basic.get from %s: ok=%v err=%v", q, ok, err)
		}
		tags = append(tags, d.DeliveryTag)
	}
	return tags
}

type errCase struct {
	name string
	run  func(e *errEnv) (error, string) // the error, and the reply text expected
	code int
	// code3x, text3x: RabbitMQ 3.x's answer where 4.x changed it
	code3x int
	text3x string
}

const lockedText = "RESOURCE_LOCKED - cannot obtain exclusive access to locked queue '%s' in vhost '/'. It could be originally declared on another connection or the exclusive property value does not match that of the original declaration."

var errCases = []errCase{
	{name: "passive declare of a missing queue", code: 404, run: func(e *errEnv) (error, string) {
		q := e.n("missing")
		_, err := e.ch.QueueDeclarePassive(q, false, false, false, false, nil)
		return err, fmt.Sprintf("NOT_FOUND - no queue '%s' in vhost '/'", q)
	}},
	{name: "passive declare of a missing exchange", code: 404, run: func(e *errEnv) (error, string) {
		x := e.n("missing")
		return e.ch.ExchangeDeclarePassive(x, "direct", false, false, false, false, nil), fmt.Sprintf("NOT_FOUND - no exchange '%s' in vhost '/'", x)
	}},
	{name: "queue redeclared durable", code: 406, run: func(e *errEnv) (error, string) {
		q := e.q("q")
		e.ch.QueueDeclare(q, false, false, false, false, nil)
		_, err := e.ch.QueueDeclare(q, true, false, false, false, nil)
		return err, fmt.Sprintf("PRECONDITION_FAILED - inequivalent arg 'durable' for queue '%s' in vhost '/': received 'true' but current is 'false'", q)
	}},
	{name: "queue redeclared auto-delete", code: 406, run: func(e *errEnv) (error, string) {
		q := e.q("q")
		e.ch.QueueDeclare(q, false, false, false, false, nil)
		_, err := e.ch.QueueDeclare(q, false, true, false, false, nil)
		return err, fmt.Sprintf("PRECONDITION_FAILED - inequivalent arg 'auto_delete' for queue '%s' in vhost '/': received 'true' but current is 'false'", q)
	}},
	{name: "queue redeclared exclusive", code: 405, run: func(e *errEnv) (error, string) {
		q := e.q("q")
		e.ch.QueueDeclare(q, false, false, false, false, nil)
		_, err := e.ch.QueueDeclare(q, false, false, true, false, nil)
		return err, fmt.Sprintf(lockedText, q)
	}},
	{name: "queue redeclared with a new x-message-ttl", code: 406, run: func(e *errEnv) (error, string) {
		q := e.q("q")
		e.ch.QueueDeclare(q, false, false, false, false, nil)
		_, err := e.ch.QueueDeclare(q, false, false, false, false, amqp.Table{"x-message-ttl": int32(100)})
		return err, fmt.Sprintf("PRECONDITION_FAILED - inequivalent arg 'x-message-ttl' for queue '%s' in vhost '/': received the value '100' of type 'signedint' but current is none", q)
	}},
	{name: "queue redeclared with another x-message-ttl", code: 406, run: func(e *errEnv) (error, string) {
		q := e.q("q")
		e.ch.QueueDeclare(q, false, false, false, false, amqp.Table{"x-message-ttl": int32(100)})
		_, err := e.ch.QueueDeclare(q, false, false, false, false, amqp.Table{"x-message-ttl": int32(200)})
		return err, fmt.Sprintf("PRECONDITION_FAILED - inequivalent arg 'x-message-ttl' for queue '%s' in vhost '/': received '200' but current is '100'", q)
	}},
	{name: "queue redeclared without its x-message-ttl", code: 406, run: func(e *errEnv) (error, string) {
		q := e.q("q")
		e.ch.QueueDeclare(q, false, false, false, false, amqp.Table{"x-message-ttl": int32(100)})
		_, err := e.ch.QueueDeclare(q, false, false, false, false, nil)
		return err, fmt.Sprintf("PRECONDITION_FAILED - inequivalent arg 'x-message-ttl' for queue '%s' in vhost '/': received none but current is the value '100' of type 'signedint'", q)
	}},
	{name: "exchange redeclared with another type", code: 406, run: func(e *errEnv) (error, string) {
		x := e.x("x")
		e.ch.ExchangeDeclare(x, "direct", false, false, false, false, nil)
		return e.ch.ExchangeDeclare(x, "fanout", false, false, false, false, nil), fmt.Sprintf("PRECONDITION_FAILED - inequivalent arg 'type' for exchange '%s' in vhost '/': received 'fanout' but current is 'direct'", x)
	}},
	{name: "exchange redeclared durable", code: 406, run: func(e *errEnv) (error, string) {
		x := e.x("x")
		e.ch.ExchangeDeclare(x, "direct", false, false, false, false, nil)
		return e.ch.ExchangeDeclare(x, "direct", true, false, false, false, nil), fmt.Sprintf("PRECONDITION_FAILED - inequivalent arg 'durable' for exchange '%s' in vhost '/': received 'true' but current is 'false'", x)
	}},
	{name: "exchange redeclared internal", code: 406, run: func(e *errEnv) (error, string) {
		x := e.x("x")
		e.ch.ExchangeDeclare(x, "direct", false, false, false, false, nil)
		return e.ch.ExchangeDeclare(x, "direct", false, false, true, false, nil), fmt.Sprintf("PRECONDITION_FAILED - inequivalent arg 'internal' for exchange '%s' in vhost '/': received 'true' but current is 'false'", x)
	}},
	{name: "exchange redeclared with an alternate-exchange", code: 406, run: func(e *errEnv) (error, string) {
		x := e.x("x")
		e.ch.ExchangeDeclare(x, "direct", false, false, false, false, nil)
		return e.ch.ExchangeDeclare(x, "direct", false, false, false, false, amqp.Table{"alternate-exchange": "z"}), fmt.Sprintf("PRECONDITION_FAILED - inequivalent arg 'alternate-exchange' for exchange '%s' in vhost '/': received the value 'z' of type 'longstr' but current is none", x)
	}},
	{name: "unknown exchange type", code: 406, code3x: 503, run: func(e *errEnv) (error, string) {
		return e.ch.ExchangeDeclare(e.x("x"), "x-nonsense", false, false, false, false, nil), "unknown exchange type 'x-nonsense'"
	}},
	{name: "exchange name with the amq. prefix", code: 403, run: func(e *errEnv) (error, string) {
		return e.ch.ExchangeDeclare("amq.warren-test", "direct", false, true, false, false, nil), "ACCESS_REFUSED - exchange name 'amq.warren-test' contains reserved prefix 'amq.*'"
	}},
	{name: "queue name with the amq. prefix", code: 403, run: func(e *errEnv) (error, string) {
		_, err := e.ch.QueueDeclare("amq.warren-test", false, true, false, false, nil)
		return err, "ACCESS_REFUSED - queue name 'amq.warren-test' contains reserved prefix 'amq.*'"
	}},
	{name: "delete amq.direct", code: 403, run: func(e *errEnv) (error, string) {
		return e.ch.ExchangeDelete("amq.direct", false, false), "ACCESS_REFUSED - deletion of system exchange 'amq.direct' in vhost '/' not allowed"
	}},
	{name: "delete the default exchange", code: 403, run: func(e *errEnv) (error, string) {
		return e.ch.ExchangeDelete("", false, false), "ACCESS_REFUSED - operation not permitted on the default exchange"
	}},
	{name: "bind to the default exchange", code: 403, run: func(e *errEnv) (error, string) {
		q := e.q("q")
		e.ch.QueueDeclare(q, false, false, false, false, nil)
		return e.ch.QueueBind(q, "k", "", false, nil), "ACCESS_REFUSED - operation not permitted on the default exchange"
	}},
	{name: "bind from a missing exchange", code: 404, run: func(e *errEnv) (error, string) {
		q, x := e.q("q"), e.n("missing")
		e.ch.QueueDeclare(q, false, false, false, false, nil)
		return e.ch.QueueBind(q, "k", x, false, nil), fmt.Sprintf("NOT_FOUND - no exchange '%s' in vhost '/'", x)
	}},
	{name: "bind a missing queue", code: 404, run: func(e *errEnv) (error, string) {
		q := e.n("missing")
		return e.ch.QueueBind(q, "k", "amq.direct", false, nil), fmt.Sprintf("NOT_FOUND - no queue '%s' in vhost '/'", q)
	}},
	{name: "publish to a missing exchange", code: 404, run: func(e *errEnv) (error, string) {
		x := e.n("missing")
		e.ch.PublishWithContext(context.Background(), x, "k", false, false, amqp.Publishing{})
		return e.sync(), fmt.Sprintf("NOT_FOUND - no exchange '%s' in vhost '/'", x)
	}},
	{name: "publish immediate", code: 540, run: func(e *errEnv) (error, string) {
		e.ch.PublishWithContext(context.Background(), "", "k", false, true, amqp.Publishing{})
		return e.sync(), "NOT_IMPLEMENTED - immediate=true"
	}},
	{name: "publish to an internal exchange", code: 403, run: func(e *errEnv) (error, string) {
		x := e.x("x")
		e.ch.ExchangeDeclare(x, "direct", false, false, true, false, nil)
		e.ch.PublishWithContext(context.Background(), x, "k", false, false, amqp.Publishing{})
		return e.sync(), fmt.Sprintf("ACCESS_REFUSED - cannot publish to internal exchange '%s' in vhost '/'", x)
	}},
	{name: "exclusive queue from another connection", code: 405, run: func(e *errEnv) (error, string) {
		q := e.n("q")
		e.ch.QueueDeclare(q, false, false, true, false, nil)
		ch2 := openChannel(e.t, e.other())
		_, err := ch2.QueueDeclare(q, false, false, true, false, nil)
		return err, fmt.Sprintf(lockedText, q)
	}},
	{name: "consume another connection's exclusive queue", code: 405, run: func(e *errEnv) (error, string) {
		q := e.n("q")
		e.ch.QueueDeclare(q, false, false, true, false, nil)
		ch2 := openChannel(e.t, e.other())
		_, err := ch2.Consume(q, "", false, false, false, false, nil)
		return err, fmt.Sprintf(lockedText, q)
	}},
	{name: "consume a queue with an exclusive consumer", code: 403, run: func(e *errEnv) (error, string) {
		q := e.q("q")
		e.ch.QueueDeclare(q, false, false, false, false, nil)
		e.ch.Consume(q, "", false, true, false, false, nil)
		ch2 := openChannel(e.t, e.conn)
		_, err := ch2.Consume(q, "", false, false, false, false, nil)
		return err, fmt.Sprintf("ACCESS_REFUSED - queue '%s' in vhost '/' in exclusive use", q)
	}},
	{name: "reuse a consumer tag", code: 530, run: func(e *errEnv) (error, string) {
		q := e.q("q")
		e.ch.QueueDeclare(q, false, false, false, false, nil)
		e.ch.Consume(q, "t", false, false, false, false, nil)
		_, err := e.ch.Consume(q, "t", false, false, false, false, nil)
		return err, "NOT_ALLOWED - attempt to reuse consumer tag 't'"
	}},
	{name: "ack an unknown delivery tag", code: 406, run: func(e *errEnv) (error, string) {
		e.ch.Ack(5, false)
		return e.sync(), "PRECONDITION_FAILED - unknown delivery tag 5"
	}},
	{name: "reject an unknown delivery tag", code: 406, run: func(e *errEnv) (error, string) {
		e.ch.Reject(7, true)
		return e.sync(), "PRECONDITION_FAILED - unknown delivery tag 7"
	}},
	{name: "ack a delivery tag twice", code: 406, run: func(e *errEnv) (error, string) {
		got := e.getN(1)
		e.ch.Ack(got[0], false)
		e.ch.Ack(got[0], false)
		return e.sync(), fmt.Sprintf("PRECONDITION_FAILED - unknown delivery tag %d", got[0])
	}},
	{name: "multiple ack of a tag already acked, older ones outstanding", code: 406, run: func(e *errEnv) (error, string) {
		got := e.getN(2)
		e.ch.Ack(got[1], false)
		e.ch.Ack(got[1], true)
		return e.sync(), fmt.Sprintf("PRECONDITION_FAILED - unknown delivery tag %d", got[1])
	}},
	{name: "multiple ack of a tag already acked, none outstanding", code: 406, run: func(e *errEnv) (error, string) {
		got := e.getN(1)
		e.ch.Ack(got[0], false)
		e.ch.Ack(got[0], true)
		return e.sync(), fmt.Sprintf("PRECONDITION_FAILED - unknown delivery tag %d", got[0])
	}},
	{name: "multiple ack of a tag never delivered", code: 406, run: func(e *errEnv) (error, string) {
		got := e.getN(1)
		e.ch.Ack(got[0]+5, true)
		return e.sync(), fmt.Sprintf("PRECONDITION_FAILED - unknown delivery tag %d", got[0]+5)
	}},
	{name: "multiple nack of a tag never delivered", code: 406, run: func(e *errEnv) (error, string) {
		got := e.getN(1)
		e.ch.Nack(got[0]+5, true, true)
		return e.sync(), fmt.Sprintf("PRECONDITION_FAILED - unknown delivery tag %d", got[0]+5)
	}},
	{name: "ack a delivery tag twice in a transaction", code: 406, run: func(e *errEnv) (error, string) {
		got := e.getN(1)
		e.ch.Tx()
		e.ch.Ack(got[0], false)
		e.ch.Ack(got[0], false)
		return e.sync(), fmt.Sprintf("PRECONDITION_FAILED - unknown delivery tag %d", got[0])
	}},
	{name: "multiple ack in a transaction of a tag already acked in it", code: 406, run: func(e *errEnv) (error, string) {
		got := e.getN(2)
		e.ch.Tx()
		e.ch.Ack(got[1], true)
		e.ch.Ack(got[0], true)
		return e.sync(), fmt.Sprintf("PRECONDITION_FAILED - unknown delivery tag %d", got[0])
	}},
	{name: "exchange redeclared auto-delete", code: 406, run: func(e *errEnv) (error, string) {
		x := e.x("x")
		e.ch.ExchangeDeclare(x, "direct", false, false, false, false, nil)
		return e.ch.ExchangeDeclare(x, "direct", false, true, false, false, nil), fmt.Sprintf("PRECONDITION_FAILED - inequivalent arg 'auto_delete' for exchange '%s' in vhost '/': received 'true' but current is 'false'", x)
	}},
	{name: "delete a queue in use, if-unused", code: 406, run: func(e *errEnv) (error, string) {
		q := e.q("q")
		e.ch.QueueDeclare(q, false, false, false, false, nil)
		e.ch.Consume(q, "", false, false, false, false, nil)
		_, err := e.ch.QueueDelete(q, true, false, false)
		return err, fmt.Sprintf("PRECONDITION_FAILED - queue '%s' in vhost '/' in use", q)
	}},
	{name: "delete a queue with messages, if-empty", code: 406, run: func(e *errEnv) (error, string) {
		q := e.q("q")
		e.ch.QueueDeclare(q, false, false, false, false, nil)
		e.ch.PublishWithContext(context.Background(), "", q, false, false, amqp.Publishing{})
		e.sync()
		_, err := e.ch.QueueDelete(q, false, true, false)
		return err, fmt.Sprintf("PRECONDITION_FAILED - queue '%s' in vhost '/' not empty", q)
	}},
	{name: "delete an exchange in use, if-unused", code: 406, run: func(e *errEnv) (error, string) {
		x, q := e.x("x"), e.q("q")
		e.ch.ExchangeDeclare(x, "direct", false, false, false, false, nil)
		e.ch.QueueDeclare(q, false, false, false, false, nil)
		e.ch.QueueBind(q, "k", x, false, nil)
		return e.ch.ExchangeDelete(x, true, false), fmt.Sprintf("PRECONDITION_FAILED - exchange '%s' in vhost '/' in use", x)
	}},
	{name: "confirm.select on a tx channel", code: 406, run: func(e *errEnv) (error, string) {
		e.ch.Tx()
		return e.ch.Confirm(false), "PRECONDITION_FAILED - cannot switch from tx to confirm mode"
	}},
	{name: "tx.select on a confirm channel", code: 406, run: func(e *errEnv) (error, string) {
		e.ch.Confirm(false)
		return e.ch.Tx(), "PRECONDITION_FAILED - cannot switch from confirm to tx mode"
	}},
	{name: "tx.commit without tx.select", code: 406, run: func(e *errEnv) (error, string) {
		return e.ch.TxCommit(), "PRECONDITION_FAILED - channel is not transactional"
	}},
	{name: "channel.flow active=false", code: 540, run: func(e *errEnv) (error, string) {
		err := e.ch.Flow(false)
		if err == nil {
			err = e.sync()
		}
		return err, "NOT_IMPLEMENTED - active=false"
	}},
	{name: "basic.recover requeue=false", code: 540, run: func(e *errEnv) (error, string) {
		err := e.ch.Recover(false)
		if err == nil {
			err = e.sync()
		}
		return err, "NOT_IMPLEMENTED - requeue=false"
	}},
	{name: "basic.qos prefetch-size", code: 540, run: func(e *errEnv) (error, string) {
		return e.ch.Qos(5, 10, false), "NOT_IMPLEMENTED - prefetch_size!=0 (10)"
	}},
	{name: "negative x-message-ttl", code: 406, run: func(e *errEnv) (error, string) {
		q := e.n("q")
		_, err := e.ch.QueueDeclare(q, false, true, false, false, amqp.Table{"x-message-ttl": int32(-1)})
		return err, fmt.Sprintf("PRECONDITION_FAILED - invalid arg 'x-message-ttl' for queue '%s' in vhost '/': {value_negative,-1}", q)
	}},
	{name: "x-expires zero", code: 406, run: func(e *errEnv) (error, string) {
		q := e.n("q")
		_, err := e.ch.QueueDeclare(q, false, true, false, false, amqp.Table{"x-expires": int32(0)})
		return err, fmt.Sprintf("PRECONDITION_FAILED - invalid arg 'x-expires' for queue '%s' in vhost '/': {value_zero,0}", q)
	}},
	{name: "x-max-priority above 255", code: 406, run: func(e *errEnv) (error, string) {
		q := e.n("q")
		_, err := e.ch.QueueDeclare(q, false, true, false, false, amqp.Table{"x-max-priority": int32(256)})
		return err, fmt.Sprintf("PRECONDITION_FAILED - invalid arg 'x-max-priority' for queue '%s' in vhost '/': {max_value_exceeded,256}", q)
	}},
	{name: "unknown x-overflow", code: 406, run: func(e *errEnv) (error, string) {
		q := e.n("q")
		_, err := e.ch.QueueDeclare(q, false, true, false, false, amqp.Table{"x-overflow": "foo"})
		return err, fmt.Sprintf("PRECONDITION_FAILED - invalid arg 'x-overflow' for queue '%s' in vhost '/': invalid_overflow", q)
	}},
	{name: "dead-letter routing key without exchange", code: 406, run: func(e *errEnv) (error, string) {
		q := e.n("q")
		_, err := e.ch.QueueDeclare(q, false, true, false, false, amqp.Table{"x-dead-letter-routing-key": "k"})
		return err, fmt.Sprintf("PRECONDITION_FAILED - invalid arg 'x-dead-letter-routing-key' for queue '%s' in vhost '/': routing_key_but_no_dlx_defined", q)
	}},
	{name: "expiration that is not a number", code: 406, run: func(e *errEnv) (error, string) {
		e.ch.PublishWithContext(context.Background(), "", "k", false, false, amqp.Publishing{Expiration: "abc"})
		return e.sync(), "PRECONDITION_FAILED - invalid expiration 'abc': no_integer"
	}},
	{name: "empty queue name with none declared", code: 404, run: func(e *errEnv) (error, string) {
		return e.ch.QueueBind("", "k", "amq.direct", false, nil), "NOT_FOUND - no previously declared queue"
	}},
	{name: "basic.get from a missing queue", code: 404, run: func(e *errEnv) (error, string) {
		q := e.n("missing")
		_, _, err := e.ch.Get(q, false)
		return err, fmt.Sprintf("NOT_FOUND - no queue '%s' in vhost '/'", q)
	}},
	{name: "unknown vhost", code: 530, run: func(e *errEnv) (error, string) {
		u := e.b.url[:len(e.b.url)-1] + "/warren-no-such-vhost"
		_, err := amqp.Dial(u)
		return err, "NOT_ALLOWED - vhost warren-no-such-vhost not found"
	}},
	{name: "alternate-exchange that is not a string", code: 406, run: func(e *errEnv) (error, string) {
		x := e.n("x")
		return e.ch.ExchangeDeclare(x, "direct", false, true, false, false, amqp.Table{"alternate-exchange": int32(5)}), fmt.Sprintf("PRECONDITION_FAILED - invalid type 'signedint' for arg 'alternate-exchange' in exchange '%s' in vhost '/'", x)
	}},
}

// TestErrorsAsRabbitMQ runs each error case against the embedded broker
// and the live RabbitMQ, expecting the same reply code and text, and the
// same consequence: a soft error closes the channel only, a hard one the
// connection.
func TestErrorsAsRabbitMQ(t *testing.T) {
	for _, b := range bothBrokers(t) {
		t.Run(b.name, func(t *testing.T) {
			for _, tc := range errCases {
				t.Run(tc.name, func(t *testing.T) {
					prefix := uniq("err")
					e := &errEnv{t: t, b: b, n: func(s string) string { return prefix + "-" + s }}
					e.conn = dial(t, b.url)
					e.ch = openChannel(t, e.conn)
					e.closed = e.ch.NotifyClose(make(chan *amqp.Error, 1))
					t.Cleanup(func() { cleanupNames(t, b.url, e.queues, e.exchanges) })
					err, text := tc.run(e)
					code := tc.code
					if b.is3x() && tc.code3x != 0 {
						code = tc.code3x
					}
					if tc.text3x != "" && b.is3x() {
						text = tc.text3x
					}
					if len(text) > 0 && text[0] != '_' && !hasCodeName(text) {
						// the case gave the explanation only: prefix the code's name
						text = codeName(code) + " - " + text
					}
					var ae *amqp.Error
					if !errors.As(err, &ae) {
						t.Fatalf("got %v, want %d %s", err, code, text)
					}
					if int(ae.Code) != code || ae.Reason != text {
						t.Fatalf("got %d %q\nwant %d %q", ae.Code, ae.Reason, code, text)
					}
					hard := code != 403 && code != 404 && code != 405 && code != 406
					if tc.name == "unknown vhost" {
						return
					}
					_, chErr := e.conn.Channel()
					if hard && chErr == nil {
						t.Fatalf("%d should have closed the connection; it is still open", code)
					}
					if !hard && chErr != nil {
						t.Fatalf("%d should have closed only the channel; the connection says %v", code, chErr)
					}
				})
			}
		})
	}
}

func hasCodeName(text string) bool {
	for _, c := range []int{403, 404, 405, 406, 503, 530, 540} {
		if len(text) > len(codeName(c)) && text[:len(codeName(c))] == codeName(c) {
			return true
		}
	}
	return false
}

func codeName(code int) string {
	switch code {
	case 403:
		return "ACCESS_REFUSED"
	case 404:
		return "NOT_FOUND"
	case 405:
		return "RESOURCE_LOCKED"
	case 406:
		return "PRECONDITION_FAILED"
	case 503:
		return "COMMAND_INVALID"
	case 530:
		return "NOT_ALLOWED"
	case 540:
		return "NOT_IMPLEMENTED"
	}
	return fmt.Sprint(code)
}

// cleanupNames deletes test queues and exchanges on a fresh connection.
func cleanupNames(t *testing.T, url string, queues, exchanges []string) {
	if len(queues)+len(exchanges) == 0 {
		return
	}
	c, err := amqp.Dial(url)
	if err != nil {
		return
	}
	defer c.Close()
	for _, q := range queues {
		if ch, err := c.Channel(); err == nil {
			ch.QueueDelete(q, false, false, false)
			ch.Close()
		}
	}
	for _, x := range exchanges {
		if ch, err := c.Channel(); err == nil {
			ch.ExchangeDelete(x, false, false)
			ch.Close()
		}
	}
}
