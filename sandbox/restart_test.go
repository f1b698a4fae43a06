package sandbox

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/warrenmq/warren/internal/testbrokers"
	"github.com/warrenmq/warren/sandbox/routing"
)

// TestRestartReportsWhatSurvived restarts the embedded broker under a
// Session and expects the report to tell the durable queue's persistent
// message from the transient one, the transient queue gone (seen before
// the Session declared it again), and the message a manual-ack consumer
// held redelivered to it.
func TestRestartReportsWhatSurvived(t *testing.T) {
	for _, b := range testbrokers.Both(t) {
		t.Run(b.Name, func(t *testing.T) {
			if b.Restart == nil {
				t.Skip("a test restarts only the embedded broker; the live RabbitMQ is left running")
			}
			s := dial(t, b, Options{Reconnect: true})
			ctx := ctxT(t)
			durable, transient, held := unique("durable"), unique("transient"), unique("held")
			topo := routing.Topology{Queues: []routing.Queue{{Name: durable, Durable: true}, {Name: transient}, {Name: held, Durable: true}}}
			if err := s.Declare(ctx, topo); err != nil {
				t.Fatal(err)
			}
			for _, p := range []Publishing{
				{RoutingKey: durable, Body: []byte("kept"), Persistent: true},
				{RoutingKey: durable, Body: []byte("lost")},
				{RoutingKey: transient, Body: []byte("lost too"), Persistent: true},
			} {
				if _, err := s.Publish(ctx, p); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.StartConsumer(ctx, ConsumerSpec{Name: "worker", Queue: held, Ack: ManualAck, Prefetch: 1}); err != nil {
				t.Fatal(err)
			}
			pub, err := s.Publish(ctx, Publishing{RoutingKey: held, Body: []byte("unacked"), Persistent: true})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.WaitDelivered(ctx, pub.MessageID, []string{held}); err != nil {
				t.Fatal(err)
			}

			rep, err := s.Restart(ctx, []string{durable, transient, held}, b.Restart, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]struct {
				before, after, unacked int
				gone                   bool
			}{
				durable:   {before: 2, after: 1},
				transient: {before: 1, gone: true},
				held:      {unacked: 1, after: 1},
			}
			for _, q := range rep.Queues {
				w := want[q.Queue]
				if !q.Existed || q.Before.Ready != w.before || q.Before.Unacked != w.unacked || q.Gone != w.gone || q.After.Ready != w.after {
					t.Errorf("%s: %+v, want before %d ready %d unacked, after %d ready, gone %v", q.Queue, q, w.before, w.unacked, w.after, w.gone)
				}
			}
			if len(rep.Held) != 1 || len(rep.Redelivered) != 1 || rep.Redelivered[0].Consumer != "worker" || !rep.Redelivered[0].Redelivered {
				t.Fatalf("held %+v, redelivered %+v: want the unacked message redelivered to worker", rep.Held, rep.Redelivered)
			}
			if s.State() != Connected {
				t.Fatalf("state after Restart: %s", s.State())
			}
			// reconnected: the transient queue is declared again, empty
			if st, err := s.QueueStats(ctx, transient); err != nil || st.Ready != 0 {
				t.Fatalf("transient queue after the reconnect: %+v %v", st, err)
			}
		})
	}
}

func TestRestartNeedsReconnect(t *testing.T) {
	b := testbrokers.Embedded(t)
	s := dial(t, b, Options{})
	called := false
	_, err := s.Restart(ctxT(t), nil, func(context.Context) error { called = true; return nil }, time.Second)
	if !errors.Is(err, ErrNoReconnect) || called {
		t.Fatalf("Restart without Reconnect: %v (restart called: %v), want ErrNoReconnect before restarting", err, called)
	}
}
