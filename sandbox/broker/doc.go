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
// Without Options.DataDir it never touches the disk (durable flags are
// remembered and compared, nothing is persisted). With it, durable
// exchanges, queues and bindings and the persistent messages of durable
// queues survive a restart, clean or kill -9, and a publisher confirm for
// such a message is sent once it is on disk (persist*.go, store/).
// Restart (restart.go) restarts the broker in place, on the same address,
// as a RabbitMQ node restart: from the data directory, or, without one,
// keeping in memory exactly what a disk would have held.
//
// It must never: confirm a persistent message routed to a durable queue
// before it is on disk, install signal handlers, leave a goroutine running
// after Shutdown, panic on what a client sends, or route differently from
// the routing model in sandbox/routing.
//
// Channels have RabbitMQ 4.1's consumer timeout (consumer_timeout.go).
// Queues support x-message-ttl, per-message expiration, x-expires,
// x-max-length(-bytes), x-overflow (drop-head, reject-publish,
// reject-publish-dlx), dead-lettering with x-death, x-max-priority and
// x-single-active-consumer; consumers take x-priority. Queue types are
// RabbitMQ's, in memory: classic, quorum (its declaration rules,
// x-delivery-count, x-delivery-limit with 4.x's default of 20 and
// dead-lettering with reason delivery_limit, quorum.go; at-least-once
// dead-lettering, deadletter_held.go) and stream (an
// append-only log read from x-stream-offset, with segment retention,
// stream.go). Direct reply-to (amq.rabbitmq.reply-to, replyto.go) and the
// federation plugin's x-federation-upstream exchange type are there. Not
// there (yet), unlike RabbitMQ: persistent streams, policies, stream
// filtering and single active consumer on streams, and topic permissions.
//
// Users, vhosts and permissions are RabbitMQ's (access.go): users with a
// salted password hash and tags, per user and vhost configure/write/read
// regular expressions checked as rabbit_channel checks them, 530
// NOT_ALLOWED for a vhost the user may not open, 403 ACCESS_REFUSED for
// the rest. The whole broker reads and writes as RabbitMQ's definitions
// (definitions.go: Definitions, ImportDefinitions, Options.Definitions).
//
// The firehose tracer is RabbitMQ's (trace.go): Server.SetTracing(vhost,
// true), as rabbitmqctl trace_on, copies every publish and delivery in
// the vhost to amq.rabbitmq.trace as publish.<exchange> and
// deliver.<queue>, with rabbit_trace's headers (exchange_name,
// routing_keys, properties, routed_queues, redelivered, node, vhost, user,
// connection, channel). A traced vhost has one goroutine of its own that
// publishes the copies, in order; it is counted in Server.wg and stopped
// by SetTracing(vhost, false), the vhost's deletion and Shutdown.
//
// Frames are read and written by sandbox/broker/wire. Files are named by
// one scheme: a broker entity per file (server.go, conn.go, channel.go,
// vhost.go, exchange.go, binding.go, queue.go, consumer.go, message.go;
// publish.go routes a message through them, router.go and topic.go are
// the exchange types' matchers, args.go the x-arguments, deadletter.go
// and flow.go what their names say; access.go and definitions.go the
// access model and the definitions snapshot, inspect.go and ops.go what
// the management API (sandbox/broker/management) reads and does, tls.go
// the amqps listener), and the method handlers of each AMQP
// class in <class>_methods.go (connection_methods.go, channel_methods.go,
// exchange_methods.go, queue_methods.go, basic_methods.go,
// confirm_methods.go, tx_methods.go).
//
// # Concurrency
//
// Each connection has two goroutines: a reader (conn.serve) that runs every
// method of the connection in order, and a writer (conn.writeLoop) that owns
// the socket's wire.Writer. Anything may queue frames for a connection
// (conn.send); the writer writes them in order and flushes when the queue
// runs dry, so a burst of deliveries costs few system calls. The server has
// an accept goroutine; TTL, x-expires and the other timers run through
// Server.goTimer on Options.Clock (sandbox/broker/clock: the wall clock, or
// a virtual one whose Advance runs them in the caller's goroutine).
// All are counted in Server.wg, which Shutdown waits on. A panic in a
// reader (a bug) closes that connection with 541 INTERNAL_ERROR and is
// logged with its stack; the other connections go on.
//
// Queues have no goroutine: state is guarded by locks, always taken in this
// order: vhost.mu (read for publishing and settling, write for topology
// changes) -> queue.mu -> channel.mu -> conn.outMu; a tracer's list lock
// (tracer.mu) is a leaf, taken under any of them. Besides that chain:
// conn.mu (a connection's channel map) is taken under no other lock and
// only channel.mu under it (conn.kickConsumers); a queue's lock is held
// while it accounts memory and arms timers, so queue.mu ->
// Server.alarmMu -> Server.mu, and Server.alarmMu -> conn.outMu when the
// alarm clears (setAlarm tells the blocked connections); conn.deadlineMu
// is a leaf. Server.accessMu (changes to users, vhosts and permissions,
// and connection.open's vhost check) is taken under no other lock, and
// only Server.mu and conn.outMu under it (a deleted user's or vhost's
// connections are found and sent connection.close); readers of the
// access state take no lock (an atomic snapshot). No lock is held while waiting on a channel (flow control,
// the memory alarm, the writer draining). A queue decides deliveries
// under its own lock and hands them to the consumer's channel (delivery
// tag, unacked record) and connection (outgoing frame) before releasing
// it, so deliveries leave in queue order. Acks take the channel lock to
// find the deliveries, release it, then take the queues' locks.
// Dead-lettered messages are collected under a queue lock and
// republished after it is released, with vhost.mu still held for
// reading.
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
