package warrentest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recorder is a testing.TB whose Errorf is kept, to check what a Check
// helper says when it fails.
type recorder struct {
	testing.TB
	failures []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}
func (r *recorder) Helper() {}

func (r *recorder) said(t *testing.T, parts ...string) {
	t.Helper()
	if len(r.failures) != 1 {
		t.Fatalf("%d failures, want 1: %q", len(r.failures), r.failures)
	}
	for _, p := range parts {
		if !strings.Contains(r.failures[0], p) {
			t.Fatalf("the failure does not say %q:\n%s", p, r.failures[0])
		}
	}
}

func dial(t testing.TB, url string) (*amqp.Connection, *amqp.Channel) {
	t.Helper()
	c, err := amqp.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ch, err := c.Channel()
	if err != nil {
		t.Fatal(err)
	}
	return c, ch
}

func publish(t testing.TB, ch *amqp.Channel, exchange, key, body string, p amqp.Publishing) {
	t.Helper()
	p.Body = []byte(body)
	if err := ch.PublishWithContext(context.Background(), exchange, key, false, false, p); err != nil {
		t.Fatal(err)
	}
}

func recv(t testing.TB, ds <-chan amqp.Delivery) amqp.Delivery {
	t.Helper()
	select {
	case d, ok := <-ds:
		if !ok {
			t.Fatal("deliveries closed")
		}
		return d
	case <-time.After(5 * time.Second):
		t.Fatal("no delivery within 5s")
	}
	return amqp.Delivery{}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
