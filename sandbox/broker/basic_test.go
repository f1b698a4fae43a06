package broker

import (
	"context"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"
)

func publish(t testing.TB, ch *amqp.Channel, exchange, key string, body string, p amqp.Publishing) {
	t.Helper()
	p.Body = []byte(body)
	if err := ch.PublishWithContext(context.Background(), exchange, key, false, false, p); err != nil {
		t.Fatalf("publish: %v", err)
	}
}

func TestPublishConsumeAck(t *testing.T) {
	s := startBroker(t, Options{})
	c := dial(t, s.URL())
	ch := openChannel(t, c)
	q, err := ch.QueueDeclare("", false, true, true, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.ExchangeDeclare("logs", "topic", false, true, false, false, nil); err != nil {
		t.Fatal(err)
	}
	if err := ch.QueueBind(q.Name, "a.#", "logs", false, nil); err != nil {
		t.Fatal(err)
	}
	ds, err := ch.Consume(q.Name, "", false, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	publish(t, ch, "logs", "a.b.c", "hello", amqp.Publishing{ContentType: "text/plain", Headers: amqp.Table{"k": int32(5)}})
	publish(t, ch, "logs", "b.c", "nope", amqp.Publishing{})
	d := recv(t, ds)
	if string(d.Body) != "hello" || d.RoutingKey != "a.b.c" || d.Exchange != "logs" || d.ContentType != "text/plain" || d.Headers["k"] != int32(5) {
		t.Fatalf("got %+v", d)
	}
	if err := d.Ack(false); err != nil {
		t.Fatal(err)
	}
	noDelivery(t, ch, ds)
}

func TestLargeBodySpansFrames(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		ch := openChannel(t, dial(t, b.url))
		q := mustQueue(t, ch, nil)
		body := make([]byte, 1<<20+7) // eight frames and a bit at frame_max 131072
		for i := range body {
			body[i] = byte(i * 7)
		}
		if err := ch.PublishWithContext(context.Background(), "", q, false, false, amqp.Publishing{Body: body}); err != nil {
			t.Fatal(err)
		}
		d := recv(t, mustConsume(t, ch, q, true))
		if len(d.Body) != len(body) || string(d.Body) != string(body) {
			t.Fatalf("got %d bytes back, want the same %d", len(d.Body), len(body))
		}
	})
}
