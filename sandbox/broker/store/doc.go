// Package store keeps the embedded broker's persistent messages and its
// definitions (durable exchanges, queues, bindings, users, vhosts) in a data
// directory, so that they survive a restart, clean or kill -9.
//
// # Design
//
// The write pattern of a message broker is append (publish), delete soon
// after (ack), and read everything back once (recovery at start). The store
// is built for that, after RabbitMQ's own designs (the classic queues' v2
// message store, the quorum queues' write-ahead log):
//
//   - Messages go to an append-only log of segment files (NNNNNNNNNNNNNNNN.seg).
//     A record is a publish (a message id, the ids of the durable queues it
//     was routed to, and an opaque payload the broker encodes), an ack (the
//     queue and message ids that are settled), or a delivery mark (the
//     highest message id a queue has delivered, so that what comes back
//     after a restart is marked redelivered).
//   - Every record carries its length and a CRC-32C: after a kill -9 the
//     torn tail of the newest segment is cut off at the first bad record.
//     Older segments were fsync'd before the next one was started, so a bad
//     record there is corruption, and Open says so instead of guessing.
//   - One writer goroutine writes what has been queued since its last write
//     and fsyncs once for all of it (group commit). Append's callback runs
//     after that fsync: the broker sends a publisher confirm from it.
//     Acks and delivery marks are written without waiting for an fsync of
//     their own (a lost ack after a crash means a redelivery, as in
//     RabbitMQ).
//   - A segment in which nothing is live any more is deleted, oldest first.
//     When the oldest segment is mostly dead (a consumer that lags behind
//     leaves a few messages in it), its live messages are copied to the head
//     of the log and it is deleted: the disk holds at most about twice what
//     is live. Segments are only ever deleted oldest first, so an ack can
//     never outlive the message it settles.
//   - Definitions are a small file (definitions.json, opaque bytes to this
//     package) replaced atomically (write, fsync, rename, fsync the
//     directory): they change rarely, and a person can read them.
//
// It must never: call a publish's callback before its record is on disk,
// lose or reorder what an earlier record said, import the broker, or leave
// its writer goroutine running after Close.
//
// # Concurrency
//
// Every method of Store is safe for concurrent use. Append, Ack and
// Delivered only encode into an in-memory batch under Store.mu and wake the
// writer; they never wait for the disk (Throttle does, for back-pressure,
// and must be called without the caller's locks held). The writer goroutine
// owns the files; it runs the callbacks of a batch, in Append order, after
// the batch's fsync and without holding Store.mu. Close stops the writer
// after it has written and fsync'd everything queued before it.
package store
