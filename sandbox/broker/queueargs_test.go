package broker

import (
	"context"
	"fmt"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// deadLetterPair declares a dead-letter queue and a source queue whose
// dead letters go to it through the default exchange.
func deadLetterPair(t *testing.T, ch *amqp.Channel, args amqp.Table) (src, dlq string) {
	t.Helper()
	dlq = mustQueue(t, ch, nil)
	if args == nil {
		args = amqp.Table{}
	}
	args["x-dead-letter-exchange"] = ""
	args["x-dead-letter-routing-key"] = dlq
	return mustQueue(t, ch, args), dlq
}

func death(t *testing.T, d amqp.Delivery) amqp.Table {
	t.Helper()
	deaths, ok := d.Headers["x-death"].([]any)
	if !ok || len(deaths) == 0 {
		t.Fatalf("no x-death in %v", d.Headers)
	}
	return deaths[0].(amqp.Table)
}

func TestMessageTTLDeadLetters(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		ch := openChannel(t, dial(t, b.url))
		src, dlq := deadLetterPair(t, ch, amqp.Table{"x-message-ttl": int32(30)})
		ds := mustConsume(t, ch, dlq, true)
		publish(t, ch, "", src, "old", amqp.Publishing{})
		d := recv(t, ds)
		x := death(t, d)
		if string(d.Body) != "old" || x["reason"] != "expired" || x["queue"] != src || x["count"] != int64(1) || x["exchange"] != "" {
			t.Fatalf("got %s with x-death %v", d.Body, x)
		}
		if rks, _ := x["routing-keys"].([]any); len(rks) != 1 || rks[0] != src {
			t.Fatalf("routing-keys %v", x["routing-keys"])
		}
		if _, ok := x["time"].(time.Time); !ok {
			t.Fatalf("x-death time %T", x["time"])
		}
		if d.Headers["x-first-death-reason"] != "expired" || d.Headers["x-first-death-queue"] != src {
			t.Fatalf("x-first-death-* %v", d.Headers)
		}
		if !b.is3x() && (d.Headers["x-last-death-reason"] != "expired" || d.Headers["x-last-death-queue"] != src) {
			t.Fatalf("x-last-death-* (RabbitMQ 3.13+) %v", d.Headers)
		}
		if d.RoutingKey != dlq {
			t.Fatalf("dead-lettered with routing key %q, want %q", d.RoutingKey, dlq)
		}
	})
}

func TestPerMessageExpiration(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		ch := openChannel(t, dial(t, b.url))
		src, dlq := deadLetterPair(t, ch, nil)
		ds := mustConsume(t, ch, dlq, true)
		publish(t, ch, "", src, "short", amqp.Publishing{Expiration: "20"})
		d := recv(t, ds)
		x := death(t, d)
		if x["original-expiration"] != "20" || d.Expiration != "" {
			t.Fatalf("original-expiration %v, expiration %q", x["original-expiration"], d.Expiration)
		}
	})
}

func TestRejectDeadLettersAndCounts(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		ch := openChannel(t, dial(t, b.url))
		src, dlq := deadLetterPair(t, ch, nil)
		publish(t, ch, "", src, "bad", amqp.Publishing{})
		d := recv(t, mustConsume(t, ch, src, false))
		d.Reject(false)
		dd := recv(t, mustConsume(t, ch, dlq, false))
		if x := death(t, dd); x["reason"] != "rejected" || x["count"] != int64(1) {
			t.Fatalf("x-death %v", x)
		}
	})
}

func TestMaxLengthDropHead(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		ch := openChannel(t, dial(t, b.url))
		src, dlq := deadLetterPair(t, ch, amqp.Table{"x-max-length": int32(2)})
		for i := 1; i <= 3; i++ {
			publish(t, ch, "", src, fmt.Sprint(i), amqp.Publishing{})
		}
		dd := recv(t, mustConsume(t, ch, dlq, true))
		if string(dd.Body) != "1" || death(t, dd)["reason"] != "maxlen" {
			t.Fatalf("dead-lettered %s %v", dd.Body, death(t, dd))
		}
		a, bb := mustGet(t, ch, src), mustGet(t, ch, src)
		if string(a.Body)+string(bb.Body) != "23" {
			t.Fatalf("queue kept %s%s, want 23", a.Body, bb.Body)
		}
	})
}

func TestMaxLengthBytes(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		ch := openChannel(t, dial(t, b.url))
		q := mustQueue(t, ch, amqp.Table{"x-max-length-bytes": int32(10)})
		publish(t, ch, "", q, "12345", amqp.Publishing{})
		publish(t, ch, "", q, "67890", amqp.Publishing{})
		publish(t, ch, "", q, "abc", amqp.Publishing{})
		if d := mustGet(t, ch, q); string(d.Body) != "67890" {
			t.Fatalf("head %s, want 67890 (12345 dropped)", d.Body)
		}
	})
}

func TestRejectPublishNacks(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		ch := openChannel(t, dial(t, b.url))
		q := mustQueue(t, ch, amqp.Table{"x-max-length": int32(1), "x-overflow": "reject-publish"})
		if err := ch.Confirm(false); err != nil {
			t.Fatal(err)
		}
		var acks []bool
		for _, s := range []string{"fits", "overflows"} {
			dc, err := ch.PublishWithDeferredConfirmWithContext(context.Background(), "", q, false, false, amqp.Publishing{Body: []byte(s)})
			if err != nil {
				t.Fatal(err)
			}
			acks = append(acks, dc.Wait())
		}
		if fmt.Sprint(acks) != "[true false]" {
			t.Fatalf("confirms %v, want [true false]", acks)
		}
		if d := mustGet(t, ch, q); string(d.Body) != "fits" {
			t.Fatalf("queue holds %s", d.Body)
		}
	})
}

