// Package userupdate is the article's worked example, runnable for real: a
// user service that updates a user in its own store and emits an event, and
// a profile service, with its own store, that applies it. Both talk to a
// broker (the embedded one or a live RabbitMQ) over AMQP 0-9-1 with
// amqp091-go, exactly as any other client would.
//
// The flow (names are the CLI defaults; tests use unique ones, see Names):
//
//	POST /users/1 full_name=usama
//	  -> user service: ONE local transaction updates the users row and inserts
//	     an outbox row (the event, with a message id); replies 201 at once
//	  -> relay: publishes outbox rows in order (up to 64 unconfirmed at a
//	     time, confirms settled in order) to the durable topic exchange
//	     user_updates, routing key user.profile.update, persistent,
//	     application/json, mandatory, with a publisher confirm; marks a row sent
//	     only after the broker's ack (a basic.return 312 NO_ROUTE keeps it
//	     pending: nobody is bound yet, so it is retried, not dropped)
//	  -> queue profile_service.user_updates (bound with user.profile.*,
//	     x-dead-letter-exchange profile_service.dlx)
//	  -> profile service: manual ack, a prefetch; ONE local transaction applies
//	     the event and records its message id; then basic.ack
//	  refused (empty name, name over 100 characters, malformed JSON):
//	     publish user.profile.update.failed (confirmed), then basic.nack with
//	     requeue=false: the broker dead-letters the event to
//	     profile_service.user_updates.dead
//	  -> user service consumes user.profile.update.failed from its own queue
//	     and rolls its change back to the full_name recorded in the outbox row.
//
// # Delivery guarantees
//
// The user service never loses an accepted update: the event is committed
// with the change, and the relay retries until the broker confirms it. It
// may publish an event twice (a crash between the broker's ack and marking
// the row sent), so the profile service makes redelivery harmless: an event
// with a message id takes effect once, because the id is recorded in the
// same transaction as the change and a known id is acked without applying.
//
// An event without a message id (the article's Python service publishes
// {"full_name": "...", "id": N} with pika and sets none) is a state
// assignment, "user N's name is X", which is idempotent by itself: applying
// it twice leaves the same state, so it is applied as it comes. It is NOT
// deduplicated on a hash of its body, because the same body can come again
// legitimately (A, then B, then A again), and a body hash would drop the
// third update. The hash ("sha256:...") only names such an event in logs and
// in its compensating event.
//
// A compensation is idempotent too: the user service rolls a user back only
// while the user's current value is still the one the refused event set (its
// message id is the user's last_message_id), so a second copy of the failed
// event, or one arriving after a newer update, changes nothing.
//
// # What the stores keep
//
// Each service's store is a bbolt database: a file that fsyncs every
// commit (it survives a crash and a restart, and one process at a time
// holds it), or, for "" (the TUI, tests, the CLI without --db), the same
// database on an anonymous in-memory file that never syncs and goes with
// the process.
//
// Neither grows without bound (WithRetention; DefaultRetention is a day
// and 10 000 entries; an entry goes only when it is older than the Age AND
// Count newer ones are kept):
//
//   - the outbox keeps every row the broker has not confirmed and every row
//     that is still its user's latest change, so a compensation always finds
//     the row it needs; confirmed rows that a newer update superseded are
//     dropped under the retention;
//   - the profile service remembers applied message ids under the
//     retention. A copy follows its original closely (the broker redelivers
//     what is unacked; the relay republishes only rows it had not marked
//     sent), so idempotence holds for every copy that comes within a day or
//     10 000 events of its original; a copy later than both would be
//     applied again.
//
// # What it must never do
//
// Never ack an event before its effect is committed; never mark an outbox row
// sent before the broker acks it; never block a request on the broker; never
// share a store between the two services (each owns its bbolt database);
// never reach into the embedded broker's internals (everything goes over the
// AMQP socket).
//
// # Concurrency
//
// Each service owns its goroutines, all started by Start and stopped by
// Close (or when Start's ctx ends), which waits for them:
//
//   - the link goroutine dials the broker with backoff, declares the
//     topology on each connection and reconnects when the connection is lost;
//   - per connection, the user service runs the relay and the
//     failed-event consumer, the profile service runs the consumer; each uses
//     its own channel, and any channel error closes the connection so that
//     the link redeclares everything on a fresh one (a crash switch or
//     StopConsumer closes only the consumer's channel, and the consumer
//     loop opens another);
//   - per connection, a goroutine declares the topology again every 15s
//     (WithTopologyRecheck), repairing what someone else deleted;
//   - amqp091-go's own goroutines (reader, heartbeater, consumer buffers)
//     end when the connection is closed, which the link does before it
//     returns;
//   - Serve runs a net/http server and shuts it down gracefully when its ctx
//     ends.
//
// The stores are safe for concurrent use (bbolt: one writing transaction
// at a time, readers on consistent snapshots; every change is one
// transaction), so HTTP handlers, the relay, the consumers and
// the snapshot methods (Users, Outbox, Profiles) may run at the same time.
// The switches (CrashBeforeAck, CrashBeforeApply, RefuseNext, Stop, Start)
// may be called from any goroutine.
//
// The event callback given to a constructor is called synchronously from
// these goroutines, in the order things happened within one goroutine. It
// must return quickly and must not call back into the service (a TUI should
// copy the Event and hand it to its event loop).
package userupdate
