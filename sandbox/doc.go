// Package sandbox is Warren's one way of talking to a broker: a Session
// connects to an AMQP 0-9-1 URL with amqp091-go, declares a scenario's
// topology, publishes with publisher confirms, runs consumers and turns
// everything it observes into a stream of Events.
//
// The embedded broker and a live RabbitMQ are reached the same way, over a
// real connection. The sandbox never looks inside the embedded broker to
// decide what a queue received; it observes deliveries. It does not
// import the broker package at all: whoever wants the embedded broker
// starts it (broker.Start) and hands the Session its URL.
//
// What it must never do: block amqp091-go's reader goroutine (every
// notification channel is drained by a goroutine of ours, and Events never
// blocks: a full buffer counts Dropped instead), hang on a lost connection
// (every blocking call returns ErrDisconnected when the connection dies, or
// ctx's error), or leave anything behind (Reset deletes what Declare
// declared; Close ends every goroutine).
//
// # Publishing
//
// Publish waits for the broker's confirm. RabbitMQ sends basic.return
// before the ack of the same message, and one goroutine reads both
// notification channels, draining returns before resolving a confirm, so
// Published.Returned is exact, without timing.
//
// # Knowing that deliveries have arrived
//
// Settle publishes a sentinel (type "warren.settle", never an Event)
// through the default exchange to each queue that has exactly one running
// auto-ack consumer of this Session, and waits until the consumer has it:
// a queue is FIFO, so everything published before has arrived. For other
// queues, WaitDelivered waits for the deliveries the caller expects, with
// a timeout. Seen tells which consumers received a message id.
//
// # Concurrency
//
// A Session is safe for use by several goroutines. It owns the goroutines
// that drain amqp091-go's notification channels (one per publisher channel,
// one per connection) and one per running consumer; Close stops them all
// and waits for them. Operations on one consumer are serialised. Events are
// delivered on a buffered channel that the caller should drain; it is
// closed after Close.
//
// With Options.Reconnect a lost connection is retried with a backoff from
// 100ms to 5s; the topology is declared again and the consumers that were
// running are restarted, then EventState(Connected) is emitted. Restart
// (restart.go) watches a broker restart that a caller performs (the
// embedded broker's): it holds that reconnect off until it has looked at
// each queue through a connection of its own, so that a queue the restart
// lost is reported gone rather than redeclared empty, then waits for the
// unacked messages it held to come back redelivered.
package sandbox
