package testbrokers

import (
	"context"
	"testing"

	"github.com/warrenmq/warren/internal/brokertest"
	"github.com/warrenmq/warren/sandbox/broker"
)

// Broker is one broker a test runs against.
type Broker struct {
	// Name is "rabbitmq" or "embedded": a subtest's name.
	Name string
	// URL is the broker's AMQP URL, password and all.
	URL string
	// Label is what Warren shows for the broker (sandbox.Options.Label):
	// "embedded", or "" for the live RabbitMQ, whose masked URL is shown.
	Label string
	// Server is the embedded broker, for a test that stops it; nil for
	// the live RabbitMQ.
	Server *broker.Server
	// Restart restarts the embedded broker in place (Server.Restart), as
	// the scenario Player's RestartBroker hook; nil for the live RabbitMQ,
	// which a test does not restart.
	Restart func(context.Context) error
}

// Both returns the brokers a broker-facing test runs against: the live
// RabbitMQ when it is reachable (see brokertest.Live: under
// WARREN_REQUIRE_RABBITMQ=1 an unreachable one fails the test), then a
// fresh embedded broker.
func Both(t testing.TB) []Broker {
	t.Helper()
	var out []Broker
	if u, ok := brokertest.Live(t); ok {
		out = append(out, Broker{Name: "rabbitmq", URL: u})
	}
	return append(out, Embedded(t))
}

// Embedded starts a fresh embedded broker for the test (broker.Start: an
// ephemeral loopback port, the user guest) and stops it when the test
// ends.
func Embedded(t testing.TB) Broker {
	t.Helper()
	return embedded(t, broker.Options{})
}

// EmbeddedPersistent is Embedded with a data directory of the test's own
// (t.TempDir()): what a restart keeps comes from the disk.
func EmbeddedPersistent(t testing.TB) Broker {
	t.Helper()
	b := embedded(t, broker.Options{DataDir: t.TempDir()})
	b.Name = "embedded-data-dir"
	return b
}

func embedded(t testing.TB, opts broker.Options) Broker {
	t.Helper()
	srv, err := broker.Start(opts)
	if err != nil {
		t.Fatalf("start the embedded broker: %v", err)
	}
	t.Cleanup(srv.Shutdown)
	return Broker{Name: "embedded", URL: srv.URL(), Label: "embedded", Server: srv,
		Restart: func(context.Context) error { return srv.Restart() }}
}
