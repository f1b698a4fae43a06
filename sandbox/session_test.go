package sandbox

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/warrenmq/warren/internal/testbrokers"
	"github.com/warrenmq/warren/sandbox/routing"
)

// topo is a small topology: a direct exchange with an alternate exchange
// (fanout) catching the rest, two queues, and an exchange-to-exchange
// binding.
func topo(p string) routing.Topology {
	return routing.Topology{
		Exchanges: []routing.Exchange{
			{Name: p + "-ae", Type: routing.Fanout},
			{Name: p + "-x", Type: routing.Direct, Arguments: routing.Table{"alternate-exchange": p + "-ae"}},
			{Name: p + "-up", Type: routing.Topic},
		},
		Queues: []routing.Queue{{Name: p + "-q", Durable: true}, {Name: p + "-rest", Durable: true}},
		Bindings: []routing.Binding{
			{Source: p + "-x", Destination: p + "-q", RoutingKey: "k"},
			{Source: p + "-ae", Destination: p + "-rest"},
			{Source: p + "-up", Destination: p + "-x", DestinationType: routing.ToExchange, RoutingKey: "#"},
		},
	}
}

func TestDeclareIsIdempotentAndResetDeletes(t *testing.T) {
	for _, b := range testbrokers.Both(t) {
		t.Run(b.Name, func(t *testing.T) {
			s := dial(t, b, Options{})
			ctx := ctxT(t)
			p := unique("decl")
			for i := 0; i < 2; i++ {
				if err := s.Declare(ctx, topo(p)); err != nil {
					t.Fatalf("declare #%d: %v", i+1, err)
				}
			}
			got := s.Topology()
			if len(got.Exchanges) != 3 || len(got.Queues) != 2 || len(got.Bindings) != 3 {
				t.Fatalf("remembered %d exchanges, %d queues, %d bindings; want 3, 2, 3",
					len(got.Exchanges), len(got.Queues), len(got.Bindings))
			}
			// Through the e2e binding and the alternate exchange.
			if err := s.StartConsumer(ctx, ConsumerSpec{Name: "rest", Queue: p + "-rest"}); err != nil {
				t.Fatal(err)
			}
			pub, err := s.Publish(ctx, Publishing{Exchange: p + "-up", RoutingKey: "nomatch", Body: []byte("x")})
			if err != nil || !pub.Acked || pub.Returned != nil {
				t.Fatalf("publish: %+v, %v", pub, err)
			}
			if err := s.Settle(ctx, []string{p + "-rest"}); err != nil {
				t.Fatal(err)
			}
			if seen := s.Seen(pub.MessageID); len(seen) != 1 || seen[0].Queue != p+"-rest" {
				t.Fatalf("seen %+v, want one delivery from %s-rest (via the alternate exchange)", seen, p)
			}

			if err := s.Reset(ctx); err != nil {
				t.Fatalf("reset: %v", err)
			}
			if len(s.Consumers()) != 0 {
				t.Errorf("consumers after reset: %+v", s.Consumers())
			}
			_, err = s.QueueStats(ctx, p+"-q")
			var be *BrokerError
			if !errors.As(err, &be) || be.Code != 404 || !strings.Contains(be.Reason, "NOT_FOUND") {
				t.Fatalf("queue stats after reset: %v, want 404 NOT_FOUND", err)
			}
			if _, err := s.Publish(ctx, Publishing{Exchange: p + "-x", RoutingKey: "k"}); !errors.As(err, &be) || be.Code != 404 {
				t.Fatalf("publish to a deleted exchange: %v, want 404 NOT_FOUND", err)
			}
			// The publisher channel comes back after the channel error.
			if pub, err := s.Publish(ctx, Publishing{RoutingKey: "nowhere-" + p, Mandatory: true}); err != nil || pub.Returned == nil {
				t.Fatalf("publish after a channel error: %+v, %v", pub, err)
			}
		})
	}
}

