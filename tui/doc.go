// Package tui is Warren's terminal UI (tview on tcell/v2): choose a
// scenario, publish messages, and watch where they go and why. It shows the
// topology with each binding's verdict from the routing model, a pane per
// queue with its latest deliveries, the consumers you can play with
// (auto-ack, manual ack/nack/reject, paused, crashed, several for
// round-robin), an event log and a status line.
//
// It is the only package that imports tview or tcell. It talks to brokers
// only through a sandbox.Session, never amqp091-go directly, so it works
// the same on the embedded broker and on a live RabbitMQ. It must never do
// network work on the event loop, never own unbounded data, and never
// panic on what a user types (bad input is a message in the form).
//
// The diagram page (d; diagram_page.go, diagram_flow.go) draws the topology
// with tui/diagram and animates each message along its path; it learns of
// every message, whoever published it, from the deliveries the pump folds
// in, and under a flood shows rates instead of animating.
//
// Quiz mode (Q; quiz.go, quiz_view.go) asks before each step where its
// message goes and reveals after, judged by scenarios.Quiz as `warren run
// --quiz` judges; b and . (back.go) go back a step and replay one by
// declaring the scenario again and replaying the steps before.
//
// R (restart.go) restarts the embedded broker in place through
// Config.RestartBroker, which internal/cli gives (nil on a live RabbitMQ,
// where R only says so), as a scenario's restart_broker step does: the
// worker waits in Session.Restart, logs per queue what survived and then
// refreshes the panes' counts from the broker.
//
// Keys are data: bindings() is the one table that both dispatches keys and
// generates the help page.
//
// # Concurrency
//
// tview runs one event loop; key handlers, mouse handlers and refresh run
// on it and only touch widgets. Around it the App owns three goroutines,
// started after the first draw and all stopped before the loop stops:
//
//   - the worker runs network work (declare, publish, settle, consumer
//     operations, queue counts) one job at a time. Handlers hand it jobs
//     with submit, which never blocks. It writes results into the model,
//     or asks for a widget change with later; it never waits on the loop.
//   - the pump drains Session.Events() into the model (bounded rings per
//     queue and for the log), applying whatever is waiting in batches
//     under one lock, so that a flood (40,000 messages a second on the
//     embedded broker) neither blocks the Session nor makes it drop events.
//   - the ticker coalesces redraws: every 50 ms, if the model changed, it
//     queues one refresh with QueueUpdateDraw (never more than one pending),
//     so the screen is redrawn at most 20 times a second whatever the
//     message rate. refresh copies the model into the widgets.
//
// The model is guarded by one mutex, held only briefly and never across
// I/O. Quitting (q, Ctrl-C, SIGHUP/SIGTERM through the Run context)
// cancels the worker's current job and starts shutdown, on a goroutine of
// its own: it waits for the worker, resets the Session, stops the
// user-update flow page's services and closes the Session, each bounded by
// Config.ShutdownTimeout (a broker that stops answering must not keep the
// user from quitting), then stops the pump and the ticker while the loop
// still runs (so neither is left blocked in QueueUpdateDraw) and only then
// stops the loop. QueueUpdate is never called from a handler, and nothing
// is queued after the loop has stopped. The loop can also end on its own
// (a closed terminal reads EOF) while the ticker is waiting for a refresh
// to run; queueRefresh stops waiting when the loop is gone, so shutdown
// still completes and the process exits.
package tui
