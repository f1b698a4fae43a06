package warrentest

import (
	"github.com/warrenmq/warren/sandbox/broker"
	"github.com/warrenmq/warren/sandbox/broker/wire"
	"github.com/warrenmq/warren/sandbox/routing"
)

// Table is an AMQP field table (headers, arguments): string keys, values
// of the AMQP types as Go types (string, int32, int64, bool, float64,
// []any, Table, time.Time, []byte, ...), as amqp091-go's amqp.Table.
type Table = routing.Table

// Properties are a message's AMQP properties (content type, headers,
// delivery mode, expiration, message id, ...).
type Properties = wire.Properties

// VHost is the state of one virtual host, read and changed without a
// client. Every method first waits for the broker to handle what clients
// have already sent (Server.Sync). Errors are the broker's, with
// RabbitMQ's codes and texts ("NOT_FOUND - no exchange 'x' in vhost
// '/'").
type VHost struct {
	s    *Server
	name string
}

// In is the state of another vhost (one given with WithVHost).
func (s *Server) In(vhost string) *VHost { return &VHost{s: s, name: vhost} }

// Name is the vhost's name.
func (v *VHost) Name() string { return v.name }

func (v *VHost) broker() *broker.Server {
	v.s.Sync()
	return v.s.Broker()
}

// DeclareExchange declares a durable exchange of a type (direct, fanout,
// topic, headers) with optional arguments (alternate-exchange, ...), as
// exchange.declare would.
func (v *VHost) DeclareExchange(name, kind string, args Table) error {
	_, err := v.broker().DeclareExchange("", broker.ExchangeInfo{Name: name, VHost: v.name, Type: kind, Durable: true, Arguments: args})
	return err
}

// DeclareQueue declares a durable queue with optional arguments
// (x-queue-type, x-message-ttl, x-dead-letter-exchange, ...), as
// queue.declare would.
func (v *VHost) DeclareQueue(name string, args Table) error {
	_, err := v.broker().DeclareQueue("", broker.QueueInfo{Name: name, VHost: v.name, Durable: true, Arguments: args})
	return err
}

// Bind binds a queue to an exchange with a routing key and optional
// arguments (x-match and the headers to match, for a headers exchange).
func (v *VHost) Bind(queue, exchange, routingKey string, args Table) error {
	return v.broker().Bind("", broker.BindingInfo{Source: exchange, VHost: v.name, Destination: queue, DestinationType: "queue",
		RoutingKey: routingKey, Arguments: args})
}

// BindExchange binds exchange destination to exchange source.
func (v *VHost) BindExchange(destination, source, routingKey string, args Table) error {
	return v.broker().Bind("", broker.BindingInfo{Source: source, VHost: v.name, Destination: destination, DestinationType: "exchange",
		RoutingKey: routingKey, Arguments: args})
}

// DeleteQueue deletes a queue as queue.delete does: its consumers are
// cancelled (basic.cancel), its messages gone.
func (v *VHost) DeleteQueue(name string) error {
	return v.broker().DeleteQueue("", v.name, name, false, false)
}

// Publish publishes body to exchange with routingKey, as basic.publish
// does, and reports whether a queue got it.
func (v *VHost) Publish(exchange, routingKey, body string) (routed bool, err error) {
	return v.PublishMessage(exchange, routingKey, []byte(body), Properties{})
}

// PublishMessage is Publish with properties (headers, expiration,
// delivery mode, ...).
func (v *VHost) PublishMessage(exchange, routingKey string, body []byte, p Properties) (routed bool, err error) {
	return v.broker().Publish("", v.name, broker.Message{Exchange: exchange, RoutingKey: routingKey, Properties: p, Body: body})
}

// Message is a message a queue holds now.
type Message = broker.QueuedMessage

// Messages lists a queue's messages: the ready ones in delivery order,
// then the unacked ones (with the consumer and delivery tag holding
// them), then the dead letters an at-least-once quorum queue holds. Each
// has its properties and headers; its ID finds its Record in History.
func (v *VHost) Messages(queue string) ([]Message, error) {
	return v.broker().QueueMessages(v.name, queue)
}

// QueueLen is how many messages a queue holds, ready and unacked (what
// RabbitMQ's management API calls "messages").
func (v *VHost) QueueLen(queue string) (int, error) {
	ms, err := v.Messages(queue)
	n := 0
	for _, m := range ms {
		if m.State != "held" {
			n++
		}
	}
	return n, err
}
