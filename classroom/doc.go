// Package classroom is `warren class`: a class on one broker. It makes a
// roster (a user, a generated password and a vhost per student),
// provisions it through an Admin (Warren's embedded broker, or a live
// RabbitMQ's management API: each student allowed only in their own
// vhost, the vhost's firehose on), and watches the class for the teacher
// (Watch): every message any client publishes in a student's vhost,
// where the broker routed it and the routing model's reason for each
// binding, and the quiz scores students' Warren reports there
// (scenarios.ScoresQueue).
//
// It observes brokers over the wire, as the rest of Warren does: the
// firehose copies (amq.rabbitmq.trace, publish.<exchange>) arrive through
// a sandbox.Session like any other queue, on both brokers alike. It must
// never import the embedded broker (internal/cli adapts it to Admin),
// delete anything but what Provision made (Remove), nor let a slow
// teacher fill the broker (the trace queue is bounded).
//
// # Concurrency
//
// Watch starts one goroutine per student, reading that student's Session
// events; Close stops them and waits. Snapshot and Changed are safe from
// any goroutine; Config.Notify is called from the watching goroutines.
package classroom
