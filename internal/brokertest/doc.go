// Package brokertest is the one place that says which brokers the tests
// run against: the live RabbitMQ that Warren is compared with, a fresh
// embedded broker, and what happens when the live one is not there.
//
// The live broker is $AMQP_URL, else amqpuri.Default
// (amqp://guest:guest@127.0.0.1:5672/). When it cannot be reached, a
// developer's run skips what needs it, with a message saying how to get
// it; with WARREN_REQUIRE_RABBITMQ=1 (as .ci/run sets) the test fails
// instead, so CI can never pass by skipping. internal/testbrokers adds the
// embedded broker to it, for the tests that run against both.
//
// It imports nothing of Warren's but sandbox/amqpuri, so any package's
// tests can use it, the embedded broker's own included.
package brokertest
