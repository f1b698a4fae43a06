package bench

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// closeGrace bounds how long the end of a scenario may take: a broker that
// stops reading must not hang the run.
const closeGrace = 10 * time.Second

// counters are shared by a scenario's publishers and consumers.
type counters struct {
	published atomic.Int64 // publishes written (the confirm listener counts nacks)
	received  atomic.Int64 // deliveries received, at any time (for the backlog bound)
	consumed  atomic.Int64 // deliveries received inside the measuring window
	nacked    atomic.Int64
}

// conns dials connections and remembers their sockets, so that a scenario
// can always be ended by closing them even if the broker stopped reading.
type conns struct {
	url string
	mu  sync.Mutex
	net []net.Conn
	all []*amqp.Connection
}

func (c *conns) dial() (*amqp.Connection, error) {
	conn, err := amqp.DialConfig(c.url, amqp.Config{
		Dial: func(network, addr string) (net.Conn, error) {
			nc, err := net.DialTimeout(network, addr, 5*time.Second)
			if err != nil {
				return nil, err
			}
			c.mu.Lock()
			c.net = append(c.net, nc)
			c.mu.Unlock()
			return nc, nil
		},
		Properties: amqp.Table{"connection_name": "warren bench"},
	})
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.all = append(c.all, conn)
	c.mu.Unlock()
	return conn, nil
}

// closeAll closes every connection politely, then the sockets of any that
// did not finish closing by the deadline.
func (c *conns) closeAll(deadline time.Time) {
	c.mu.Lock()
	all, nets := c.all, c.net
	c.all, c.net = nil, nil
	c.mu.Unlock()
	for _, conn := range all {
		_ = conn.CloseDeadline(deadline)
	}
	for _, nc := range nets {
		_ = nc.Close()
	}
}

// runOne measures s on t. Its deferred steps run in this order: close the
// clients and wait for every goroutine, delete the queue, close the admin
// connection; res is named so that a failed delete still reaches the caller.
func runOne(ctx context.Context, cfg Config, s Scenario, t Target) (res Result) {
	res = Result{Scenario: s, Name: s.Name(), Target: t.Name}
	admin := &conns{url: t.URL}
	clients := &conns{url: t.URL}
	defer func() { admin.closeAll(time.Now().Add(closeGrace)) }()

	adminConn, err := admin.dial()
	if err != nil {
		res.Err = fmt.Sprintf("connect to %s: %v", t.Name, err)
		return res
	}
	ach, err := adminConn.Channel()
	if err != nil {
		res.Err = err.Error()
		return res
	}
	queue := uniqueQueue(s)
	res.Queue = queue
	if _, err := ach.QueueDeclare(queue, true, false, false, false, nil); err != nil {
		res.Err = fmt.Sprintf("declare queue %s: %v", queue, err)
		return res
	}
	defer func() {
		if _, err := ach.QueueDelete(queue, false, false, false); err != nil && res.Err == "" {
			res.Err = fmt.Sprintf("delete queue %s: %v", queue, err)
		}
	}()

	var c counters
	stop := make(chan struct{})
	var consumersWG, publishersWG, listenersWG sync.WaitGroup
	// Whatever happens, no goroutine of this scenario outlives it.
	defer func() {
		clients.closeAll(time.Now().Add(closeGrace))
		publishersWG.Wait()
		consumersWG.Wait()
		listenersWG.Wait()
	}()

	deliveries := make([]<-chan amqp.Delivery, s.Consumers)
	for i := range deliveries {
		conn, err := clients.dial()
		var ch *amqp.Channel
		if err == nil {
			ch, err = conn.Channel()
		}
		if err == nil {
			err = ch.Qos(cfg.Prefetch, 0, false)
		}
		if err == nil {
			deliveries[i], err = ch.Consume(queue, "", false, false, false, false, nil)
		}
		if err != nil {
			res.Err = fmt.Sprintf("consumer %d: %v", i, err)
			return res
		}
	}
	channels := make([]*amqp.Channel, s.Publishers)
	for i := range channels {
		conn, err := clients.dial()
		if err == nil {
			channels[i], err = conn.Channel()
		}
		if err == nil && s.Confirms {
			err = channels[i].Confirm(false)
		}
		if err != nil {
			res.Err = fmt.Sprintf("publisher %d: %v", i, err)
			return res
		}
	}

	// The queue is new and empty: nothing is delivered before the first
	// publish, so the window starts now.
	start := time.Now()
	end := start.Add(cfg.Duration)
	hists := make([]*histogram, s.Consumers)
	for i, d := range deliveries {
		h := new(histogram)
		hists[i] = h
		consumersWG.Add(1)
		go func() {
			defer consumersWG.Done()
			consume(d, end, h, &c)
		}()
	}
	errs := make(chan error, s.Publishers)
	for _, ch := range channels {
		publishersWG.Add(1)
		go func() {
			defer publishersWG.Done()
			errs <- publish(ch, queue, s, cfg, stop, &c, &listenersWG)
		}()
	}

	timer := time.NewTimer(cfg.Duration)
	select {
	case <-timer.C:
	case <-ctx.Done():
		timer.Stop()
	}
	close(stop)
	res.Elapsed = time.Since(start)
	if res.Elapsed > cfg.Duration {
		res.Elapsed = cfg.Duration // consumption is only counted up to end
	}

	// Publishers end at stop unless a broker stopped reading their
	// sockets; the grace period bounds that.
	if !waitTimeout(&publishersWG, closeGrace) {
		res.Err = fmt.Sprintf("publishers still blocked %v after the end: the broker stopped reading", closeGrace)
	}
	clients.closeAll(time.Now().Add(closeGrace))
	publishersWG.Wait()
	consumersWG.Wait()
	listenersWG.Wait()
	close(errs)
	for err := range errs {
		if err != nil && res.Err == "" && !errors.Is(err, amqp.ErrClosed) {
			res.Err = fmt.Sprintf("publish: %v", err)
		}
	}

	var h histogram
	for _, x := range hists {
		h.merge(x)
	}
	res.Published = c.published.Load()
	res.Consumed = c.consumed.Load()
	res.Nacked = c.nacked.Load()
	res.Rate = float64(res.Consumed) / res.Elapsed.Seconds()
	res.P50 = h.percentile(50)
	res.P99 = h.percentile(99)
	if res.Consumed == 0 && res.Err == "" {
		res.Err = "nothing was consumed"
	}
	return res
}

