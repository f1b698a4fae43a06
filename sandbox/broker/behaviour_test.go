package broker

import (
	"context"
	"fmt"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Behaviour tests: each runs against the embedded broker and the live
// RabbitMQ with the same expectations. Queues are exclusive (gone with the
// connection) or uniquely named and deleted afterwards.

func forBoth(t *testing.T, f func(t *testing.T, b testBroker)) {
	for _, b := range bothBrokers(t) {
		t.Run(b.name, func(t *testing.T) { f(t, b) })
	}
}

func mustQueue(t *testing.T, ch *amqp.Channel, args amqp.Table) string {
	t.Helper()
	q, err := ch.QueueDeclare(uniq("q"), false, false, true, false, args)
	if err != nil {
		t.Fatal(err)
	}
	return q.Name
}

func mustConsume(t *testing.T, ch *amqp.Channel, q string, autoAck bool) <-chan amqp.Delivery {
	t.Helper()
	ds, err := ch.Consume(q, "", autoAck, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func mustGet(t *testing.T, ch *amqp.Channel, q string) amqp.Delivery {
	t.Helper()
	d, ok, err := ch.Get(q, false)
	if err != nil || !ok {
		t.Fatalf("basic.get %s: ok=%v err=%v", q, ok, err)
	}
	return d
}

func TestRoundRobinAmongConsumersWithRoom(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		c := dial(t, b.url)
		ch := openChannel(t, c)
		q := mustQueue(t, ch, nil)
		chA, chB := openChannel(t, c), openChannel(t, c)
		chA.Qos(1, 0, false)
		chB.Qos(10, 0, false)
		dsA := mustConsume(t, chA, q, false)
		dsB := mustConsume(t, chB, q, false)
		for i := range 5 {
			publish(t, ch, "", q, fmt.Sprint(i), amqp.Publishing{})
		}
		// A has prefetch 1 and does not ack: it gets one, B the rest
		a := recv(t, dsA)
		var got []string
		for range 4 {
			got = append(got, string(recv(t, dsB).Body))
		}
		if string(a.Body) != "0" || fmt.Sprint(got) != "[1 2 3 4]" {
			t.Fatalf("A got %s, B got %v; want A 0, B [1 2 3 4]", a.Body, got)
		}
		noDelivery(t, chA, dsA)
	})
}

func TestRoundRobinAlternates(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		c := dial(t, b.url)
		ch := openChannel(t, c)
		q := mustQueue(t, ch, nil)
		chA, chB := openChannel(t, c), openChannel(t, c)
		dsA := mustConsume(t, chA, q, true)
		dsB := mustConsume(t, chB, q, true)
		for i := range 4 {
			publish(t, ch, "", q, fmt.Sprint(i), amqp.Publishing{})
		}
		a1, b1, a2, b2 := recv(t, dsA), recv(t, dsB), recv(t, dsA), recv(t, dsB)
		if string(a1.Body)+string(a2.Body) != "02" || string(b1.Body)+string(b2.Body) != "13" {
			t.Fatalf("A got %s%s, B got %s%s; want 02 and 13", a1.Body, a2.Body, b1.Body, b2.Body)
		}
	})
}

func TestRequeueRestoresOriginalPosition(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		ch := openChannel(t, dial(t, b.url))
		q := mustQueue(t, ch, nil)
		for _, s := range []string{"m1", "m2", "m3"} {
			publish(t, ch, "", q, s, amqp.Publishing{})
		}
		d1, d2 := mustGet(t, ch, q), mustGet(t, ch, q)
		if d2.MessageCount != 1 {
			t.Fatalf("message count after two gets = %d, want 1", d2.MessageCount)
		}
		d1.Nack(false, true)
		g := mustGet(t, ch, q)
		if string(g.Body) != "m1" || !g.Redelivered {
			t.Fatalf("after requeue got %s redelivered=%v; want m1 redelivered", g.Body, g.Redelivered)
		}
		// nack both (multiple): m1 and m2 go back before m3
		if err := ch.Nack(g.DeliveryTag, true, true); err != nil {
			t.Fatal(err)
		}
		_ = d2
		var order []string
		for range 3 {
			d := mustGet(t, ch, q)
			order = append(order, fmt.Sprintf("%s/%v", d.Body, d.Redelivered))
			d.Ack(false)
		}
		if fmt.Sprint(order) != "[m1/true m2/true m3/false]" {
			t.Fatalf("order %v", order)
		}
		if _, ok, _ := ch.Get(q, false); ok {
			t.Fatal("queue should be empty (get-empty)")
		}
	})
}

