package sandbox

import (
	"context"
	"errors"
	"fmt"
	"strings"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/warrenmq/warren/sandbox/routing"
)

// adminDo runs fn on the link's admin channel (opened, or reopened after a
// channel error closed it) and returns when fn does, the connection dies or
// ctx ends. amqp091-go's RPCs take no context: on ctx's end fn finishes in
// the background (the broker answers or the connection dies), tracked by the
// Session's WaitGroup.
func (l *link) adminDo(ctx context.Context, fn func(ch *amqp.Channel) error) error {
	done := make(chan error, 1)
	l.s.wg.Add(1)
	go func() {
		defer l.s.wg.Done()
		l.adminMu.Lock()
		defer l.adminMu.Unlock()
		if l.admin == nil || l.admin.IsClosed() {
			ch, err := l.conn.Channel()
			if err != nil {
				done <- l.fail(err)
				return
			}
			l.admin = ch
		}
		done <- fn(l.admin)
	}()
	select {
	case err := <-done:
		if err != nil {
			return l.fail(err)
		}
		return nil
	case <-l.dead:
		return ErrDisconnected
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Declare declares t's exchanges, then its queues, then its bindings
// (queue and exchange-to-exchange), with their arguments. Declaring the
// same thing twice is harmless. Everything declared is remembered: Reset
// deletes it, and a reconnect declares it again. Exchanges named "" or
// "amq.*" are the broker's own and are never declared nor deleted.
func (s *Session) Declare(ctx context.Context, t routing.Topology) error {
	if err := checkTopology(t); err != nil {
		return err
	}
	l, err := s.current()
	if err != nil {
		return err
	}
	err = s.declareOn(ctx, l, t)
	if err == nil {
		s.emit(Event{Kind: EventDeclared, Note: fmt.Sprintf("declared %d exchange(s), %d queue(s), %d binding(s)",
			len(t.Exchanges), len(t.Queues), len(t.Bindings))})
	}
	return err
}

func builtinExchange(name string) bool { return name == "" || strings.HasPrefix(name, "amq.") }

// declareOn declares t on link l, remembering each item once the broker
// accepted it (so a half-done declaration is still deleted by Reset).
func (s *Session) declareOn(ctx context.Context, l *link, t routing.Topology) error {
	for _, x := range t.Exchanges {
		if builtinExchange(x.Name) {
			continue
		}
		if err := s.noteExisting(ctx, l, "exchange", x.Name); err != nil {
			return err
		}
		err := l.adminDo(ctx, func(ch *amqp.Channel) error {
			return ch.ExchangeDeclare(x.Name, string(x.Type), x.Durable, x.AutoDelete, x.Internal, false, toAMQP(x.Arguments))
		})
		if err != nil {
			return fmt.Errorf("exchange %q: %w", x.Name, err)
		}
		s.remember(func(t *routing.Topology) {
			for _, have := range t.Exchanges {
				if have.Name == x.Name {
					return
				}
			}
			t.Exchanges = append(t.Exchanges, x)
		})
	}
	for _, q := range t.Queues {
		if err := s.noteExisting(ctx, l, "queue", q.Name); err != nil {
			return err
		}
		err := l.adminDo(ctx, func(ch *amqp.Channel) error {
			_, err := ch.QueueDeclare(q.Name, q.Durable, q.AutoDelete, q.Exclusive, false, toAMQP(q.Arguments))
			return err
		})
		if err != nil {
			return fmt.Errorf("queue %q: %w", q.Name, err)
		}
		s.remember(func(t *routing.Topology) {
			for _, have := range t.Queues {
				if have.Name == q.Name {
					return
				}
			}
			t.Queues = append(t.Queues, q)
		})
	}
	for _, b := range t.Bindings {
		err := l.adminDo(ctx, func(ch *amqp.Channel) error {
			if b.DestinationType == routing.ToExchange {
				return ch.ExchangeBind(b.Destination, b.RoutingKey, b.Source, false, toAMQP(b.Arguments))
			}
			return ch.QueueBind(b.Destination, b.RoutingKey, b.Source, false, toAMQP(b.Arguments))
		})
		if err != nil {
			return fmt.Errorf("binding %s -> %s (routing key %q): %w", b.Source, b.Destination, b.RoutingKey, err)
		}
		s.remember(func(t *routing.Topology) {
			for _, have := range t.Bindings {
				if sameBinding(have, b) {
					return
				}
			}
			t.Bindings = append(t.Bindings, b)
		})
	}
	return nil
}

// noteExisting records, before the Session first declares a queue or
// exchange, whether the broker already had it: Reset deletes only what the
// Session created, never a live broker's own queue that happens to share a
// scenario's name.
func (s *Session) noteExisting(ctx context.Context, l *link, kind, name string) error {
	key := kind + ":" + name
	s.mu.Lock()
	_, known := s.created[key]
	s.mu.Unlock()
	if known {
		return nil
	}
	err := l.adminDo(ctx, func(ch *amqp.Channel) error {
		if kind == "queue" {
			_, err := ch.QueueDeclarePassive(name, false, false, false, false, nil)
			return err
		}
		return ch.ExchangeDeclarePassive(name, "direct", false, false, false, false, nil)
	})
	switch {
	case err == nil:
		s.mu.Lock()
		s.created[key] = false
		s.mu.Unlock()
		s.emit(Event{Kind: EventDeclared, Note: fmt.Sprintf("%s %q already existed: it will be kept on reset", kind, name)})
		return nil
	case isNotFound(err):
		s.mu.Lock()
		s.created[key] = true
		s.mu.Unlock()
		return nil
	}
	return fmt.Errorf("%s %q: %w", kind, name, err)
}

func sameBinding(a, b routing.Binding) bool {
	return a.Source == b.Source && a.Destination == b.Destination && a.RoutingKey == b.RoutingKey &&
		(a.DestinationType == routing.ToExchange) == (b.DestinationType == routing.ToExchange) &&
		fmt.Sprint(a.Arguments) == fmt.Sprint(b.Arguments) // fmt sorts map keys
}

func (s *Session) remember(fn func(*routing.Topology)) {
	s.mu.Lock()
	fn(&s.topo)
	s.mu.Unlock()
}

// Topology is everything declared through the Session since the last Reset.
func (s *Session) Topology() routing.Topology {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := routing.Topology{
		Exchanges: append([]routing.Exchange(nil), s.topo.Exchanges...),
		Queues:    append([]routing.Queue(nil), s.topo.Queues...),
		Bindings:  append([]routing.Binding(nil), s.topo.Bindings...),
	}
	return t
}

// Reset stops every consumer of the Session and deletes every queue and
// exchange it created (their bindings go with them); those that existed
// before the Session declared them are kept. A queue or exchange already
// gone is not an error.
func (s *Session) Reset(ctx context.Context) error {
	s.mu.Lock()
	names := append([]string(nil), s.order...)
	s.mu.Unlock()
	var errs []error
	for _, n := range names {
		if err := s.StopConsumer(n); err != nil && !errors.Is(err, ErrDisconnected) {
			errs = append(errs, err)
		}
	}
	l, err := s.current()
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	t := s.Topology()
	s.mu.Lock()
	created := s.created
	s.mu.Unlock()
	kept := 0
	for _, q := range t.Queues {
		if !created["queue:"+q.Name] {
			kept++
			continue
		}
		err := l.adminDo(ctx, func(ch *amqp.Channel) error {
			_, err := ch.QueueDelete(q.Name, false, false, false)
			return err
		})
		if err != nil && !isNotFound(err) {
			errs = append(errs, fmt.Errorf("delete queue %q: %w", q.Name, err))
		}
	}
	for _, x := range t.Exchanges {
		if !created["exchange:"+x.Name] {
			kept++
			continue
		}
		err := l.adminDo(ctx, func(ch *amqp.Channel) error {
			return ch.ExchangeDelete(x.Name, false, false)
		})
		if err != nil && !isNotFound(err) {
			errs = append(errs, fmt.Errorf("delete exchange %q: %w", x.Name, err))
		}
	}
	s.mu.Lock()
	s.topo = routing.Topology{}
	s.created = map[string]bool{}
	s.mu.Unlock()
	note := fmt.Sprintf("deleted %d queue(s) and exchange(s)", len(t.Queues)+len(t.Exchanges)-kept)
	if kept > 0 {
		note += fmt.Sprintf("; kept %d that existed before", kept)
	}
	s.emit(Event{Kind: EventDeleted, Note: note})
	return errors.Join(errs...)
}

func isNotFound(err error) bool {
	var be *BrokerError
	return errors.As(err, &be) && be.Code == amqp.NotFound
}

// QueueStats asks the broker for a queue's ready and consumer counts
// (passive queue.declare) and adds how many messages this Session's
// consumers hold unacked on it.
func (s *Session) QueueStats(ctx context.Context, queue string) (QueueStats, error) {
	l, err := s.current()
	if err != nil {
		return QueueStats{}, err
	}
	var q amqp.Queue
	err = l.adminDo(ctx, func(ch *amqp.Channel) error {
		var err error
		q, err = ch.QueueDeclarePassive(queue, false, false, false, false, nil)
		return err
	})
	if err != nil {
		return QueueStats{Name: queue}, fmt.Errorf("queue %q: %w", queue, err)
	}
	st := QueueStats{Name: queue, Ready: q.Messages, Consumers: q.Consumers}
	s.mu.Lock()
	for _, c := range s.consumers {
		if c.spec.Queue == queue {
			st.Unacked += len(c.unacked)
		}
	}
	s.mu.Unlock()
	return st, nil
}

// Purge drops a queue's ready messages (queue.purge) and says how many;
// what consumers hold unacked stays theirs. The TUI's step back empties
// with it a queue that Reset kept because it existed before.
func (s *Session) Purge(ctx context.Context, queue string) (int, error) {
	l, err := s.current()
	if err != nil {
		return 0, err
	}
	var n int
	err = l.adminDo(ctx, func(ch *amqp.Channel) error {
		var err error
		n, err = ch.QueuePurge(queue, false)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("purge queue %q: %w", queue, err)
	}
	return n, nil
}
