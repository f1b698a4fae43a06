package userupdate

import (
	"testing"
	"time"

	"github.com/warrenmq/warren/sandbox/broker"
)

// The embedded broker joins the table: every end-to-end test runs on it as
// on RabbitMQ, over the same AMQP socket.
func init() {
	brokers = append(brokers, testBroker{name: "embedded", url: embeddedURL})
}

// embeddedURL starts a fresh embedded broker on an ephemeral loopback port
// for one test; it is shut down when the test ends (after the services,
// whose cleanup was registered later).
func embeddedURL(t *testing.T) string {
	t.Helper()
	srv, err := broker.New(broker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	if !srv.ReadyForConnections(5 * time.Second) {
		t.Fatal("the embedded broker is not ready for connections after 5s")
	}
	return srv.URL()
}
