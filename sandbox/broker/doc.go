// Package broker is Warren's embedded AMQP 0-9-1 broker: a real server on a
// real socket that behaves as RabbitMQ 4.x does (routing, errors and their
// reply texts, confirms, dead-lettering, ...), so that amqp091-go, pika,
// amqp-tools and the RabbitMQ tutorials work against it unchanged and Warren
// teaches what RabbitMQ really does.
//
// It is embedded the way nats-server is: New(Options), Start (does not
// block), Addr/URL, ReadyForConnections, and an idempotent Shutdown that
// closes every connection and waits for every goroutine.
//
// It must never: touch the disk (durable flags are remembered and compared,
// nothing is persisted), install signal handlers, leave a goroutine running
// after Shutdown, panic on what a client sends, or route differently from
// the routing model in sandbox/routing.
//
// Queues support x-message-ttl, per-message expiration, x-expires,
// x-max-length(-bytes), x-overflow (drop-head, reject-publish,
// reject-publish-dlx), dead-lettering with x-death, x-max-priority and
// x-single-active-consumer; consumers take x-priority. Not there (yet), unlike RabbitMQ: persistence,
// quorum queues and streams (x-queue-type is remembered, the queue behaves
// as a classic one), policies, the management API, direct reply-to
// (amq.rabbitmq.reply-to), x-delivery-limit, the
// tracing that amq.rabbitmq.trace would carry, and access control beyond
// user/password (every user may use every vhost).
//
// Frames are read and written by sandbox/broker/wire; this package holds the
// state: vhosts (vhost.go, vhost_queues.go), exchanges and their routers
// (router.go, topic.go), queues (msgqueue.go), dead-lettering
// (deadletter.go), connections (conn.go) and one file per AMQP class for the
// method handlers (connection.go, channel.go, exchange.go, queue.go,
// basic.go, confirm.go, tx.go).
//
// # Concurrency
//
// Each connection has two goroutines: a reader (conn.serve) that runs every
// method of the connection in order, and a writer (conn.writeLoop) that owns
// the socket's wire.Writer. Anything may queue frames for a connection
// (conn.send); the writer writes them in order and flushes when the queue
// runs dry, so a burst of deliveries costs few system calls. The server has
// an accept goroutine; TTL and x-expires timers run through Server.goTimer.
// All are counted in Server.wg, which Shutdown waits on. A panic in a
// reader (a bug) closes that connection with 541 INTERNAL_ERROR and is
// logged with its stack; the other connections go on.
//
// Queues have no goroutine: state is guarded by locks, always taken in this
// order: vhost.mu (read for publishing and settling, write for topology
// changes) -> queue.mu -> channel.mu -> conn.outMu (and Server.alarmMu ->
// Server.mu for the memory alarm). A queue decides deliveries under its own
// lock and hands them to the consumer's channel (delivery tag, unacked
// record) and connection (outgoing frame) before releasing it, so
// deliveries leave in queue order. Acks take the channel lock to find the
// deliveries, release it, then take the queues' locks. Dead-lettered
// messages are collected under a queue lock and republished after it is
// released, with vhost.mu still held for reading.
//
// A consumer receives messages while it has room: under its prefetch (and
// the channel's global prefetch), and while its connection's outgoing queue
// is shorter than backlogHigh frames; the writer re-dispatches when it has
// drained a long queue. What a client's own frames make the broker send
// (replies, confirms, basic.return with its body) is bounded too: past
// outHoldFrames queued frames or outHoldBytes of returned bodies, the
// reader stops reading until the writer has drained the queue, so a
// client that sends but never reads gets TCP back-pressure instead of an
// ever-growing buffer (conn.waitForWriter).
//
// Publisher flow control (flow.go), in the spirit of RabbitMQ's credit
// flow: when a publish leaves a queue with more than 1,000 ready messages
// or 16 MiB of ready bodies (the high marks) while consumers drain it, the
// publishing connection's reader, having routed and confirmed that
// message, waits on a channel the queue closes once it is down to 500
// messages and 8 MiB (the low marks). The reader reads nothing meanwhile,
// so TCP back-pressure slows the publisher and the backlog, and with it
// the latency, stays bounded. It holds no lock while it waits; a message
// is never half-assembled or half-routed then. The whole reader is held,
// as RabbitMQ holds a connection in "flow" state, so acks travelling on
// the same connection wait too; to rule out a deadlock the reader is
// never held for a queue that has no consumer, nor for one its own
// connection consumes from (its acks are what drains it; tested by
// TestFlowControlSameConnectionPublishAndConsume), and it is let go when
// the queue loses its consumers, is purged or deleted, when the server
// closes the connection, or when no message left the queue for a second
// (its consumers stopped acking: the queue is then "stalled" and holds
// nobody until it delivers again). That last rule also breaks a cycle
// such as A publishing into B's queue while B publishes into A's: both
// readers held, neither's acks read, both queues stall, both are let go.
// Transactions' commits are not held.
// This is separate from connection.blocked (the memory alarm,
// waitIfBlocked), which tells the client and holds every publisher.
package broker
