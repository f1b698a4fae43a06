// Package scenarios holds Warren's built-in scenarios (YAML files embedded
// with go:embed), loads and validates scenario files strictly, and plays a
// scenario's steps on a sandbox.Session (Player), comparing what was
// delivered with what the steps expect and with the routing model's
// prediction.
//
// Publishing a message and finding out what the broker did with it is
// written once, in Observe (observe.go), and judging a step once, in
// Judge: `warren run` (through the Player) and the TUI both use them, so
// the two never disagree on what a step's outcome was. Observe only calls a
// missing delivery a disagreement on a queue it could settle; elsewhere the
// queue is "unchecked" (Comparison), which `warren run` counts against the
// model and the TUI shows as a message still waiting.
//
// Beyond "publish one message, see which queues get it", a scenario can
// show what queues and consumers do with it afterwards: consumers with
// basic.consume arguments (a stream's x-stream-offset), paused ones, a
// worker that nacks everything (nack-requeue) and an RPC server (reply);
// steps that stop, pause or resume consumers first; expectations that a
// queue delivers a message n times (redeliveries), that it waits
// undelivered (expect_waiting), or what a consumer has received so far,
// in order (expect_received). A copy that was dead-lettered is counted,
// against the model, for the queue it was routed to (x-death), and a reply
// through direct reply-to is not a routed copy.
//
// A restart_broker step (restart.go) publishes nothing: the broker restarts
// in place through Player.RestartBroker (the embedded broker's Restart,
// given by internal/cli; nil elsewhere), the Session reports per queue what
// survived, looked at before it declares anything again (Session.Restart),
// and expect_ready / expect_gone are checked against that. Without the
// hook the step, and every step after it, is skipped with a note
// (StepResult.Skipped): nothing fails for a restart that did not happen.
//
// A malformed file is refused with its file name, line and what to fix
// (LoadErrors): unknown fields, undeclared names, unknown exchange types,
// bad x-match values, names over 255 bytes, steps without expect,
// duplicates. The loader walks yaml.Node trees so that every message has a
// line, and so that header values keep the AMQP type their YAML tag asks
// for (!byte, !short, !int, !long, !float, !double, !timestamp, !binary,
// !string; see the headers scenario).
//
// It must never declare anything on a broker except through a Player's
// Setup, and never leave it there: Teardown deletes it. It never panics on
// a bad file.
//
// # Concurrency
//
// Loading is safe from any goroutine (the built-ins are parsed once). A
// Player, like Observe, starts no goroutines of its own and is used by one goroutine at a
// time; the Session it drives owns the goroutines.
package scenarios