func TestMandatoryReturnBeforeConfirm(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		ch := openChannel(t, dial(t, b.url))
		returns := ch.NotifyReturn(make(chan amqp.Return, 1))
		confirms := ch.NotifyPublish(make(chan amqp.Confirmation, 2))
		if err := ch.Confirm(false); err != nil {
			t.Fatal(err)
		}
		ch.PublishWithContext(context.Background(), "amq.direct", uniq("nowhere"), true, false, amqp.Publishing{Body: []byte("x")})
		select {
		case cf := <-confirms:
			if !cf.Ack || cf.DeliveryTag != 1 {
				t.Fatalf("confirm %+v, want ack 1", cf)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no confirm")
		}
		select {
		case r := <-returns:
			if r.ReplyCode != 312 || r.ReplyText != "NO_ROUTE" || string(r.Body) != "x" {
				t.Fatalf("return %d %s %q", r.ReplyCode, r.ReplyText, r.Body)
			}
		default:
			t.Fatal("the basic.return must arrive before the confirm")
		}
	})
}

func TestUnackedRequeuedWhenChannelCloses(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		c := dial(t, b.url)
		ch := openChannel(t, c)
		q := mustQueue(t, ch, nil)
		ch2 := openChannel(t, c)
		ds := mustConsume(t, ch2, q, false)
		publish(t, ch, "", q, "hello", amqp.Publishing{})
		if d := recv(t, ds); d.Redelivered {
			t.Fatal("first delivery marked redelivered")
		}
		ch2.Close()
		ds3 := mustConsume(t, openChannel(t, c), q, false)
		if d := recv(t, ds3); string(d.Body) != "hello" || !d.Redelivered {
			t.Fatalf("got %s redelivered=%v, want hello redelivered", d.Body, d.Redelivered)
		}
	})
}

func TestExchangeToExchangeAndAlternate(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		ch := openChannel(t, dial(t, b.url))
		top, fan, ae := uniq("top"), uniq("fan"), uniq("ae")
		defer cleanupNames(t, b.url, nil, []string{top, fan, ae})
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(ch.ExchangeDeclare(ae, "fanout", false, false, false, false, nil))
		must(ch.ExchangeDeclare(top, "topic", false, false, false, false, amqp.Table{"alternate-exchange": ae}))
		must(ch.ExchangeDeclare(fan, "fanout", false, false, false, false, nil))
		must(ch.ExchangeBind(fan, "*.orange.*", top, false, nil))
		must(ch.ExchangeBind(top, "", fan, false, nil)) // a cycle: ignored
		qf, qa := mustQueue(t, ch, nil), mustQueue(t, ch, nil)
		must(ch.QueueBind(qf, "", fan, false, nil))
		must(ch.QueueBind(qa, "", ae, false, nil))
		dsF, dsA := mustConsume(t, ch, qf, true), mustConsume(t, ch, qa, true)
		publish(t, ch, top, "quick.orange.rabbit", "orange", amqp.Publishing{})
		publish(t, ch, top, "lazy.brown.fox", "brown", amqp.Publishing{})
		if d := recv(t, dsF); string(d.Body) != "orange" {
			t.Fatalf("fanout queue got %s", d.Body)
		}
		if d := recv(t, dsA); string(d.Body) != "brown" {
			t.Fatalf("alternate queue got %s", d.Body)
		}
		noDelivery(t, ch, dsF)
		noDelivery(t, ch, dsA)
	})
}

func TestHeadersExchange(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		ch := openChannel(t, dial(t, b.url))
		qAll, qAny := mustQueue(t, ch, nil), mustQueue(t, ch, nil)
		ch.QueueBind(qAll, "", "amq.match", false, amqp.Table{"x-match": "all", "format": "pdf", "type": "report"})
		ch.QueueBind(qAny, "", "amq.headers", false, amqp.Table{"x-match": "any", "format": "pdf", "type": "log"})
		dAll, dAny := mustConsume(t, ch, qAll, true), mustConsume(t, ch, qAny, true)
		publish(t, ch, "amq.match", "", "both", amqp.Publishing{Headers: amqp.Table{"format": "pdf", "type": "report"}})
		publish(t, ch, "amq.headers", "", "any", amqp.Publishing{Headers: amqp.Table{"type": "log"}})
		if d := recv(t, dAll); string(d.Body) != "both" {
			t.Fatalf("all-queue got %s", d.Body)
		}
		if d := recv(t, dAny); string(d.Body) != "any" {
			t.Fatalf("any-queue got %s", d.Body)
		}
	})
}

