// Package routing is Warren's model of AMQP 0-9-1 routing as RabbitMQ does
// it: given a topology and a message, where does the message go, and why.
//
// For every binding it considers, the model gives a verdict (matched or
// not) and a short human reason. It follows the default exchange,
// exchange-to-exchange bindings (cycles allowed, each queue at most once)
// and alternate exchanges, and tells what becomes of an unroutable message.
//
// The package is pure: no I/O, no goroutines, nothing of Warren's imported.
// The embedded broker routes with the same semantics (and the index types
// here), and on a live RabbitMQ Warren compares this model's prediction with
// what was actually delivered.
package routing
