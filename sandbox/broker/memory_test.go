package broker

import (
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

func TestMemoryLimitIsRead(t *testing.T) {
	limit, from := MemoryLimit()
	if limit <= 0 || from == "" {
		t.Fatalf("MemoryLimit() = %d, %q: want the RAM or a cgroup's limit", limit, from)
	}
	if got, how := vmWatermark(0); got != int64(DefaultVMMemoryHighWatermark*float64(limit)) || !strings.Contains(how, "0.4 of") {
		t.Errorf("default watermark %d (%s), want 0.4 of %d", got, how, limit)
	}
	if got, _ := vmWatermark(512 << 20); got != 512<<20 {
		t.Errorf("absolute watermark %d", got)
	}
	if got, _ := vmWatermark(-1); got != 0 {
		t.Errorf("negative watermark %d, want off", got)
	}
}

// The process memory alarm blocks a publisher once the broker holds more
// than the watermark, and lets it go once the messages are gone.
func TestProcessMemoryAlarmBlocksAndClears(t *testing.T) {
	samples := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	base := processMemory(samples)
	s := startBroker(t, Options{VMMemoryHighWatermark: float64(base + 48<<20)})
	c := dial(t, s.URL())
	blocked := c.NotifyBlocked(make(chan amqp.Blocking, 4))
	ch := openChannel(t, c)
	q := mustQueue(t, ch, nil)
	body := strings.Repeat("x", 1<<20)
	// The publisher runs on its own: once the broker blocks the
	// connection it stops reading it, so a Publish can stay in its socket
	// write until the alarm clears. Waiting for connection.blocked in the
	// publishing loop itself hung the test when that happened before the
	// loop looked at the notification.
	var stop atomic.Bool
	published := make(chan error, 1)
	go func() {
		for i := 0; i < 100 && !stop.Load(); i++ { // at most ~100 MiB
			if err := ch.Publish("", q, false, false, amqp.Publishing{Body: []byte(body)}); err != nil {
				published <- err
				return
			}
		}
		published <- nil
	}()
	select {
	case b := <-blocked:
		stop.Store(true)
		if !b.Active || b.Reason != "low on memory" {
			t.Fatalf("got %+v", b)
		}
	case err := <-published:
		t.Fatalf("no connection.blocked after 100 MiB published (watermark %d, process %d; publish: %v)", s.vmWatermark, s.vmUsed.Load(), err)
	case <-time.After(30 * time.Second):
		t.Fatalf("no connection.blocked within 30 s (watermark %d, process %d)", s.vmWatermark, s.vmUsed.Load())
	}
	s.lookupVHost("/").mu.RLock()
	qq := s.lookupVHost("/").queues[q]
	s.lookupVHost("/").mu.RUnlock()
	qq.purge()
	select {
	case b := <-blocked:
		if b.Active {
			t.Fatalf("got %+v, want unblocked", b)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("no connection.unblocked after the queue was purged (watermark %d, process %d)", s.vmWatermark, s.vmUsed.Load())
	}
	// Unblocked, the broker reads again: the publisher's write in flight
	// completes and it stops.
	select {
	case err := <-published:
		if err != nil {
			t.Fatalf("publish after the alarm cleared: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the publisher is still stuck 30 s after connection.unblocked")
	}
}
