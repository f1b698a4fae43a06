package broker

import (
	"fmt"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/warrenmq/warren/sandbox/broker/clock"
)

// Streams over AMQP 0-9-1, on both brokers.

// streamWithMessages declares a stream and appends n messages m0..m(n-1),
// each confirmed before the next (so each is a chunk of its own on
// RabbitMQ too).
func streamWithMessages(t *testing.T, b testBroker, args amqp.Table, n int, size int) string {
	t.Helper()
	a := amqp.Table{"x-queue-type": "stream"}
	for k, v := range args {
		a[k] = v
	}
	q := durableQueue(t, b, uniq("stream"), a)
	ch := openChannel(t, dial(t, b.url))
	if err := ch.Confirm(false); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		body := fmt.Sprintf("m%d", i)
		for len(body) < size {
			body += "."
		}
		dc, err := ch.PublishWithDeferredConfirm("", q, false, false, amqp.Publishing{Body: []byte(body)})
		if err != nil || !dc.Wait() {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	return q
}

// readStream consumes from offset and returns "body@offset" for each
// message until want have come.
func readStream(t *testing.T, b testBroker, q string, offset any, want int) []string {
	t.Helper()
	ch := openChannel(t, dial(t, b.url))
	ch.Qos(10, 0, false)
	var args amqp.Table
	if offset != nil {
		args = amqp.Table{"x-stream-offset": offset}
	}
	ds, err := ch.Consume(q, "", false, false, false, false, args)
	if err != nil {
		t.Fatalf("consume from %v: %v", offset, err)
	}
	var got []string
	for len(got) < want {
		d := recv(t, ds)
		off, _ := numeric(d.Headers["x-stream-offset"])
		body := string(d.Body)
		if i := len(body); i > 3 {
			body = body[:2]
		}
		got = append(got, fmt.Sprintf("%s@%d", body, off))
		d.Ack(false)
	}
	noDelivery(t, ch, ds)
	return got
}

func TestStreamOffsets(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		q := streamWithMessages(t, b, nil, 5, 0)
		for _, tc := range []struct {
			offset any
			want   string
		}{
			{"first", "[m0@0 m1@1 m2@2 m3@3 m4@4]"},
			{int64(2), "[m2@2 m3@3 m4@4]"},
			{int32(3), "[m3@3 m4@4]"},
			{int64(-1), "[m0@0 m1@1 m2@2 m3@3 m4@4]"}, // before the first: the first
			{"last", "[m4@4]"},                        // each message its own chunk
			{time.Now().Add(-time.Hour), "[m0@0 m1@1 m2@2 m3@3 m4@4]"},
			{"1h", "[m0@0 m1@1 m2@2 m3@3 m4@4]"},
		} {
			n := len(tc.want) / 5
			if got := fmt.Sprint(readStream(t, b, q, tc.offset, n)); got != tc.want {
				t.Errorf("from %v: %s, want %s", tc.offset, got, tc.want)
			}
		}
		// messages stay after they were consumed and acked
		if got := fmt.Sprint(readStream(t, b, q, "first", 5)); got != "[m0@0 m1@1 m2@2 m3@3 m4@4]" {
			t.Errorf("read again from first: %s", got)
		}
		// next (and no offset): only what is published from now on
		for _, off := range []any{"next", nil} {
			ch := openChannel(t, dial(t, b.url))
			ch.Qos(10, 0, false)
			var args amqp.Table
			if off != nil {
				args = amqp.Table{"x-stream-offset": off}
			}
			ds, err := ch.Consume(q, "", false, false, false, false, args)
			if err != nil {
				t.Fatal(err)
			}
			noDelivery(t, ch, ds)
			publish(t, ch, "", q, "new", amqp.Publishing{})
			d := recv(t, ds)
			if string(d.Body) != "new" {
				t.Fatalf("from %v got %q, want only the new message", off, d.Body)
			}
			d.Ack(false)
		}
	})
}

