package broker

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// startFlowBroker starts a broker with the given flow-control marks.
func startFlowBroker(t *testing.T, fm flowMarks) *Server {
	t.Helper()
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.flow = fm
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if !s.ReadyForConnections(5 * time.Second) {
		t.Fatal("broker not ready")
	}
	t.Cleanup(s.Shutdown)
	return s
}

// readyDepth is the number of ready messages in queue name of vhost "/".
func readyDepth(t *testing.T, s *Server, name string) (ready int, bytes int64) {
	t.Helper()
	v := s.lookupVHost("/")
	v.mu.RLock()
	q := v.queues[name]
	v.mu.RUnlock()
	if q == nil {
		t.Fatalf("queue %s is gone", name)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.ready.len(), q.readyBytes
}

// publishN publishes n numbered messages of size bytes (at least 8) without
// waiting for anything, then sends nil (or the error) on errs.
func publishN(ch *amqp.Channel, q string, from, n, size int, errs chan<- error) {
	for i := from; i < from+n; i++ {
		body := make([]byte, size)
		binary.BigEndian.PutUint64(body, uint64(i))
		if err := ch.PublishWithContext(context.Background(), "", q, false, false, amqp.Publishing{Body: body}); err != nil {
			errs <- err
			return
		}
	}
	errs <- nil
}

// A publisher that outruns its consumer is held while the queue's backlog
// is above the high mark: the backlog stays bounded, the publisher resumes
// each time it drains, and every message arrives.
func TestFlowControlBoundsBacklog(t *testing.T) {
	tests := []struct {
		name       string
		publishers int
		perPub     int
		size       int
		fm         flowMarks
		maxReady   int   // the bound on ready messages the consumer may see
		maxBytes   int64 // ... and on their bytes
	}{
		{name: "one publisher, message marks", publishers: 1, perPub: 4000, size: 12,
			fm:       flowMarks{highMessages: 200, lowMessages: 100, highBytes: 1 << 30, lowBytes: 1 << 30, stall: time.Minute},
			maxReady: 201, maxBytes: 1 << 30},
		{name: "three publishers, message marks", publishers: 3, perPub: 1500, size: 12,
			fm:       flowMarks{highMessages: 200, lowMessages: 100, highBytes: 1 << 30, lowBytes: 1 << 30, stall: time.Minute},
			maxReady: 203, maxBytes: 1 << 30},
		{name: "one publisher, byte marks", publishers: 1, perPub: 3000, size: 1024,
			fm:       flowMarks{highMessages: 1 << 30, lowMessages: 1 << 30, highBytes: 64 << 10, lowBytes: 32 << 10, stall: time.Minute},
			maxReady: 1 << 30, maxBytes: 64<<10 + 1024},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startFlowBroker(t, tt.fm)
			cch := openChannel(t, dial(t, s.URL()))
			q := mustQueue(t, cch, nil)
			// prefetch 1 and an ack per message: a round trip per message,
			// far slower than publishers that wait for nothing
			if err := cch.Qos(1, 0, false); err != nil {
				t.Fatal(err)
			}
			ds := mustConsume(t, cch, q, false)
			errs := make(chan error, tt.publishers)
			for p := 0; p < tt.publishers; p++ {
				pch := openChannel(t, dial(t, s.URL())) // a connection each
				go publishN(pch, q, p*tt.perPub, tt.perPub, tt.size, errs)
			}
			total := tt.publishers * tt.perPub
			seen := make([]bool, total)
			peakReady, peakBytes := 0, int64(0)
			for n := 0; n < total; n++ {
				d := recv(t, ds)
				i := int(binary.BigEndian.Uint64(d.Body))
				if i >= total || seen[i] || len(d.Body) != tt.size {
					t.Fatalf("delivery %d: message %d (%d bytes) is unexpected or a duplicate", n, i, len(d.Body))
				}
				seen[i] = true
				ready, bytes := readyDepth(t, s, q)
				peakReady, peakBytes = max(peakReady, ready), max(peakBytes, bytes)
				if ready > tt.maxReady || bytes > tt.maxBytes {
					t.Fatalf("after %d deliveries the queue holds %d ready messages (%d bytes): flow control should keep it at most %d (%d bytes)",
						n, ready, bytes, tt.maxReady, tt.maxBytes)
				}
				if err := d.Ack(false); err != nil {
					t.Fatal(err)
				}
			}
			for p := 0; p < tt.publishers; p++ {
				select {
				case err := <-errs:
					if err != nil {
						t.Fatalf("publisher: %v", err)
					}
				case <-time.After(10 * time.Second):
					t.Fatal("a publisher never finished: it was not let go")
				}
			}
			// the test means something only if the publishers did outrun the
			// consumer, i.e. the backlog reached the high mark's region
			if peakReady < tt.fm.lowMessages && peakBytes < tt.fm.lowBytes {
				t.Fatalf("the backlog peaked at %d messages (%d bytes), below the low mark: the consumer kept up, nothing was tested", peakReady, peakBytes)
			}
			t.Logf("backlog peaked at %d messages, %d bytes", peakReady, peakBytes)
		})
	}
}

