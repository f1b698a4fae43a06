// Package warrentest runs Warren's embedded AMQP 0-9-1 broker inside a Go
// test, as miniredis runs Redis: a real server on a loopback port that
// amqp091-go (or any client) dials, with its state open to the test.
//
//	s := warrentest.RunT(t)
//	conn, err := amqp.Dial(s.URL())
//	...
//	s.CheckQueueLen(t, "orders", 1)
//
// The broker behaves as RabbitMQ 4.x does, held to a live RabbitMQ by
// Warren's differential tests; README.md in this folder says what is
// supported and what is not. What the test can do besides a client:
// declare, bind and publish (DeclareQueue, Bind, Publish), list a queue's
// messages (Messages), read each message's history (History), check with
// helpers whose failure explains the route binding by binding
// (CheckQueueLen, CheckRoutedTo, CheckDeadLettered), inject failures
// (CloseConnections, NackNextPublishes, BlockPublishers,
// CancelConsumers), restart the broker (Restart) and move its clock.
//
// # The virtual clock: what it drives, and what it does not
//
// The broker reads the time from a virtual clock. By default the clock
// runs with the wall clock (so a test written for a real RabbitMQ works
// unchanged) and FastForward(d) or SetTime(t) jump it ahead;
// WithStoppedClock stops it, so that only FastForward and SetTime move
// it. FastForward first waits until the broker has handled what clients
// already sent (Sync), then fires, in the calling goroutine and in
// deadline order, everything that comes due; when it returns, the broker
// has done all of it.
//
// The clock DRIVES: message TTLs (x-message-ttl and the expiration
// property), queue expiry (x-expires), the consumer timeout
// (consumer_timeout and x-consumer-timeout, checked once a minute as in
// RabbitMQ), the retries of quorum queues' at-least-once dead-lettering
// (every 3 minutes), stream retention by x-max-age, and the times the
// broker writes (x-death's time).
//
// It does NOT drive: anything in the client (amqp091-go's heartbeats,
// dial and channel timeouts, context deadlines: they run on the wall
// clock), the broker's heartbeats and its detection of a silent client
// (the peer runs in real time: a FastForward of an hour must not close a
// healthy connection), handshake and close timeouts, flow control, and
// the timestamp property a publisher sets. A delivery the broker makes
// when a timer fires travels to the client in real time: wait for it on
// the client's channel.
//
// It must never import the TUI (tview, tcell) or the CLI.
//
// # Concurrency
//
// A Server is safe for use from any goroutine and from parallel tests;
// each has its own port, clock and state. The broker's goroutines are
// its own and end at Close (RunT registers Close with t.Cleanup); the
// timers that come due in FastForward run in the test's goroutine.
package warrentest
