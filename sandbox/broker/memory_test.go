package broker

import (
	"runtime/metrics"
	"strings"
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
	deadline := time.After(30 * time.Second)
	for i := 0; ; i++ {
		// publish until the broker says it is blocked: at most ~100 MiB
		if i < 100 {
			if err := ch.Publish("", q, false, false, amqp.Publishing{Body: []byte(body)}); err != nil {
				t.Fatal(err)
			}
		}
		select {
		case b := <-blocked:
			if !b.Active || b.Reason != "low on memory" {
				t.Fatalf("got %+v", b)
			}
		case <-deadline:
			t.Fatalf("no connection.blocked after 100 MiB held (watermark %d, process %d)", s.vmWatermark, s.vmUsed.Load())
		default:
			continue
		}
		break
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
}
