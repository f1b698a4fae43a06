package difftest

import (
	"errors"
	"fmt"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/warrenmq/warren/sandbox/routing"
)

// TestErrorsMatchRabbitMQ holds the model's error codes and texts to what
// the live RabbitMQ closes the channel with.
func TestErrorsMatchRabbitMQ(t *testing.T) {
	o := dialRabbitMQ(t)
	checkErrors(t, o, rabbitURL())
}

// checkErrors provokes each error on the broker o is connected to (at url)
// and compares code and text with the model at the broker's version.
func checkErrors(t *testing.T, o *Observer, url string) {
	model := routing.Model{Version: o.Version()}
	prefix := NewPrefix()
	internal := prefix + "internal"
	headers := prefix + "headers"
	queue := prefix + "q"
	topo := routing.Topology{
		Exchanges: []routing.Exchange{
			{Name: internal, Type: routing.Fanout, Internal: true},
			{Name: headers, Type: routing.Headers},
		},
		Queues: []routing.Queue{{Name: queue, Durable: true}},
	}
	setup, err := o.conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if err := declare(setup, topo); err != nil {
		t.Fatal(err)
	}
	setup.Close()
	t.Cleanup(func() {
		if err := o.cleanup(topo); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})

	badXMatch := routing.Table{"x-match": "some"}
	_, xmErr := model.ParseXMatch(badXMatch)
	_, xmTypeErr := model.ParseXMatch(routing.Table{"x-match": int64(1)})
	tests := []struct {
		name string
		want error
		// ownConnection: a connection-level error (503) closes the
		// connection, so the case gets a connection of its own.
		ownConnection bool
		do            func(ch *amqp.Channel) error
	}{
		{"publish to a missing exchange",
			model.Route(&topo, routing.Message{Exchange: prefix + "missing"}).Err, false,
			func(ch *amqp.Channel) error {
				return ch.Publish(prefix+"missing", "k", false, false, amqp.Publishing{})
			}},
		{"publish to an internal exchange",
			model.Route(&topo, routing.Message{Exchange: internal}).Err, false,
			func(ch *amqp.Channel) error {
				return ch.Publish(internal, "k", false, false, amqp.Publishing{})
			}},
		{"bind with a bad x-match", xmErr, false,
			func(ch *amqp.Channel) error {
				return ch.QueueBind(queue, "", headers, false, amqp.Table{"x-match": "some"})
			}},
		{"bind with an x-match that is not a string", xmTypeErr, false,
			func(ch *amqp.Channel) error {
				return ch.QueueBind(queue, "", headers, false, amqp.Table{"x-match": int64(1)})
			}},
		{"declare an unknown exchange type", model.ErrUnknownExchangeType("x-nonsense"), true,
			func(ch *amqp.Channel) error {
				return ch.ExchangeDeclare(prefix+"odd", "x-nonsense", false, true, false, false, nil)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want *routing.Error
			if !errors.As(tt.want, &want) {
				t.Fatalf("the model gives no error (%v)", tt.want)
			}
			conn := o.conn
			if tt.ownConnection {
				own, err := Dial(url)
				if err != nil {
					t.Fatal(err)
				}
				defer own.Close()
				conn = own.conn
			}
			ch, err := conn.Channel()
			if err != nil {
				t.Fatal(err)
			}
			closed := ch.NotifyClose(make(chan *amqp.Error, 1))
			err = tt.do(ch)
			// A publish gets its error asynchronously, as a channel.close.
			var got *amqp.Error
			if !errors.As(err, &got) {
				got = <-closed
			}
			if got == nil {
				t.Fatalf("RabbitMQ did not close the channel; the model says %v", want)
			}
			if g := fmt.Sprintf("%d %s", got.Code, got.Reason); g != want.Error() {
				t.Errorf("%s %s: %s\nmodel: %s", o.Product(), o.Version(), g, want.Error())
			}
		})
	}
}
