package broker

import (
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/warrenmq/warren/sandbox/broker/clock"
)

// The consumer timeout on the embedded broker with its clock moved by
// hand: RabbitMQ 3.10 (the live broker of these tests) does not know
// x-consumer-timeout, and its consumer_timeout is 30 minutes, which no
// test can wait for; the reply text is RabbitMQ 4.1's.

// timeoutBroker starts a broker on a stopped virtual clock.
func timeoutBroker(t *testing.T, opts Options) (*Server, *clock.Virtual) {
	t.Helper()
	vc := clock.NewVirtual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), false)
	opts.Clock = vc
	return startBroker(t, opts), vc
}

// closeOf waits for the channel's close.
func closeOf(t *testing.T, closed <-chan *amqp.Error) *amqp.Error {
	t.Helper()
	select {
	case e := <-closed:
		return e
	case <-time.After(5 * time.Second):
		t.Fatal("the channel was not closed within 5s")
	}
	return nil
}

func TestConsumerTimeoutClosesTheChannelAtTheFirstTickPastIt(t *testing.T) {
	s, vc := timeoutBroker(t, Options{})
	c := dial(t, s.URL())
	ch := openChannel(t, c)
	q := mustQueue(t, ch, amqp.Table{"x-consumer-timeout": int32(90_000)})
	closed := ch.NotifyClose(make(chan *amqp.Error, 1))
	ds, err := ch.Consume(q, "", false, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	publish(t, ch, "", q, "slow", amqp.Publishing{})
	d := recv(t, ds)
	// ticks at 1 and 2 minutes after the delivery: at the first the
	// delivery is 60s old (under 90s), at the second 120s
	vc.Advance(time.Minute)
	noDelivery(t, ch, ds)
	vc.Advance(time.Minute)
	e := closeOf(t, closed)
	want := "PRECONDITION_FAILED - delivery acknowledgement on channel 1 timed out. Timeout value used: 90000 ms. This timeout value can be configured, see consumers doc guide to learn more"
	if e == nil || e.Code != 406 || e.Reason != want {
		t.Fatalf("channel closed with %v\nwant 406 %s", e, want)
	}
	// the delivery went back to the queue, for the next consumer
	ch2 := openChannel(t, c)
	got, ok, err := ch2.Get(q, true)
	if err != nil || !ok || string(got.Body) != "slow" || !got.Redelivered {
		t.Fatalf("after the timeout: get %q redelivered=%v ok=%v err=%v, want the message back, redelivered", got.Body, got.Redelivered, ok, err)
	}
	_ = d
}

func TestConsumerTimeoutBrokerWideDefaultAndOff(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opt     time.Duration
		args    amqp.Table
		advance time.Duration
		closes  bool
	}{
		{"30 minutes by default: not at 29", 0, nil, 29 * time.Minute, false},
		{"30 minutes by default: at 31", 0, nil, 31 * time.Minute, true},
		{"set to 5 minutes", 5 * time.Minute, nil, 6 * time.Minute, true},
		{"off", -1, nil, 24 * time.Hour, false},
		{"the queue's own over the broker's", 5 * time.Minute, amqp.Table{"x-consumer-timeout": int64(3_600_000)}, 30 * time.Minute, false},
		{"a queue's timeout that is not an integer is none (4.1)", 5 * time.Minute, amqp.Table{"x-consumer-timeout": "60000"}, time.Hour, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, vc := timeoutBroker(t, Options{ConsumerTimeout: tc.opt})
			c := dial(t, s.URL())
			ch := openChannel(t, c)
			q := mustQueue(t, ch, tc.args)
			closed := ch.NotifyClose(make(chan *amqp.Error, 1))
			publish(t, ch, "", q, "m", amqp.Publishing{})
			// a basic.get delivery is held to the timeout too
			if _, ok, err := ch.Get(q, false); !ok || err != nil {
				t.Fatalf("get: ok=%v err=%v", ok, err)
			}
			vc.Advance(tc.advance)
			if tc.closes {
				if e := closeOf(t, closed); e == nil || e.Code != 406 {
					t.Fatalf("closed with %v, want 406", e)
				}
				return
			}
			// still open: a round trip works
			if _, err := ch.QueueDeclarePassive(q, false, false, true, false, nil); err != nil {
				t.Fatalf("the channel is gone: %v", err)
			}
		})
	}
}

func TestConsumerTimeoutSparesAChannelThatAcked(t *testing.T) {
	s, vc := timeoutBroker(t, Options{ConsumerTimeout: 2 * time.Minute})
	c := dial(t, s.URL())
	ch := openChannel(t, c)
	q := mustQueue(t, ch, nil)
	ds, err := ch.Consume(q, "", false, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	publish(t, ch, "", q, "a", amqp.Publishing{})
	d := recv(t, ds)
	vc.Advance(time.Minute)
	if err := d.Ack(false); err != nil {
		t.Fatal(err)
	}
	// the ack is processed once a round trip after it has come back
	if _, err := ch.QueueDeclarePassive(q, false, false, true, false, nil); err != nil {
		t.Fatal(err)
	}
	vc.Advance(time.Hour)
	if _, err := ch.QueueDeclarePassive(q, false, false, true, false, nil); err != nil {
		t.Fatalf("a channel with nothing unacked was closed: %v", err)
	}
}
