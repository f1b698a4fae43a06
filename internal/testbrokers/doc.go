// Package testbrokers gives a test the brokers it runs against: Both (the
// live RabbitMQ when reachable, and a fresh embedded broker) or Embedded
// alone, each stopped when the test ends.
//
// It is test support, apart from internal/brokertest (which says which
// live RabbitMQ to use and whether it must be there) because it starts the
// embedded broker: brokertest is imported by sandbox/broker's own tests,
// so it must not import the broker, and the broker's tests start their
// server directly.
package testbrokers
