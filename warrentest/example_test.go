package warrentest_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/warrenmq/warren/warrentest"
)

// kinds is a record's events, by kind.
func kinds(r warrentest.Record) []string {
	var out []string
	for _, e := range r.Events {
		out = append(out, strings.TrimSpace(string(e.Kind)+" "+e.Queue))
	}
	return out
}

// A publisher under test: it publishes with confirms, and the test reads
// what the queue holds, properties included, without a consumer.
func Example_publisher() {
	s, err := warrentest.Run() // in a test: s := warrentest.RunT(t)
	if err != nil {
		panic(err)
	}
	defer s.Close()

	conn, _ := amqp.Dial(s.URL())
	defer conn.Close()
	ch, _ := conn.Channel()
	ch.QueueDeclare("invoices", true, false, false, false, nil)
	ch.Confirm(false)
	dc, _ := ch.PublishWithDeferredConfirm("", "invoices", false, false, amqp.Publishing{
		ContentType: "application/json", DeliveryMode: amqp.Persistent,
		Headers: amqp.Table{"tenant": "acme"}, Body: []byte(`{"total": 12}`)})
	fmt.Println("confirmed:", dc.Wait())

	ms, _ := s.Messages("invoices")
	for _, m := range ms {
		fmt.Println(m.State, m.Properties.ContentType, m.Properties.Headers["tenant"], string(m.Body))
	}
	// Output:
	// confirmed: true
	// ready application/json acme {"total": 12}
}

// A consumer with manual acks: the first delivery is nacked back, the
// redelivery acked; the message's history shows both.
func Example_consumerRedelivery() {
	s, _ := warrentest.Run()
	defer s.Close()
	s.DeclareQueue("tasks", nil)
	s.Publish("", "tasks", "resize image 7")

	conn, _ := amqp.Dial(s.URL())
	defer conn.Close()
	ch, _ := conn.Channel()
	ds, _ := ch.Consume("tasks", "worker", false, false, false, false, nil)
	d := <-ds
	fmt.Println(string(d.Body), "redelivered:", d.Redelivered)
	d.Nack(false, true) // failed: back to the queue
	d = <-ds
	fmt.Println(string(d.Body), "redelivered:", d.Redelivered)
	d.Ack(false)

	n, _ := s.QueueLen("tasks") // in a test: s.CheckQueueLen(t, "tasks", 0)
	fmt.Println("left:", n)
	for _, k := range kinds(s.History()[0]) {
		fmt.Println(k)
	}
	// Output:
	// resize image 7 redelivered: false
	// resize image 7 redelivered: true
	// left: 0
	// published
	// delivered tasks
	// nacked tasks
	// delivered tasks
	// acked tasks
}

// A retry loop with a TTL and dead-lettering, in no wall time: a
// rejected message waits 30 seconds in "retry", whose TTL dead-letters it
// back to "work". FastForward moves the broker's clock past the TTL.
func Example_ttlDeadLetterRetry() {
	s, _ := warrentest.Run(warrentest.WithStoppedClock())
	defer s.Close()
	s.DeclareExchange("retry.dlx", "fanout", nil)
	s.DeclareExchange("work.dlx", "fanout", nil)
	s.DeclareQueue("work", warrentest.Table{"x-dead-letter-exchange": "work.dlx"})
	s.DeclareQueue("retry", warrentest.Table{"x-message-ttl": int32(30_000), "x-dead-letter-exchange": "retry.dlx"})
	s.Bind("retry", "work.dlx", "", nil)
	s.Bind("work", "retry.dlx", "", nil)

	conn, _ := amqp.Dial(s.URL())
	defer conn.Close()
	ch, _ := conn.Channel()
	ch.PublishWithContext(context.Background(), "", "work", false, false, amqp.Publishing{Body: []byte("charge card")})
	ds, _ := ch.Consume("work", "", false, false, false, false, nil)
	d := <-ds
	d.Reject(false) // to retry, for 30 seconds

	n, _ := s.QueueLen("retry")
	fmt.Println("waiting in retry:", n)
	s.FastForward(30 * time.Second)
	d = <-ds
	fmt.Println("back:", string(d.Body), "deaths:", len(d.Headers["x-death"].([]any)))
	d.Ack(false)
	// Output:
	// waiting in retry: 1
	// back: charge card deaths: 2
}