func waitTimeout(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

// consume acks every delivery and measures the ones received before end.
// It returns when the deliveries channel closes (its connection closed).
func consume(deliveries <-chan amqp.Delivery, end time.Time, h *histogram, c *counters) {
	for d := range deliveries {
		now := time.Now()
		c.received.Add(1)
		if now.Before(end) {
			c.consumed.Add(1)
			if len(d.Body) >= 8 {
				sent := int64(binary.BigEndian.Uint64(d.Body))
				h.record(time.Duration(now.UnixNano() - sent))
			}
		}
		_ = d.Ack(false)
	}
}

// publish sends to queue through the default exchange until stop, each
// body starting with its publish time, with at most cfg.Outstanding
// unconfirmed messages when confirming, and pausing while the queue's
// backlog exceeds cfg.MaxBacklog.
//
// The confirm listener it starts (in listeners) ends when runOne closes the
// connection: amqp091-go then closes the confirmation channel.
func publish(ch *amqp.Channel, queue string, s Scenario, cfg Config, stop <-chan struct{}, c *counters, listeners *sync.WaitGroup) error {
	body := make([]byte, s.BodySize)
	mode := amqp.Transient
	if s.Persistent {
		mode = amqp.Persistent
	}
	var sem chan struct{}
	if s.Confirms {
		sem = make(chan struct{}, cfg.Outstanding)
		acks := ch.NotifyPublish(make(chan amqp.Confirmation, cfg.Outstanding))
		listeners.Add(1)
		go func() {
			defer listeners.Done()
			for a := range acks {
				if !a.Ack {
					c.nacked.Add(1)
				}
				<-sem
			}
		}()
	}
	for {
		select {
		case <-stop:
			return nil
		default:
		}
		for c.published.Load()-c.received.Load() > cfg.MaxBacklog {
			select {
			case <-stop:
				return nil
			case <-time.After(200 * time.Microsecond):
			}
		}
		if s.Confirms {
			select {
			case sem <- struct{}{}:
			case <-stop:
				return nil
			}
		}
		if c.published.Load() >= cfg.MaxMessages {
			return nil
		}
		if len(body) >= 8 {
			binary.BigEndian.PutUint64(body, uint64(time.Now().UnixNano()))
		}
		// amqp091-go writes the frames before returning, so body can be
		// reused for the next message.
		if err := ch.PublishWithContext(context.Background(), "", queue, false, false,
			amqp.Publishing{DeliveryMode: mode, Body: body}); err != nil {
			return err
		}
		c.published.Add(1)
	}
}
