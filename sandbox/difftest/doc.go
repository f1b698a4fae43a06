// Package difftest holds Warren's differential tests: random topologies and
// messages (fixed seeds), played on a real broker over AMQP 0-9-1 with
// amqp091-go, and compared with the routing model or with another broker.
//
// Generate makes a case from a seed; Observe declares it on a broker,
// publishes every message (mandatory, publisher confirms), records the
// returns, drains every queue with basic.get and deletes what it declared;
// Predict is the routing model's answer for the same case; Diff and
// Describe show a disagreement so that a person can tell who is wrong.
// A test can run the same seeds against two URLs (the live RabbitMQ and
// the embedded broker) and Diff the two Observed.
//
// It is test support: it must never be imported by Warren's program code,
// and it must only touch names carrying its per-run prefix (NewPrefix) on
// the broker it is pointed at.
//
// # Concurrency
//
// An Observer is for one goroutine; amqp091-go runs goroutines per
// connection, stopped by Observer.Close. ObserveCases runs one goroutine
// per worker connection and returns only when all have ended and closed
// their connections.
package difftest