func TestConsumerCancelledWhenQueueDeleted(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		c := dial(t, b.url)
		ch := openChannel(t, c)
		q := mustQueue(t, ch, nil)
		cancels := ch.NotifyCancel(make(chan string, 1))
		if _, err := ch.Consume(q, "my-consumer", false, false, false, false, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := openChannel(t, c).QueueDelete(q, false, false, false); err != nil {
			t.Fatal(err)
		}
		select {
		case tag := <-cancels:
			if tag != "my-consumer" {
				t.Fatalf("cancelled %q", tag)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no basic.cancel from the broker")
		}
	})
}

func TestExclusiveAndAutoDeleteQueuesGo(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		c1 := dial(t, b.url)
		ch := openChannel(t, c1)
		excl := mustQueue(t, ch, nil)
		auto, err := ch.QueueDeclare(uniq("auto"), false, true, false, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		cch := openChannel(t, c1)
		if _, err := cch.Consume(auto.Name, "c", false, false, false, false, nil); err != nil {
			t.Fatal(err)
		}
		if err := cch.Cancel("c", false); err != nil {
			t.Fatal(err)
		}
		c2 := dial(t, b.url)
		if _, err := openChannel(t, c2).QueueDeclarePassive(auto.Name, false, true, false, false, nil); err == nil {
			t.Fatal("auto-delete queue still there after its last consumer left")
		}
		c1.Close()
		if _, err := openChannel(t, c2).QueueDeclarePassive(excl, false, false, true, false, nil); err == nil {
			t.Fatal("exclusive queue still there after its connection closed")
		}
	})
}

func TestServerNamedQueueAndEmptyName(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		ch := openChannel(t, dial(t, b.url))
		q, err := ch.QueueDeclare("", false, true, true, false, nil)
		if err != nil || len(q.Name) < 9 || q.Name[:8] != "amq.gen-" {
			t.Fatalf("server-named queue %q, %v", q.Name, err)
		}
		// "" now means the queue just declared
		if err := ch.QueueBind("", "k", "amq.direct", false, nil); err != nil {
			t.Fatal(err)
		}
		publish(t, ch, "amq.direct", "k", "via-empty-name", amqp.Publishing{})
		if d := mustGet(t, ch, q.Name); string(d.Body) != "via-empty-name" {
			t.Fatalf("got %s", d.Body)
		}
	})
}

func TestTransactions(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		c := dial(t, b.url)
		ch := openChannel(t, c)
		q := mustQueue(t, ch, nil)
		tx := openChannel(t, c)
		if err := tx.Tx(); err != nil {
			t.Fatal(err)
		}
		publish(t, tx, "", q, "rolled-back", amqp.Publishing{})
		if err := tx.TxRollback(); err != nil {
			t.Fatal(err)
		}
		publish(t, tx, "", q, "committed", amqp.Publishing{})
		if _, ok, _ := ch.Get(q, true); ok {
			t.Fatal("an uncommitted publish is visible")
		}
		if err := tx.TxCommit(); err != nil {
			t.Fatal(err)
		}
		d, ok, err := ch.Get(q, true)
		if err != nil || !ok || string(d.Body) != "committed" {
			t.Fatalf("after commit got %q ok=%v err=%v", d.Body, ok, err)
		}
		// acks in a transaction take effect at commit
		pc := openChannel(t, c)
		pc.Confirm(false)
		// a confirmed publish is in the queue before another channel looks
		dc, err := pc.PublishWithDeferredConfirmWithContext(context.Background(), "", q, false, false, amqp.Publishing{Body: []byte("to-ack")})
		if err != nil || !dc.Wait() {
			t.Fatalf("confirmed publish: %v", err)
		}
		g := mustGet(t, tx, q)
		g.Ack(false)
		tx.TxRollback()
		tx.Close() // the rolled-back ack leaves the message unacked: requeued
		// RabbitMQ requeues asynchronously after close-ok: wait for it
		if d := recv(t, mustConsume(t, ch, q, true)); string(d.Body) != "to-ack" || !d.Redelivered {
			t.Fatalf("got %s redelivered=%v", d.Body, d.Redelivered)
		}
	})
}