func TestPublishReturnsAndConfirms(t *testing.T) {
	for _, b := range testbrokers.Both(t) {
		t.Run(b.Name, func(t *testing.T) {
			s := dial(t, b, Options{})
			ctx := ctxT(t)
			p := unique("pub")
			tp := topo(p)
			tp.Exchanges[1].Arguments = nil // no alternate exchange: unroutable is returned
			if err := s.Declare(ctx, tp); err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				key       string
				mandatory bool
				returned  bool
			}{
				{"k", true, false},
				{"other", true, true},
				{"other", false, false},
				{"k", false, false},
				{"other", true, true},
			} {
				pub, err := s.Publish(ctx, Publishing{Exchange: p + "-x", RoutingKey: tc.key, Mandatory: tc.mandatory,
					Headers: routing.Table{"n": int32(7)}})
				if err != nil {
					t.Fatalf("%+v: %v", tc, err)
				}
				if !pub.Acked || pub.MessageID == "" {
					t.Errorf("%+v: %+v, want acked with a message id", tc, pub)
				}
				if (pub.Returned != nil) != tc.returned {
					t.Fatalf("%+v: returned = %+v, want %v", tc, pub.Returned, tc.returned)
				}
				if r := pub.Returned; r != nil {
					if r.ReplyCode != 312 || r.ReplyText != "NO_ROUTE" || r.MessageID != pub.MessageID || r.Headers["n"] != int32(7) {
						t.Errorf("return %+v, want 312 NO_ROUTE for %s with header n=7", r, pub.MessageID)
					}
					e := waitEvent(t, s, "return event", func(e Event) bool { return e.Kind == EventReturn })
					if e.Return.MessageID != pub.MessageID {
						t.Errorf("return event for %s, want %s", e.Return.MessageID, pub.MessageID)
					}
				}
			}
			n, err := s.Flood(ctx, Publishing{Exchange: p + "-x", RoutingKey: "k"}, 1000)
			if err != nil || n != 1000 {
				t.Fatalf("flood: %d confirmed, %v; want 1000", n, err)
			}
			st, err := s.QueueStats(ctx, p+"-q")
			if err != nil || st.Ready != 1002 {
				t.Fatalf("queue stats %+v, %v; want 1002 ready", st, err)
			}
		})
	}
}

// next returns the next delivery event of consumer name.
func next(t *testing.T, s *Session, name string) Delivery {
	t.Helper()
	return *waitEvent(t, s, "a delivery to "+name, func(e Event) bool {
		return e.Kind == EventDelivery && e.Consumer == name
	}).Delivery
}

