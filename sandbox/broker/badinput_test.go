package broker

import (
	"context"
	"errors"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// A name or consumer tag that is not UTF-8 closes the connection with
// 501 "FRAME_ERROR - Malformed UTF-8 in shortstr", as RabbitMQ does; a
// basic.publish's routing key is not checked (RabbitMQ's fast path).
func TestMalformedUTF8InShortstr(t *testing.T) {
	bad := "q\xff\xfe"
	for _, b := range bothBrokers(t) {
		t.Run(b.name, func(t *testing.T) {
			for _, tc := range []struct {
				what string
				do   func(ch *amqp.Channel) error
			}{
				{"queue.declare", func(ch *amqp.Channel) error {
					_, err := ch.QueueDeclare(bad, false, true, true, false, nil)
					return err
				}},
				{"exchange.declare", func(ch *amqp.Channel) error {
					return ch.ExchangeDeclare(bad, "direct", false, true, false, false, nil)
				}},
				{"basic.consume tag", func(ch *amqp.Channel) error {
					q, err := ch.QueueDeclare("", false, true, true, false, nil)
					if err != nil {
						return err
					}
					_, err = ch.Consume(q.Name, bad, false, false, false, false, nil)
					return err
				}},
			} {
				c := dial(t, b.url)
				ch := openChannel(t, c)
				err := tc.do(ch)
				var ae *amqp.Error
				if !errors.As(err, &ae) || ae.Code != 501 || ae.Reason != "FRAME_ERROR - Malformed UTF-8 in shortstr" {
					t.Errorf("%s with a name that is not UTF-8: %v, want 501 FRAME_ERROR - Malformed UTF-8 in shortstr", tc.what, err)
				}
			}
			c := dial(t, b.url)
			ch := openChannel(t, c)
			if err := ch.Publish("", bad, false, false, amqp.Publishing{}); err != nil {
				t.Fatal(err)
			}
			// a round trip on the same channel: still open
			if err := ch.ExchangeDeclarePassive("amq.direct", "direct", true, false, false, false, nil); err != nil {
				t.Errorf("a publish with a routing key that is not UTF-8 closed the channel or connection: %v", err)
			}
		})
	}
}

// Header tables nested far deeper than 32 levels are accepted, as
// RabbitMQ accepts them (wire's TestReadTableTakesRabbitMQsDepth reads
// 18,000 levels; amqp091-go's encoder is too slow under -race to send
// that many here).
func TestDeepHeadersAreAccepted(t *testing.T) {
	for _, b := range bothBrokers(t) {
		t.Run(b.name, func(t *testing.T) {
			c := dial(t, b.url)
			ch := openChannel(t, c)
			q, err := ch.QueueDeclare("", false, true, true, false, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := ch.Confirm(false); err != nil {
				t.Fatal(err)
			}
			h := amqp.Table{"leaf": "x"}
			for range 1000 {
				h = amqp.Table{"n": h}
			}
			dc, err := ch.PublishWithDeferredConfirmWithContext(context.Background(), "", q.Name, false, false, amqp.Publishing{Headers: h, Body: []byte("deep")})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if ok, err := dc.WaitContext(ctx); !ok || err != nil {
				t.Fatalf("headers 1,000 deep: acked=%v %v", ok, err)
			}
			st, err := ch.QueueDeclarePassive(q.Name, false, true, true, false, nil)
			if err != nil || st.Messages != 1 {
				t.Fatalf("queue after the deep publish: %+v %v", st, err)
			}
		})
	}
}
