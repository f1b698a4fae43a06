package bench

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"go.uber.org/goleak"

	"github.com/warrenmq/warren/internal/brokertest"
	"github.com/warrenmq/warren/sandbox/broker"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestCheckLoopback(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"amqp://guest:guest@127.0.0.1:5672/", true},
		{"amqp://guest:guest@localhost:5673/", true},
		{"amqp://[::1]:5672/", true},
		{"amqp://guest:secret@rabbit.example.com:5672/", false},
		{"amqp://10.0.0.5/", false},
		{"amqps://127.0.0.1:5671/", false},
		{"::not a url", false},
	}
	for _, tt := range tests {
		err := CheckLoopback(tt.url)
		if (err == nil) != tt.ok {
			t.Errorf("CheckLoopback(%q) = %v, want ok=%v", tt.url, err, tt.ok)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("error shows the password: %v", err)
		}
	}
}

func TestRunRefusesARemoteTarget(t *testing.T) {
	_, err := Run(context.Background(), Config{Targets: []Target{{Name: "remote", URL: "amqp://10.1.2.3/"}}})
	if err == nil {
		t.Fatal("Run accepted a non-loopback target")
	}
}

func TestTableShowsRatesAndRatio(t *testing.T) {
	s := Scenario{Publishers: 1, Consumers: 1, BodySize: 12}
	results := []Result{
		{Scenario: s, Name: s.Name(), Target: "embedded", Rate: 60000, P50: 300 * time.Microsecond, P99: 2 * time.Millisecond},
		{Scenario: s, Name: s.Name(), Target: "rabbitmq", Rate: 20000, P50: 900 * time.Microsecond, P99: 15 * time.Millisecond},
	}
	var buf bytes.Buffer
	if err := WriteTable(&buf, []string{"embedded", "rabbitmq"}, results); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"1p/1c 12B no-confirms", "60000", "20000", "300µs", "2.0ms", "15ms", "3.00x"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func rabbitURL(t *testing.T) string {
	t.Helper()
	return brokertest.LiveOrSkip(t)
}

// A short run against the live RabbitMQ measures something in every
// scenario shape and leaves no queue behind.
func TestShortRunAgainstRabbitMQ(t *testing.T) {
	u := rabbitURL(t)
	scenarios := []Scenario{
		{Publishers: 1, Consumers: 1, BodySize: 12},
		{Publishers: 2, Consumers: 2, BodySize: 1024, Confirms: true},
	}
	var queues []string
	results, err := Run(context.Background(), Config{
		Targets: []Target{{Name: "rabbitmq", URL: u}}, Scenarios: scenarios, Duration: 300 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 2 {
		t.Fatalf("%d results, want 2", len(results))
	}
	for _, r := range results {
		if r.Err != "" {
			t.Errorf("%s: %s", r.Name, r.Err)
			continue
		}
		if r.Consumed == 0 || r.Rate <= 0 || r.P50 <= 0 || r.P99 < r.P50 || r.Published < r.Consumed {
			t.Errorf("%s: implausible result %+v", r.Name, r)
		}
		queues = append(queues, r.Queue)
	}
	conn, err := amqp.Dial(u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range queues {
		ch, err := conn.Channel()
		if err != nil {
			t.Fatal(err)
		}
		_, err = ch.QueueDeclarePassive(q, true, false, false, false, nil)
		var ae *amqp.Error
		if !errors.As(err, &ae) || ae.Code != amqp.NotFound {
			t.Errorf("queue %s still exists after the run (passive declare: %v)", q, err)
		}
	}
}

// MaxMessages bounds the work: publishers stop there even though the
// duration has not run out.
func TestMaxMessagesStopsPublishers(t *testing.T) {
	srv, err := broker.Start(broker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	results, err := Run(context.Background(), Config{
		Targets:     []Target{{Name: "embedded", URL: srv.URL()}},
		Scenarios:   []Scenario{{Publishers: 1, Consumers: 1, BodySize: 12}},
		Duration:    300 * time.Millisecond,
		MaxMessages: 500,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 || results[0].Published != 500 {
		t.Fatalf("published %+v, want exactly 500", results)
	}
}

// A target that refuses connections fails its scenarios without hanging.
func TestUnreachableTargetFailsQuickly(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	results, err := Run(context.Background(), Config{
		Targets:   []Target{{Name: "gone", URL: "amqp://guest:guest@" + addr + "/"}},
		Scenarios: []Scenario{{Publishers: 1, Consumers: 1, BodySize: 12}},
		Duration:  time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 || results[0].Err == "" {
		t.Fatalf("results %+v, want one failed result", results)
	}
}

// The same short run against the embedded broker, started in the test.
func TestShortRunAgainstEmbedded(t *testing.T) {
	srv, err := broker.Start(broker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	results, err := Run(context.Background(), Config{
		Targets:   []Target{{Name: "embedded", URL: srv.URL()}},
		Scenarios: []Scenario{{Publishers: 2, Consumers: 2, BodySize: 12, Confirms: true}},
		Duration:  300 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 || results[0].Err != "" || results[0].Consumed == 0 {
		t.Fatalf("results %+v", results)
	}
}

// Cancelling the context (Ctrl-C) ends the run promptly, reports nothing
// for the measurement it cut short, and leaks no goroutine (goleak).
func TestCancelEndsTheRun(t *testing.T) {
	srv, err := broker.Start(broker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	ctx, cancel := context.WithCancel(context.Background())
	progress := make(chan struct{}, 1)
	go func() {
		<-progress
		cancel()
	}()
	start := time.Now()
	results, err := Run(ctx, Config{
		Targets:   []Target{{Name: "embedded", URL: srv.URL()}},
		Scenarios: []Scenario{{Publishers: 1, Consumers: 1, BodySize: 12, Confirms: true}},
		Duration:  time.Minute,
		Progress:  func(Scenario, string) { progress <- struct{}{} },
	})
	if !errors.Is(err, context.Canceled) || len(results) != 0 {
		t.Fatalf("Run = %v, %v; want no results and context.Canceled", results, err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("the run took %v to end after cancel", d)
	}
}