func TestConsumers(t *testing.T) {
	for _, b := range testbrokers.Both(t) {
		t.Run(b.Name, func(t *testing.T) {
			s := dial(t, b, Options{})
			ctx := ctxT(t)
			q := unique("work")
			if err := s.Declare(ctx, routing.Topology{Queues: []routing.Queue{{Name: q, Durable: true}}}); err != nil {
				t.Fatal(err)
			}
			if err := s.StartConsumer(ctx, ConsumerSpec{Name: "w", Queue: q, Prefetch: 1, Ack: ManualAck}); err != nil {
				t.Fatal(err)
			}
			publish := func(body string) {
				t.Helper()
				if _, err := s.Publish(ctx, Publishing{RoutingKey: q, Body: []byte(body)}); err != nil {
					t.Fatal(err)
				}
			}
			stats := func() QueueStats {
				t.Helper()
				st, err := s.QueueStats(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				return st
			}

			publish("one")
			publish("two")
			d := next(t, s, "w")
			if string(d.Body) != "one" || d.Redelivered {
				t.Fatalf("first delivery %q redelivered=%v", d.Body, d.Redelivered)
			}
			// Prefetch 1: "two" waits ready until "one" is settled.
			if st := stats(); st.Ready != 1 || st.Unacked != 1 || st.Consumers != 1 {
				t.Fatalf("stats with one unacked: %+v, want ready 1, unacked 1, consumers 1", st)
			}
			if err := s.Ack("w", d.DeliveryTag+100, false); err == nil {
				t.Error("ack of an unknown delivery tag: no error")
			}
			if err := s.Nack("w", d.DeliveryTag, false, true); err != nil {
				t.Fatal(err)
			}
			d = next(t, s, "w")
			if string(d.Body) != "one" || !d.Redelivered {
				t.Fatalf("after nack requeue: %q redelivered=%v, want one redelivered", d.Body, d.Redelivered)
			}
			if err := s.Ack("w", d.DeliveryTag, false); err != nil {
				t.Fatal(err)
			}
			d = next(t, s, "w")
			if string(d.Body) != "two" {
				t.Fatalf("got %q, want two", d.Body)
			}

			// Crash with "two" unacked: the broker requeues it.
			if err := s.CrashConsumer("w"); err != nil {
				t.Fatal(err)
			}
			if c := s.Consumers(); len(c) != 1 || c[0].State != ConsumerCrashed || len(c[0].Unacked) != 0 {
				t.Fatalf("after crash: %+v", c)
			}
			if err := s.ResumeConsumer(ctx, "w"); err != nil {
				t.Fatal(err)
			}
			d = next(t, s, "w")
			if string(d.Body) != "two" || !d.Redelivered {
				t.Fatalf("after crash: %q redelivered=%v, want two redelivered", d.Body, d.Redelivered)
			}
			if err := s.Reject("w", d.DeliveryTag, false); err != nil {
				t.Fatal(err)
			}

			// Paused: messages wait, ready.
			if err := s.PauseConsumer("w"); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 3; i++ {
				publish(fmt.Sprint("p", i))
			}
			if st := stats(); st.Ready != 3 || st.Consumers != 0 {
				t.Fatalf("paused: %+v, want 3 ready and no consumer", st)
			}
			if err := s.SetPrefetch("w", 10); err != nil {
				t.Fatal(err)
			}
			if err := s.ResumeConsumer(ctx, "w"); err != nil {
				t.Fatal(err)
			}
			var last Delivery
			for i := 0; i < 3; i++ {
				last = next(t, s, "w")
				if want := fmt.Sprint("p", i); string(last.Body) != want {
					t.Fatalf("resumed: got %q, want %q", last.Body, want)
				}
			}
			if c := s.Consumers(); len(c[0].Unacked) != 3 {
				t.Fatalf("prefetch 10: %d unacked, want 3", len(c[0].Unacked))
			}
			if err := s.Ack("w", last.DeliveryTag, true); err != nil {
				t.Fatal(err)
			}
			if st := stats(); st.Ready != 0 || st.Unacked != 0 {
				t.Fatalf("after ack multiple: %+v", st)
			}
		})
	}
}

func TestSettleWaitsForEveryDelivery(t *testing.T) {
	for _, b := range testbrokers.Both(t) {
		t.Run(b.Name, func(t *testing.T) {
			s := dial(t, b, Options{EventBuffer: 10}) // events overflow: Settle must not depend on them
			ctx := ctxT(t)
			p := unique("settle")
			x := p + "-fan"
			tp := routing.Topology{Exchanges: []routing.Exchange{{Name: x, Type: routing.Fanout}}}
			var queues []string
			for i := 0; i < 3; i++ {
				q := fmt.Sprintf("%s-%d", p, i)
				queues = append(queues, q)
				tp.Queues = append(tp.Queues, routing.Queue{Name: q, Durable: true})
				tp.Bindings = append(tp.Bindings, routing.Binding{Source: x, Destination: q})
			}
			if err := s.Declare(ctx, tp); err != nil {
				t.Fatal(err)
			}
			for _, q := range queues {
				if err := s.StartConsumer(ctx, ConsumerSpec{Name: q, Queue: q}); err != nil {
					t.Fatal(err)
				}
			}
			var ids []string
			for i := 0; i < 50; i++ {
				pub, err := s.Publish(ctx, Publishing{Exchange: x, Body: []byte(fmt.Sprint(i))})
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, pub.MessageID)
			}
			if un, err := s.SettleQueues(ctx, queues); err != nil || len(un) != 0 {
				t.Fatalf("settle: unsettled %v, %v", un, err)
			}
			for _, id := range ids {
				if got := len(s.Seen(id)); got != 3 {
					t.Fatalf("message %s seen %d times after Settle, want 3", id, got)
				}
			}
			if s.Dropped() == 0 {
				t.Error("no event dropped with a 10-event buffer and 150 deliveries")
			}
			// A queue with two consumers cannot be settled by a sentinel.
			if err := s.StartConsumer(ctx, ConsumerSpec{Name: "second", Queue: queues[0]}); err != nil {
				t.Fatal(err)
			}
			if s.Settleable(queues[0]) || !s.Settleable(queues[1]) {
				t.Errorf("settleable: %v %v, want false true", s.Settleable(queues[0]), s.Settleable(queues[1]))
			}
			pub, err := s.Publish(ctx, Publishing{Exchange: x})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.WaitDelivered(ctx, pub.MessageID, queues); err != nil {
				t.Fatal(err)
			}
			short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
			defer cancel()
			if err := s.WaitDelivered(short, pub.MessageID, []string{"no-such-queue"}); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("waiting for a queue that gets nothing: %v, want deadline exceeded", err)
			}
		})
	}
}

// cut closes the Session's socket under it, as a broker crash or a network
// failure would.
func cut(t *testing.T, s *Session) {
	t.Helper()
	l, err := s.current()
	if err != nil {
		t.Fatal(err)
	}
	l.raw.Close()
}

