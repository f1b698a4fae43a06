package userupdate

import (
	"errors"
	"fmt"

	amqp "github.com/rabbitmq/amqp091-go"
)

// DeleteTopology deletes the queues and exchanges of names from the broker
// at url: what a TUI session or a test with its own (UniqueNames) names
// declared. The services never call it: in production their topology
// outlives them, so events wait in the queue while a service is down. Run it
// after Close, or the services declare everything again. Things already
// gone are not an error.
func DeleteTopology(url string, names Names) error {
	n := names.withDefaults()
	conn, err := amqp.Dial(url)
	if err != nil {
		return fmt.Errorf("delete the user-update topology: %w", err)
	}
	defer conn.Close()
	var errs []error
	for _, q := range []string{n.ProfileQueue, n.DeadLetterQueue, n.FailedQueue} {
		// A channel per deletion: an error closes the channel it happened on.
		if err := onChannel(conn, func(ch *amqp.Channel) error {
			_, err := ch.QueueDelete(q, false, false, false)
			return err
		}); err != nil {
			errs = append(errs, fmt.Errorf("delete queue %s: %w", q, err))
		}
	}
	for _, x := range []string{n.Exchange, n.DeadLetterExchange} {
		if err := onChannel(conn, func(ch *amqp.Channel) error { return ch.ExchangeDelete(x, false, false) }); err != nil {
			errs = append(errs, fmt.Errorf("delete exchange %s: %w", x, err))
		}
	}
	return errors.Join(errs...)
}

func onChannel(conn *amqp.Connection, f func(*amqp.Channel) error) error {
	ch, err := conn.Channel()
	if err != nil {
		return err
	}
	defer ch.Close()
	return f(ch)
}