func TestRejectPublishDLX(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		ch := openChannel(t, dial(t, b.url))
		src, dlq := deadLetterPair(t, ch, amqp.Table{"x-max-length": int32(1), "x-overflow": "reject-publish-dlx"})
		publish(t, ch, "", src, "kept", amqp.Publishing{})
		publish(t, ch, "", src, "refused", amqp.Publishing{})
		dd := recv(t, mustConsume(t, ch, dlq, true))
		if string(dd.Body) != "refused" || death(t, dd)["reason"] != "maxlen" {
			t.Fatalf("dead-lettered %s %v", dd.Body, death(t, dd))
		}
	})
}

func TestQueueExpires(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		c := dial(t, b.url)
		ch := openChannel(t, c)
		name := uniq("expiring")
		if _, err := ch.QueueDeclare(name, false, false, false, false, amqp.Table{"x-expires": int32(50)}); err != nil {
			t.Fatal(err)
		}
		defer cleanupNames(t, b.url, []string{name}, nil)
		deadline := time.Now().Add(5 * time.Second)
		for {
			pch := openChannel(t, c)
			_, err := pch.QueueDeclarePassive(name, false, false, false, false, nil)
			if err != nil {
				break // gone: 404
			}
			pch.Close()
			if time.Now().After(deadline) {
				t.Fatal("queue with x-expires 50ms still there after 5s")
			}
			// a passive declare counts as use and restarts x-expires: look
			// less often than it runs
			time.Sleep(150 * time.Millisecond)
		}
	})
}

func TestDeadLetterCycleDropped(t *testing.T) {
	// a queue dead-lettering expired messages to itself drops them rather
	// than looping; the queue ends up empty
	forBoth(t, func(t *testing.T, b testBroker) {
		ch := openChannel(t, dial(t, b.url))
		name := uniq("cycle")
		q, err := ch.QueueDeclare(name, false, false, true, false, amqp.Table{"x-message-ttl": int32(10), "x-dead-letter-exchange": "", "x-dead-letter-routing-key": name})
		if err != nil {
			t.Fatal(err)
		}
		other := mustQueue(t, ch, nil)
		// expired once into itself would be a cycle: dropped. Prove progress
		// with a marker that goes through a queue without TTL.
		publish(t, ch, "", q.Name, "loop", amqp.Publishing{})
		publish(t, ch, "", other, "marker", amqp.Publishing{})
		recv(t, mustConsume(t, ch, other, true))
		deadline := time.Now().Add(5 * time.Second)
		for {
			qi, err := ch.QueueDeclarePassive(q.Name, false, false, true, false, nil)
			if err != nil {
				t.Fatal(err)
			}
			if qi.Messages == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d messages still cycling", qi.Messages)
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

func TestDeadLetterRoutingKeysKeepCCNotBCC(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		ch := openChannel(t, dial(t, b.url))
		src, dlq := deadLetterPair(t, ch, amqp.Table{"x-message-ttl": int32(0)})
		publish(t, ch, "", src, "cc", amqp.Publishing{Headers: amqp.Table{"CC": []any{"cc-1"}, "BCC": []any{"bcc-1"}}})
		d := recv(t, mustConsume(t, ch, dlq, true))
		if _, ok := d.Headers["BCC"]; ok {
			t.Fatal("BCC header delivered")
		}
		rks, _ := death(t, d)["routing-keys"].([]any)
		if fmt.Sprint(rks) != fmt.Sprintf("[%s cc-1]", src) {
			t.Fatalf("x-death routing-keys %v, want [%s cc-1]", rks, src)
		}
	})
}

func TestPriorityQueue(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		ch := openChannel(t, dial(t, b.url))
		q := mustQueue(t, ch, amqp.Table{"x-max-priority": int32(5)})
		for i, p := range []uint8{0, 3, 9, 1, 3, 5} {
			publish(t, ch, "", q, fmt.Sprint(i), amqp.Publishing{Priority: p})
		}
		var got []string
		for range 7 {
			d := mustGet(t, ch, q)
			got = append(got, fmt.Sprintf("%s/p%d", d.Body, d.Priority))
			if len(got) == 2 {
				d.Nack(false, true) // back in its place among the priority-5 messages
			}
		}
		// 9 counts as the maximum, 5; equal priorities keep publish order
		if want := "[2/p9 5/p5 5/p5 1/p3 4/p3 3/p1 0/p0]"; fmt.Sprint(got) != want {
			t.Fatalf("order %v, want %s", got, want)
		}
	})
}

func TestSingleActiveConsumer(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		c := dial(t, b.url)
		ch := openChannel(t, c)
		q := mustQueue(t, ch, amqp.Table{"x-single-active-consumer": true})
		chA, chB := openChannel(t, c), openChannel(t, c)
		dsA, err := chA.Consume(q, "a", true, false, false, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		dsB := mustConsume(t, chB, q, true)
		for i := range 3 {
			publish(t, ch, "", q, fmt.Sprint(i), amqp.Publishing{})
		}
		for i := range 3 {
			if d := recv(t, dsA); string(d.Body) != fmt.Sprint(i) {
				t.Fatalf("active consumer got %s", d.Body)
			}
		}
		noDelivery(t, chB, dsB)
		chA.Cancel("a", false)
		publish(t, ch, "", q, "after", amqp.Publishing{})
		if d := recv(t, dsB); string(d.Body) != "after" {
			t.Fatalf("next consumer got %s", d.Body)
		}
	})
}