func TestLostConnectionIsAnEventNotAHang(t *testing.T) {
	for _, b := range testbrokers.Both(t) {
		t.Run(b.Name, func(t *testing.T) {
			s := dial(t, b, Options{})
			ctx := ctxT(t)
			q := unique("lost")
			if err := s.Declare(ctx, routing.Topology{Queues: []routing.Queue{{Name: q, Durable: true}}}); err != nil {
				t.Fatal(err)
			}
			if err := s.StartConsumer(ctx, ConsumerSpec{Name: q, Queue: q}); err != nil {
				t.Fatal(err)
			}
			cut(t, s)
			waitEvent(t, s, "an error event", func(e Event) bool { return e.Kind == EventError })
			waitEvent(t, s, "disconnected", func(e Event) bool { return e.Kind == EventState && e.State == Disconnected })
			waitEvent(t, s, "closed", func(e Event) bool { return e.Kind == EventState && e.State == Closed })
			if _, err := s.Publish(ctx, Publishing{RoutingKey: q}); !errors.Is(err, ErrDisconnected) {
				t.Fatalf("publish on a lost connection: %v, want ErrDisconnected", err)
			}
			if err := s.Settle(ctx, []string{q}); !errors.Is(err, ErrDisconnected) {
				t.Fatalf("settle on a lost connection: %v", err)
			}
			// Clean up with a second session: the first one cannot.
			deleteQueue(t, dial(t, b, Options{}), q)
		})
	}
}

func TestReconnectRedeclaresAndRestartsConsumers(t *testing.T) {
	for _, b := range testbrokers.Both(t) {
		t.Run(b.Name, func(t *testing.T) {
			s := dial(t, b, Options{Reconnect: true})
			ctx := ctxT(t)
			q := unique("reconnect")
			if err := s.Declare(ctx, routing.Topology{Queues: []routing.Queue{{Name: q, Durable: true}}}); err != nil {
				t.Fatal(err)
			}
			// Manual ack: a message the broker hands to the dead connection's
			// consumer before noticing it is gone comes back, requeued.
			if err := s.StartConsumer(ctx, ConsumerSpec{Name: q, Queue: q, Ack: ManualAck}); err != nil {
				t.Fatal(err)
			}
			cut(t, s)
			waitEvent(t, s, "disconnected", func(e Event) bool { return e.Kind == EventState && e.State == Disconnected })
			waitEvent(t, s, "connected again", func(e Event) bool { return e.Kind == EventState && e.State == Connected })
			pub, err := s.Publish(ctx, Publishing{RoutingKey: q, Body: []byte("after")})
			if err != nil {
				t.Fatal(err)
			}
			// The broker may not have dropped the dead connection's consumer
			// yet, so the queue may not be settleable: wait for the delivery.
			if err := s.WaitDelivered(ctx, pub.MessageID, []string{q}); err != nil {
				t.Fatal(err)
			}
			if seen := s.Seen(pub.MessageID); len(seen) != 1 || seen[0].Consumer != q {
				t.Fatalf("after reconnect: deliveries %+v, want one to the restarted consumer", seen)
			}
		})
	}
}

