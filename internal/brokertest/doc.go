// Package brokertest is the one place that says which live RabbitMQ the
// tests compare Warren with, and what happens when it is not there.
//
// The live broker is $AMQP_URL, else amqp://guest:guest@127.0.0.1:5672/.
// When it cannot be reached, a developer's run skips what needs it, with a
// message saying how to get it; with WARREN_REQUIRE_RABBITMQ=1 (as .ci/run
// sets) the test fails instead, so CI can never pass by skipping.
//
// It imports nothing of Warren's, so any package's tests can use it; each
// package starts the embedded broker its own way (sandbox.StartEmbedded, or
// broker.New inside package broker).
package brokertest
