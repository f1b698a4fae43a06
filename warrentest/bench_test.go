package warrentest_test

import (
	"fmt"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"
	"go.uber.org/goleak"

	"github.com/warrenmq/warren/internal/brokertest"
	"github.com/warrenmq/warren/warrentest"
)

// What a test pays for warrentest: starting and stopping a Server, and a
// test that publishes and consumes 1,000 messages, on warrentest and on
// the live RabbitMQ. Figures come from these benchmarks, never from a
// timed test: go test -run '^$' -bench . -benchtime 200x ./warrentest

func BenchmarkRunTStartAndClose(b *testing.B) {
	for b.Loop() {
		s, err := warrentest.Run()
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}

// A thousand Servers in one test binary leave no goroutine behind.
func TestAThousandServersLeakNothing(t *testing.T) {
	n := 1000
	if testing.Short() {
		n = 50
	}
	for i := range n {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			s := warrentest.RunT(t)
			c, err := amqp.Dial(s.URL())
			if err != nil {
				t.Fatal(err)
			}
			c.Close()
		})
		if t.Failed() {
			return
		}
	}
	goleak.VerifyNone(t)
}

// publishConsume is the test being measured: declare a queue, publish n
// messages with confirms, consume and ack them all.
func publishConsume(b *testing.B, url, queue string, n int) {
	c, err := amqp.Dial(url)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ch, err := c.Channel()
	if err != nil {
		b.Fatal(err)
	}
	if _, err := ch.QueueDeclare(queue, true, false, false, false, nil); err != nil {
		b.Fatal(err)
	}
	defer ch.QueueDelete(queue, false, false, false)
	if err := ch.Confirm(false); err != nil {
		b.Fatal(err)
	}
	confirms := ch.NotifyPublish(make(chan amqp.Confirmation, n))
	for i := range n {
		if err := ch.Publish("", queue, false, false, amqp.Publishing{Body: []byte(fmt.Sprint("m", i))}); err != nil {
			b.Fatal(err)
		}
	}
	for range n {
		if cf := <-confirms; !cf.Ack {
			b.Fatal("nacked")
		}
	}
	if err := ch.Qos(100, 0, false); err != nil {
		b.Fatal(err)
	}
	ds, err := ch.Consume(queue, "", false, false, false, false, nil)
	if err != nil {
		b.Fatal(err)
	}
	for range n {
		d := <-ds
		if err := d.Ack(false); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPublishConsume1000(b *testing.B) {
	b.Run("warrentest", func(b *testing.B) {
		for b.Loop() {
			s, err := warrentest.Run()
			if err != nil {
				b.Fatal(err)
			}
			publishConsume(b, s.URL(), "bench", 1000)
			s.Close()
		}
	})
	b.Run("rabbitmq", func(b *testing.B) {
		url, ok := brokertest.Live(b)
		if !ok {
			b.Skip("no live RabbitMQ at " + brokertest.URL())
		}
		for b.Loop() {
			publishConsume(b, url, brokertest.Unique("warrentest-bench"), 1000)
		}
	})
}
