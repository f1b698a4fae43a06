package difftest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/warrenmq/warren/sandbox"
	"github.com/warrenmq/warren/sandbox/routing"
)

// Observed is what a broker did with a case's messages: per queue, the
// ids of the messages it holds, in queue order; and the ids of the
// messages returned as unroutable (sorted).
type Observed struct {
	Queues   map[string][]string
	Returned []string
}

// Timeout bounds each wait on the broker (a confirm, a reply).
const Timeout = 10 * time.Second

// Observer holds one connection to a broker for many Observe calls.
type Observer struct {
	conn *amqp.Connection
}

// Dial connects to the broker at url.
func Dial(url string) (*Observer, error) {
	conn, err := amqp.DialConfig(url, amqp.Config{Dial: amqp.DefaultDial(Timeout)})
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", url, err)
	}
	return &Observer{conn: conn}, nil
}

// Version is the broker's "version" server property ("3.10.8").
func (o *Observer) Version() string {
	v, _ := o.conn.Properties["version"].(string)
	return v
}

// Product is the broker's "product" server property ("RabbitMQ").
func (o *Observer) Product() string {
	v, _ := o.conn.Properties["product"].(string)
	return v
}

// Close closes the connection.
func (o *Observer) Close() error { return o.conn.Close() }

// Observe connects to url, runs one case (see Observer.Observe) and
// disconnects.
func Observe(url string, topo routing.Topology, msgs []Msg) (Observed, error) {
	o, err := Dial(url)
	if err != nil {
		return Observed{}, err
	}
	defer o.Close()
	return o.Observe(topo, msgs)
}

// Observe declares topo, publishes every message in order (mandatory, with
// publisher confirms, the message id set), waits for every confirm,
// records the returns, then empties every queue with basic.get (no
// consumers, so the order is the queue's own) and deletes what it
// declared, whatever happened before.
func (o *Observer) Observe(topo routing.Topology, msgs []Msg) (obs Observed, err error) {
	ch, err := o.conn.Channel()
	if err != nil {
		return obs, fmt.Errorf("open channel: %w", err)
	}
	defer func() {
		if cerr := o.cleanup(topo); cerr != nil && err == nil {
			err = cerr
		}
	}()
	defer ch.Close()
	if err := declare(ch, topo); err != nil {
		return obs, err
	}
	returned, err := publish(ch, msgs)
	if err != nil {
		return obs, err
	}
	obs.Returned = returned
	obs.Queues = map[string][]string{}
	for _, q := range topo.Queues {
		ids := []string{}
		for {
			d, ok, err := ch.Get(q.Name, true)
			if err != nil {
				return obs, fmt.Errorf("basic.get from queue '%s': %w", q.Name, err)
			}
			if !ok {
				break
			}
			ids = append(ids, d.MessageId)
		}
		obs.Queues[q.Name] = ids
	}
	return obs, nil
}

func declare(ch *amqp.Channel, topo routing.Topology) error {
	for _, x := range topo.Exchanges {
		if err := ch.ExchangeDeclare(x.Name, string(x.Type), x.Durable, x.AutoDelete, x.Internal, false, sandbox.ToAMQPTable(x.Arguments)); err != nil {
			return fmt.Errorf("declare exchange '%s': %w", x.Name, err)
		}
	}
	for _, q := range topo.Queues {
		// Durable: RabbitMQ 4.3 refuses non-durable, non-exclusive queues.
		if _, err := ch.QueueDeclare(q.Name, true, q.AutoDelete, false, false, sandbox.ToAMQPTable(q.Arguments)); err != nil {
			return fmt.Errorf("declare queue '%s': %w", q.Name, err)
		}
	}
	for _, b := range topo.Bindings {
		var err error
		if b.DestinationType == routing.ToExchange {
			err = ch.ExchangeBind(b.Destination, b.RoutingKey, b.Source, false, sandbox.ToAMQPTable(b.Arguments))
		} else {
			err = ch.QueueBind(b.Destination, b.RoutingKey, b.Source, false, sandbox.ToAMQPTable(b.Arguments))
		}
		if err != nil {
			return fmt.Errorf("bind '%s' -> '%s' (key %q, args %v): %w", b.Source, b.Destination, b.RoutingKey, b.Arguments, err)
		}
	}
	return nil
}