// The broker going away (here the embedded one shutting down: the server
// side closes the connection) is an error event and a prompt error from
// blocking calls, never a hang.
func TestBrokerShutdownIsAnEvent(t *testing.T) {
	b := testbrokers.Embedded(t)
	s := dial(t, b, Options{})
	ctx := ctxT(t)
	q := unique("shutdown")
	if err := s.Declare(ctx, routing.Topology{Queues: []routing.Queue{{Name: q, Durable: true}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.StartConsumer(ctx, ConsumerSpec{Name: q, Queue: q, Ack: ManualAck}); err != nil {
		t.Fatal(err)
	}
	b.Server.Shutdown()
	e := waitEvent(t, s, "an error event", func(e Event) bool { return e.Kind == EventError })
	if !strings.Contains(e.Err.Error(), "connection to embedded") && !strings.Contains(e.Err.Error(), "lost") {
		t.Errorf("error event %v does not say the connection was lost", e.Err)
	}
	waitEvent(t, s, "disconnected", func(e Event) bool { return e.Kind == EventState && e.State == Disconnected })
	if err := s.Settle(ctx, []string{q}); !errors.Is(err, ErrDisconnected) {
		t.Fatalf("settle after shutdown: %v, want ErrDisconnected", err)
	}
	if _, err := s.QueueStats(ctx, q); !errors.Is(err, ErrDisconnected) {
		t.Fatalf("queue stats after shutdown: %v, want ErrDisconnected", err)
	}
}

// A live broker's own queue that shares a scenario's name survives Reset.
func TestResetKeepsWhatExistedBefore(t *testing.T) {
	for _, b := range testbrokers.Both(t) {
		t.Run(b.Name, func(t *testing.T) {
			owner := dial(t, b, Options{})
			ctx := ctxT(t)
			theirs := unique("theirs")
			if err := owner.Declare(ctx, routing.Topology{Queues: []routing.Queue{{Name: theirs, Durable: true}}}); err != nil {
				t.Fatal(err)
			}
			s := dial(t, b, Options{})
			ours := unique("ours")
			tp := routing.Topology{Queues: []routing.Queue{{Name: theirs, Durable: true}, {Name: ours, Durable: true}}}
			if err := s.Declare(ctx, tp); err != nil {
				t.Fatal(err)
			}
			if err := s.Reset(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := owner.QueueStats(ctx, theirs); err != nil {
				t.Errorf("the queue that existed before was deleted: %v", err)
			}
			if _, err := owner.QueueStats(ctx, ours); !isNotFound(err) {
				t.Errorf("the queue the session created survived reset: %v", err)
			}
		})
	}
}

// Purge drops the ready messages and says how many; a queue that is not
// there is a 404.
func TestPurge(t *testing.T) {
	for _, b := range testbrokers.Both(t) {
		t.Run(b.Name, func(t *testing.T) {
			s := dial(t, b, Options{})
			ctx := ctxT(t)
			q := unique("purge")
			if err := s.Declare(ctx, routing.Topology{Queues: []routing.Queue{{Name: q, Durable: true}}}); err != nil {
				t.Fatal(err)
			}
			defer s.Reset(context.WithoutCancel(ctx))
			for range 3 {
				if _, err := s.Publish(ctx, Publishing{RoutingKey: q, Body: []byte("x")}); err != nil {
					t.Fatal(err)
				}
			}
			if n, err := s.Purge(ctx, q); err != nil || n != 3 {
				t.Fatalf("Purge = %d, %v; want 3 messages", n, err)
			}
			if st, err := s.QueueStats(ctx, q); err != nil || st.Ready != 0 {
				t.Errorf("after Purge: %+v, %v; want 0 ready", st, err)
			}
			if _, err := s.Purge(ctx, q+"-missing"); !isNotFound(err) {
				t.Errorf("Purge of a missing queue: %v, want 404 NOT_FOUND", err)
			}
		})
	}
}

// deleteQueue deletes a queue the Session did not create (Reset keeps
// those), for a test's own cleanup.
func deleteQueue(t *testing.T, s *Session, q string) {
	t.Helper()
	l, err := s.current()
	if err == nil {
		err = l.adminDo(ctxT(t), func(ch *amqp.Channel) error {
			_, err := ch.QueueDelete(q, false, false, false)
			return err
		})
	}
	if err != nil {
		t.Errorf("cleanup: delete queue %s: %v", q, err)
	}
}

func TestSetPrefetchOnARunningConsumerAndBrokerCancel(t *testing.T) {
	for _, b := range testbrokers.Both(t) {
		t.Run(b.Name, func(t *testing.T) {
			s := dial(t, b, Options{})
			ctx := ctxT(t)
			q := unique("prefetch")
			if err := s.Declare(ctx, routing.Topology{Queues: []routing.Queue{{Name: q, Durable: true}}}); err != nil {
				t.Fatal(err)
			}
			if err := s.StartConsumer(ctx, ConsumerSpec{Name: "w", Queue: q, Prefetch: 1, Ack: ManualAck}); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 3; i++ {
				if _, err := s.Publish(ctx, Publishing{RoutingKey: q, Body: []byte(fmt.Sprint(i))}); err != nil {
					t.Fatal(err)
				}
			}
			next(t, s, "w")
			if st, _ := s.QueueStats(ctx, q); st.Ready != 2 || st.Unacked != 1 {
				t.Fatalf("prefetch 1: %+v, want 2 ready, 1 unacked", st)
			}
			if err := s.SetPrefetch("w", 3); err != nil {
				t.Fatal(err)
			}
			next(t, s, "w")
			next(t, s, "w")
			if c := s.Consumers(); c[0].Spec.Prefetch != 3 || len(c[0].Unacked) != 3 || c[0].State != ConsumerRunning {
				t.Fatalf("after SetPrefetch(3): %+v", c[0])
			}

			// Deleting the queue under the consumer: the broker cancels it.
			other := dial(t, b, Options{})
			deleteQueue(t, other, q)
			e := waitEvent(t, s, "the consumer cancelled by the broker", func(e Event) bool {
				return e.Kind == EventConsumer && strings.Contains(e.Note, "cancelled by the broker")
			})
			if e.Consumer != "w" {
				t.Errorf("cancel event for %q", e.Consumer)
			}
			if c := s.Consumers(); c[0].State != ConsumerPaused {
				t.Errorf("state after a broker cancel: %s, want paused", c[0].State)
			}
		})
	}
}