func TestBasicRecoverRequeues(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		ch := openChannel(t, dial(t, b.url))
		q := mustQueue(t, ch, nil)
		publish(t, ch, "", q, "again", amqp.Publishing{})
		ds := mustConsume(t, ch, q, false)
		recv(t, ds)
		if err := ch.Recover(true); err != nil {
			t.Fatal(err)
		}
		if d := recv(t, ds); string(d.Body) != "again" || !d.Redelivered {
			t.Fatalf("got %s redelivered=%v", d.Body, d.Redelivered)
		}
	})
}

func TestAutoDeleteExchangeGoesWithItsLastBinding(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		c := dial(t, b.url)
		ch := openChannel(t, c)
		x := uniq("autox")
		defer cleanupNames(t, b.url, nil, []string{x})
		if err := ch.ExchangeDeclare(x, "direct", false, true, false, false, nil); err != nil {
			t.Fatal(err)
		}
		q := mustQueue(t, ch, nil)
		if err := ch.QueueBind(q, "k", x, false, nil); err != nil {
			t.Fatal(err)
		}
		if err := ch.QueueUnbind(q, "k", x, nil); err != nil {
			t.Fatal(err)
		}
		if err := openChannel(t, c).ExchangeDeclarePassive(x, "direct", false, true, false, false, nil); err == nil {
			t.Fatal("auto-delete exchange still there after its last binding went")
		}
	})
}

func TestZeroTTLDeliversOnlyToWaitingConsumers(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		ch := openChannel(t, dial(t, b.url))
		src, dlq := deadLetterPair(t, ch, amqp.Table{"x-message-ttl": int32(0)})
		publish(t, ch, "", src, "nobody-home", amqp.Publishing{})
		if d := recv(t, mustConsume(t, ch, dlq, true)); string(d.Body) != "nobody-home" {
			t.Fatalf("dead-lettered %s", d.Body)
		}
		ds := mustConsume(t, ch, src, true)
		publish(t, ch, "", src, "taken", amqp.Publishing{})
		if d := recv(t, ds); string(d.Body) != "taken" {
			t.Fatalf("consumer got %s", d.Body)
		}
	})
}

func TestGlobalPrefetchIsSharedByTheChannelsConsumers(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		c := dial(t, b.url)
		ch := openChannel(t, c)
		q1, q2 := mustQueue(t, ch, nil), mustQueue(t, ch, nil)
		cons := openChannel(t, c)
		if err := cons.Qos(2, 0, true); err != nil {
			t.Fatal(err)
		}
		ds1, ds2 := mustConsume(t, cons, q1, false), mustConsume(t, cons, q2, false)
		// q1 gets only what fills the window; q2's message must flow once
		// an ack from q1's consumer frees room
		publish(t, ch, "", q1, "a0", amqp.Publishing{})
		publish(t, ch, "", q1, "a1", amqp.Publishing{})
		recv(t, ds1)
		recv(t, ds1)
		publish(t, ch, "", q2, "b0", amqp.Publishing{})
		noDelivery(t, cons, ds1)
		noDelivery(t, cons, ds2)
		if err := cons.Ack(1, false); err != nil { // room for exactly one more
			t.Fatal(err)
		}
		if d := recv(t, ds2); string(d.Body) != "b0" {
			t.Fatalf("got %s", d.Body)
		}
	})
}

func TestConsumerPriorities(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		c := dial(t, b.url)
		ch := openChannel(t, c)
		q := mustQueue(t, ch, nil)
		hi, lo := openChannel(t, c), openChannel(t, c)
		hi.Qos(2, 0, false)
		dsLo, err := lo.Consume(q, "lo", false, false, false, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		dsHi, err := hi.Consume(q, "hi", false, false, false, false, amqp.Table{"x-priority": int32(10)})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			publish(t, ch, "", q, fmt.Sprint(i), amqp.Publishing{})
		}
		// the high-priority consumer takes what its prefetch allows, the
		// low-priority one the rest
		h1, h2, l1 := recv(t, dsHi), recv(t, dsHi), recv(t, dsLo)
		if string(h1.Body)+string(h2.Body)+string(l1.Body) != "012" {
			t.Fatalf("hi got %s%s, lo got %s; want 01 and 2", h1.Body, h2.Body, l1.Body)
		}
	})
}