// publish sends msgs in order and returns the ids of those returned. A
// basic.return precedes its message's confirm on the wire, and amqp091-go
// hands both over in wire order, so once every confirm is in, every return
// is too.
func publish(ch *amqp.Channel, msgs []Msg) ([]string, error) {
	if err := ch.Confirm(false); err != nil {
		return nil, fmt.Errorf("confirm.select: %w", err)
	}
	returns := ch.NotifyReturn(make(chan amqp.Return, len(msgs)+1))
	confirms := ch.NotifyPublish(make(chan amqp.Confirmation, len(msgs)+1))
	closed := ch.NotifyClose(make(chan *amqp.Error, 1))
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	for _, m := range msgs {
		p := amqp.Publishing{MessageId: m.ID, Headers: sandbox.ToAMQPTable(m.Headers), Body: []byte(m.ID)}
		if err := ch.PublishWithContext(ctx, m.Exchange, m.RoutingKey, m.Mandatory, false, p); err != nil {
			return nil, fmt.Errorf("publish %s to '%s': %w", m.ID, m.Exchange, err)
		}
	}
	for n := 0; n < len(msgs); n++ {
		select {
		case c := <-confirms:
			if !c.Ack {
				return nil, fmt.Errorf("publish %s: nacked by the broker", msgs[c.DeliveryTag-1].ID)
			}
		case e := <-closed:
			return nil, fmt.Errorf("channel closed while publishing: %v", e)
		case <-ctx.Done():
			return nil, fmt.Errorf("%d of %d publisher confirms after %s", n, len(msgs), Timeout)
		}
	}
	var ids []string
	for {
		select {
		case r := <-returns:
			ids = append(ids, r.MessageId)
			continue
		default:
		}
		break
	}
	sort.Strings(ids)
	return ids, nil
}

// cleanup deletes what topo declared, on a channel of its own so that it
// runs even after a channel error. Missing things are not an error: a
// failed case may not have declared them all.
func (o *Observer) cleanup(topo routing.Topology) error {
	var errs []error
	var ch *amqp.Channel
	defer func() {
		if ch != nil {
			ch.Close()
		}
	}()
	run := func(what string, f func(*amqp.Channel) error) {
		if ch == nil {
			var err error
			if ch, err = o.conn.Channel(); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", what, err))
				return
			}
		}
		err := f(ch)
		if err == nil {
			return
		}
		ch = nil // a channel error closed it
		var ae *amqp.Error
		if errors.As(err, &ae) && ae.Code == amqp.NotFound {
			return
		}
		errs = append(errs, fmt.Errorf("%s: %w", what, err))
	}
	for _, q := range topo.Queues {
		run("delete queue '"+q.Name+"'", func(ch *amqp.Channel) error {
			_, err := ch.QueueDelete(q.Name, false, false, false)
			return err
		})
	}
	for _, x := range topo.Exchanges {
		run("delete exchange '"+x.Name+"'", func(ch *amqp.Channel) error {
			return ch.ExchangeDelete(x.Name, false, false)
		})
	}
	return errors.Join(errs...)
}

// ObserveCases observes every case on the broker at url over up to workers
// connections at once, and returns the observations in the order of cases.
// The cases' names are disjoint and each queue's order depends on its own
// case alone, so running them side by side changes nothing but the time
// (RabbitMQ spends most of it writing durable queue declarations to disk).
// It returns the first error, naming the case's seed.
func ObserveCases(url string, cases []Case, workers int) ([]Observed, error) {
	if workers < 1 {
		workers = 1
	}
	if workers > len(cases) {
		workers = len(cases)
	}
	out := make([]Observed, len(cases))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o, err := Dial(url)
			if err != nil {
				errs[w] = err
				return
			}
			defer o.Close()
			for n := w; n < len(cases); n += workers {
				c := cases[n]
				if out[n], err = o.Observe(c.Topology, c.Messages); err != nil {
					errs[w] = fmt.Errorf("seed %d: %w", c.Seed, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return out, errors.Join(errs...)
}