func TestStreamRefusals(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		q := streamWithMessages(t, b, nil, 1, 0)
		res := fmt.Sprintf("queue '%s' in vhost '/'", q)
		for _, tc := range []struct {
			name string
			do   func(ch *amqp.Channel) error
			code int
			want string
		}{
			{"no prefetch", func(ch *amqp.Channel) error {
				_, err := ch.Consume(q, "", false, false, false, false, nil)
				return err
			}, 406, fmt.Sprintf("PRECONDITION_FAILED - consumer prefetch count is not set for '%s'", res)},
			{"auto-ack", func(ch *amqp.Channel) error {
				ch.Qos(10, 0, false)
				_, err := ch.Consume(q, "", true, false, false, false, nil)
				return err
			}, 540, "NOT_IMPLEMENTED - automatic acknowledgement not supported by stream queues " + res},
			{"basic.get", func(ch *amqp.Channel) error {
				_, _, err := ch.Get(q, false)
				return err
			}, 540, "NOT_IMPLEMENTED - basic.get not supported by stream queues " + res},
			{"queue.purge", func(ch *amqp.Channel) error {
				_, err := ch.QueuePurge(q, false)
				return err
			}, 540, "NOT_IMPLEMENTED - queue.purge not supported by stream queues " + res},
			{"consumer priority", func(ch *amqp.Channel) error {
				ch.Qos(10, 0, false)
				_, err := ch.Consume(q, "", false, false, false, false, amqp.Table{"x-priority": int32(1)})
				return err
			}, 406, fmt.Sprintf("PRECONDITION_FAILED - invalid arg 'x-priority' for %s of queue type rabbit_stream_queue", res)},
			{"offset string", func(ch *amqp.Channel) error {
				ch.Qos(10, 0, false)
				_, err := ch.Consume(q, "", false, false, false, false, amqp.Table{"x-stream-offset": "5"})
				return err
			}, 406, fmt.Sprintf(`PRECONDITION_FAILED - invalid arg 'x-stream-offset' for %s: {invalid_stream_offset_arg,{longstr,<<"5">>}}`, res)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantAMQPError(t, tc.do(openChannel(t, dial(t, b.url))), tc.code, tc.want)
			})
		}
	})
}

// Retention by size: whole segments go, oldest first, when a new one
// starts and the stream is over x-max-length-bytes.
func TestStreamRetentionBySize(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		q := streamWithMessages(t, b, amqp.Table{"x-max-length-bytes": int64(2000), "x-stream-max-segment-size-bytes": int64(1000)}, 60, 100)
		ch := openChannel(t, dial(t, b.url))
		ch.Qos(100, 0, false)
		ds, err := ch.Consume(q, "", false, false, false, false, amqp.Table{"x-stream-offset": "first"})
		if err != nil {
			t.Fatal(err)
		}
		d := recv(t, ds)
		first, _ := numeric(d.Headers["x-stream-offset"])
		if first == 0 {
			t.Fatal("the oldest messages are still there: retention dropped nothing")
		}
		last := first
		for last < 59 {
			d := recv(t, ds)
			n, _ := numeric(d.Headers["x-stream-offset"])
			if n != last+1 {
				t.Fatalf("offset %d after %d", n, last)
			}
			last = n
		}
	})
}

// Retention by age, on the embedded broker with its clock moved: RabbitMQ
// would need the test to wait.
func TestStreamRetentionByAge(t *testing.T) {
	vc := clock.NewVirtual(time.Now(), false)
	s := startBroker(t, Options{Clock: vc})
	b := testBroker{name: "embedded", url: s.URL(), version: Version}
	q := streamWithMessages(t, b, amqp.Table{"x-max-age": "1h", "x-stream-max-segment-size-bytes": int64(10)}, 3, 10)
	vc.Advance(2 * time.Hour)
	ch := openChannel(t, dial(t, b.url))
	publish(t, ch, "", q, "fresh.....", amqp.Publishing{})
	// every segment older than an hour went when the new one started
	if got := fmt.Sprint(readStream(t, b, q, "first", 1)); got != "[fr@3]" {
		t.Fatalf("after two hours: %s", got)
	}
}
