package broker

import (
	"fmt"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// At-least-once dead-lettering of quorum queues.

// confirmed publishes to the default exchange on a confirm channel and
// reports the confirm.
func confirmed(t *testing.T, ch *amqp.Channel, queue, body string) bool {
	t.Helper()
	dc, err := ch.PublishWithDeferredConfirm("", queue, false, false, amqp.Publishing{Body: []byte(body)})
	if err != nil {
		t.Fatal(err)
	}
	return dc.Wait()
}

// rejectOne takes the head message of q and rejects it without requeue:
// it is dead-lettered.
func rejectOne(t *testing.T, ch *amqp.Channel, q string) {
	t.Helper()
	d, ok, err := ch.Get(q, false)
	if err != nil || !ok {
		t.Fatalf("get from %s: ok=%v err=%v", q, ok, err)
	}
	if err := d.Reject(false); err != nil {
		t.Fatal(err)
	}
}

// A dead letter that cannot be placed (its exchange does not exist) stays
// in an at-least-once queue and counts against x-max-length there, on
// both brokers; an at-most-once queue, or at-least-once with drop-head
// (RabbitMQ falls back to at-most-once), lets it go.
func TestQuorumAtLeastOnceHoldsWhatItCannotPlace(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		c := dial(t, b.url)
		ch := openChannel(t, c)
		if err := ch.Confirm(false); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name     string
			strategy string
			overflow string
			// the confirms of the publishes after the dead-lettering
			want []bool
		}{
			{"at-least-once", "at-least-once", "reject-publish", []bool{true, false}},
			{"at-most-once", "at-most-once", "reject-publish", []bool{true, true, false}},
			{"at-least-once with drop-head", "at-least-once", "drop-head", []bool{true, true, true}},
		} {
			q := durableQueue(t, b, uniq("qq-dl"), amqp.Table{"x-queue-type": "quorum", "x-max-length": int32(1),
				"x-overflow": tc.overflow, "x-dead-letter-strategy": tc.strategy, "x-dead-letter-exchange": uniq("no-such-x")})
			if !confirmed(t, ch, q, "first") {
				t.Fatalf("%s: the first publish was nacked", tc.name)
			}
			rejectOne(t, ch, q)
			for i, want := range tc.want {
				if got := confirmed(t, ch, q, fmt.Sprint(i)); got != want {
					t.Fatalf("%s: publish %d after the dead letter confirmed %v, want %v", tc.name, i, got, want)
				}
			}
		}
	})
}

// Once its dead-letter exchange exists, a held dead letter is placed at
// the next retry, three minutes on; on the embedded broker with its clock
// moved (RabbitMQ would need the test to wait three minutes).
func TestQuorumAtLeastOnceRetriesOnItsClock(t *testing.T) {
	s, vc := timeoutBroker(t, Options{})
	c := dial(t, s.URL())
	ch := openChannel(t, c)
	dlx := uniq("dlx")
	q := durableQueue(t, testBroker{url: s.URL()}, uniq("qq-alo"), amqp.Table{"x-queue-type": "quorum", "x-overflow": "reject-publish",
		"x-dead-letter-strategy": "at-least-once", "x-dead-letter-exchange": dlx, "x-dead-letter-routing-key": "dead"})
	publish(t, ch, "", q, "poison", amqp.Publishing{})
	rejectOne(t, ch, q)
	if err := ch.ExchangeDeclare(dlx, "direct", true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	dlq := durableQueue(t, testBroker{url: s.URL()}, uniq("dlq"), nil)
	if err := ch.QueueBind(dlq, "dead", dlx, false, nil); err != nil {
		t.Fatal(err)
	}
	vc.Advance(deadLetterRetry - time.Second)
	if _, ok, _ := ch.Get(dlq, true); ok {
		t.Fatal("placed before the retry")
	}
	vc.Advance(time.Second)
	d, ok, err := ch.Get(dlq, true)
	if err != nil || !ok || string(d.Body) != "poison" {
		t.Fatalf("after the retry: %q ok=%v err=%v, want the dead letter", d.Body, ok, err)
	}
	deaths, _ := d.Headers["x-death"].([]any)
	if len(deaths) != 1 || deaths[0].(amqp.Table)["reason"] != "rejected" || deaths[0].(amqp.Table)["queue"] != q {
		t.Fatalf("x-death %v, want one death: rejected from %s", d.Headers["x-death"], q)
	}
	// and it left its queue: nothing held, nothing counted
	qq := s.lookupVHost("/").queues[q]
	qq.mu.Lock()
	held, bytes := len(qq.held), qq.heldBytes
	qq.mu.Unlock()
	if held != 0 || bytes != 0 {
		t.Fatalf("the queue still holds %d dead letters (%d bytes)", held, bytes)
	}
	if n := s.memBytes.Load(); n != 0 {
		t.Fatalf("%d bytes of bodies still accounted", n)
	}
}
