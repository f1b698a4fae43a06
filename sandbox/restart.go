package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Watching a broker restart: what each queue held before, what it holds
// when the broker is back, looked at before the Session declares anything
// again (a queue that did not survive is seen gone, not redeclared empty),
// and which unacked messages came back redelivered.

// QueueSurvival is one queue across a broker restart.
type QueueSurvival struct {
	Queue string
	// Existed says the queue was there before the restart; Before is what
	// it held then (Unacked: what this Session's consumers held).
	Existed bool
	Before  QueueStats
	// Gone says the queue was not there when the broker came back
	// (404 NOT_FOUND); After is what it held then, before the Session
	// reconnected and declared its topology again.
	Gone  bool
	After QueueStats
}

// RestartReport is what a broker restart did to a Session's queues.
type RestartReport struct {
	Queues []QueueSurvival
	// Held are the persistent messages of durable queues that this
	// Session's consumers held unacked when the broker stopped;
	// Redelivered the deliveries of them its consumers received again
	// once reconnected (redelivered, from the same queue), in arrival
	// order. One of Held that is not in Redelivered did not come back
	// within the wait.
	Held        []Delivery
	Redelivered []Delivery
}

// ErrNoReconnect is Restart's answer on a Session dialled without
// Options.Reconnect: it would end with the connection the restart closes.
var ErrNoReconnect = errors.New("sandbox: watching a broker restart needs a Session that reconnects (Options.Reconnect)")

// Restart has restart take the broker down and bring it back (the
// embedded broker's Restart; it must return once the broker accepts
// connections again) and reports what survived on queues. It holds the
// Session's reconnecting off until it has looked at each queue through a
// connection of its own (passive queue.declare), then lets the Session
// reconnect (topology declared again, running consumers restarted) and
// waits, up to wait, for the unacked messages it held to be redelivered.
// It returns once the Session is connected again.
func (s *Session) Restart(ctx context.Context, queues []string, restart func(context.Context) error, wait time.Duration) (RestartReport, error) {
	var rep RestartReport
	if !s.opt.Reconnect {
		return rep, ErrNoReconnect
	}
	l, err := s.current()
	if err != nil {
		return rep, err
	}
	for _, q := range queues {
		st, err := s.QueueStats(ctx, q)
		switch {
		case err == nil:
			rep.Queues = append(rep.Queues, QueueSurvival{Queue: q, Existed: true, Before: st})
		case isNotFound(err):
			rep.Queues = append(rep.Queues, QueueSurvival{Queue: q, Before: QueueStats{Name: q}})
		default:
			return rep, err
		}
	}
	durable := map[string]bool{}
	for _, q := range s.Topology().Queues {
		durable[q.Name] = q.Durable && !q.Exclusive
	}

	hold, back := make(chan struct{}), make(chan struct{})
	s.mu.Lock()
	for _, name := range s.order {
		for _, d := range s.consumers[name].unacked {
			if d.Persistent && durable[d.Queue] {
				rep.Held = append(rep.Held, d)
			}
		}
	}
	s.hold, s.back = hold, back
	s.mu.Unlock()
	released := false
	release := func() {
		if !released {
			released = true
			s.mu.Lock()
			s.hold = nil
			s.mu.Unlock()
			close(hold)
		}
	}
	defer release()

	if err := restart(ctx); err != nil {
		return rep, fmt.Errorf("restart the broker: %w", err)
	}
	gone := time.NewTimer(s.opt.DialTimeout)
	defer gone.Stop()
	select {
	case <-l.dead:
	case <-gone.C:
		return rep, fmt.Errorf("the broker restarted but this Session's connection to %s is still open after %s: was it the broker this Session talks to?", s.broker, s.opt.DialTimeout)
	case <-ctx.Done():
		return rep, ctx.Err()
	}
	if err := s.probe(ctx, rep.Queues); err != nil {
		return rep, err
	}
	release()
	select {
	case <-back:
	case <-s.stop:
		return rep, ErrClosed
	case <-ctx.Done():
		return rep, ctx.Err()
	}
	rep.Redelivered = s.awaitRedelivered(ctx, rep.Held, wait)
	return rep, nil
}

// probe looks at each queue through a connection of its own, filling in
// After and Gone.
func (s *Session) probe(ctx context.Context, qs []QueueSurvival) error {
	cfg := amqp.Config{
		TLSClientConfig: s.opt.TLS,
		Properties:      amqp.NewConnectionProperties(),
		Dial: func(network, addr string) (net.Conn, error) {
			d := net.Dialer{Timeout: s.opt.DialTimeout}
			return d.DialContext(ctx, network, addr)
		},
	}
	cfg.Properties.SetClientConnectionName("warren (after a broker restart)")
	conn, err := amqp.DialConfig(s.url, cfg)
	if err != nil {
		return fmt.Errorf("look at the queues after the restart: cannot connect to %s: %w", s.broker, describe(err))
	}
	defer conn.Close()
	for i := range qs {
		ch, err := conn.Channel()
		if err != nil {
			return fmt.Errorf("look at the queues after the restart: %w", describe(err))
		}
		q, err := ch.QueueDeclarePassive(qs[i].Queue, false, false, false, false, nil)
		qs[i].After = QueueStats{Name: qs[i].Queue}
		switch {
		case err == nil:
			qs[i].After.Ready, qs[i].After.Consumers = q.Messages, q.Consumers
			_ = ch.Close()
		case isNotFound(describe(err)):
			qs[i].Gone = true // the 404 closed the channel
		default:
			return fmt.Errorf("look at queue %q after the restart: %w", qs[i].Queue, describe(err))
		}
	}
	return nil
}

// awaitRedelivered waits, up to wait, until each held delivery has been
// received again from its queue, redelivered, and returns those received.
func (s *Session) awaitRedelivered(ctx context.Context, held []Delivery, wait time.Duration) []Delivery {
	if len(held) == 0 {
		return nil
	}
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	for {
		var got []Delivery
		_, changed := s.seen.get("")
		for _, h := range held {
			ds, _ := s.seen.get(h.MessageID)
			if i := slices.IndexFunc(ds, func(d Delivery) bool { return d.Seq > h.Seq && d.Queue == h.Queue && d.Redelivered }); i >= 0 {
				got = append(got, ds[i])
			}
		}
		if len(got) == len(held) {
			slices.SortFunc(got, func(a, b Delivery) int { return int(a.Seq) - int(b.Seq) })
			return got
		}
		select {
		case <-changed:
		case <-wctx.Done():
			slices.SortFunc(got, func(a, b Delivery) int { return int(a.Seq) - int(b.Seq) })
			return got
		}
	}
}
