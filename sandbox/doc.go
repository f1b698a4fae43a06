// Package sandbox is Warren's one way of talking to a broker: a Session
// connects to an AMQP 0-9-1 URL with amqp091-go, declares a scenario's
// topology, publishes, runs consumers and turns everything it observes
// into a stream of Events.
//
// The embedded broker and a live RabbitMQ are reached the same way, over a
// real connection. The sandbox never looks inside the embedded broker to
// decide what a queue received; it observes deliveries. It imports the
// broker package only to start it (see StartEmbedded).
//
// # Concurrency
//
// A Session is safe for use by several goroutines. It owns the goroutines
// that drain amqp091-go's notification channels and consumer deliveries;
// Close stops them all. Events are delivered on a buffered channel that the
// caller must drain.
package sandbox
