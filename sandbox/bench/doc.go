// Package bench measures an AMQP 0-9-1 broker the way a user's client
// loads it: amqp091-go publishers and consumers over real loopback
// connections, run one scenario at a time against each target (Warren's
// embedded broker, a live RabbitMQ) so that both face the same load in the
// same run. `warren bench` is its command.
//
// A scenario has publishers and consumers on one uniquely named durable
// queue, a body size, and publisher confirms on or off (at most 192
// unconfirmed per publisher). Consumers ack each message manually with a
// prefetch of 200. Each body starts with its publish time, so a consumer
// measures publish-to-consume latency; the consumed rate is what consumers
// received during the measuring window, divided by its length.
//
// # What it must never do
//
// Load a broker that is not on this machine (targets must be loopback
// URLs), run without bound (every scenario stops after its duration or
// MaxMessages publishes, and publishers pause while more than MaxBacklog
// messages are in the queue),
// or leave queues behind (each scenario deletes its queue, even when it
// fails). It is a measuring tool, not a test: nothing here asserts a speed.
//
// # Concurrency
//
// Run starts, per scenario and target, one goroutine per publisher, one
// per consumer and one confirm listener per confirming publisher; all of
// them have ended when Run returns for that scenario.
package bench