// A connection that publishes into a queue and consumes (and acks) from it
// on another channel is never held for that queue: holding its reader
// would hold its own acks and the queue could never drain. With no stall
// rescue (a minute), all of it must still go through promptly.
func TestFlowControlSameConnectionPublishAndConsume(t *testing.T) {
	s := startFlowBroker(t, flowMarks{highMessages: 100, lowMessages: 50, highBytes: 1 << 30, lowBytes: 1 << 30, stall: time.Minute})
	c := dial(t, s.URL())
	cch, pch := openChannel(t, c), openChannel(t, c)
	q := mustQueue(t, cch, nil)
	if err := cch.Qos(5, 0, false); err != nil {
		t.Fatal(err)
	}
	ds := mustConsume(t, cch, q, false)
	const total = 3000
	errs := make(chan error, 1)
	go publishN(pch, q, 0, total, 12, errs)
	deadline := time.After(20 * time.Second)
	for n := 0; n < total; n++ {
		select {
		case d := <-ds:
			if i := binary.BigEndian.Uint64(d.Body); i != uint64(n) {
				t.Fatalf("delivery %d is message %d", n, i)
			}
			if err := d.Ack(false); err != nil {
				t.Fatal(err)
			}
		case <-deadline:
			t.Fatalf("only %d of %d messages consumed in 20s: the connection's acks were held", n, total)
		}
	}
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
}

// A publisher is never held for good: when the queue's consumers stop
// acking (nothing leaves it for a stall period), or lose interest
// (cancel), or the queue goes, the publisher is let go.
func TestFlowControlNeverHangsThePublisher(t *testing.T) {
	tests := []struct {
		name  string
		stall time.Duration
		// after the publisher started: what makes the queue undrainable
		act func(t *testing.T, ch *amqp.Channel, q, tag string)
	}{
		{name: "consumer stops acking", stall: 100 * time.Millisecond,
			act: func(*testing.T, *amqp.Channel, string, string) {}},
		{name: "consumer cancels", stall: time.Minute,
			act: func(t *testing.T, ch *amqp.Channel, _, tag string) {
				if err := ch.Cancel(tag, false); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "queue deleted", stall: time.Minute,
			act: func(t *testing.T, ch *amqp.Channel, q, _ string) {
				if _, err := ch.QueueDelete(q, false, false, false); err != nil {
					t.Fatal(err)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startFlowBroker(t, flowMarks{highMessages: 100, lowMessages: 50, highBytes: 1 << 30, lowBytes: 1 << 30, stall: tt.stall})
			cch := openChannel(t, dial(t, s.URL()))
			q := mustQueue(t, cch, nil)
			if err := cch.Qos(1, 0, false); err != nil {
				t.Fatal(err)
			}
			// never acked: the queue does not drain
			if _, err := cch.Consume(q, "holder", false, false, false, false, nil); err != nil {
				t.Fatal(err)
			}
			pch := openChannel(t, dial(t, s.URL()))
			if err := pch.Confirm(false); err != nil {
				t.Fatal(err)
			}
			confirms := pch.NotifyPublish(make(chan amqp.Confirmation, 1000))
			const total = 500
			errs := make(chan error, 1)
			go publishN(pch, q, 0, total, 12, errs)
			// the publisher gets past the high mark, then is held
			for i := 0; i < 101; i++ {
				select {
				case <-confirms:
				case <-time.After(5 * time.Second):
					t.Fatalf("only %d confirms", i)
				}
			}
			tt.act(t, cch, q, "holder")
			for i := 101; i < total; i++ {
				select {
				case c := <-confirms:
					if !c.Ack {
						t.Fatalf("publish %d nacked", c.DeliveryTag)
					}
				case <-time.After(10 * time.Second):
					t.Fatalf("the publisher is still held after %d of %d confirms", i, total)
				}
			}
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		})
	}
}

// Two connections that each consume one queue and publish into the other's
// can hold each other (each reader held, so neither's acks are read): the
// stall rule lets both go, and everything still arrives.
func TestFlowControlCrossedPublishersDoNotDeadlock(t *testing.T) {
	s := startFlowBroker(t, flowMarks{highMessages: 50, lowMessages: 25, highBytes: 1 << 30, lowBytes: 1 << 30, stall: 50 * time.Millisecond})
	const total = 1500
	type side struct {
		pub *amqp.Channel
		ds  <-chan amqp.Delivery
		q   string
	}
	var sides [2]side
	for i := range sides {
		c := dial(t, s.URL())
		cch, pch := openChannel(t, c), openChannel(t, c)
		sides[i].q = mustQueue(t, cch, nil)
		if err := cch.Qos(5, 0, false); err != nil {
			t.Fatal(err)
		}
		sides[i].ds, sides[i].pub = mustConsume(t, cch, sides[i].q, false), pch
	}
	errs := make(chan error, 2)
	for i := range sides {
		// each side publishes into the other side's queue
		go publishN(sides[i].pub, sides[1-i].q, 0, total, 12, errs)
	}
	got := make(chan int, 2)
	for i := range sides {
		go func(ds <-chan amqp.Delivery) {
			n := 0
			defer func() { got <- n }()
			timeout := time.After(30 * time.Second)
			for n < total {
				select {
				case d, ok := <-ds:
					if !ok || d.Ack(false) != nil {
						return
					}
					n++
				case <-timeout:
					return
				}
			}
		}(sides[i].ds)
	}
	for range sides {
		if n := <-got; n != total {
			t.Fatalf("a consumer got %d of %d messages in 30s: the crossed publishers deadlocked", n, total)
		}
	}
	for range sides {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
