package userupdate

import (
	"testing"

	"github.com/warrenmq/warren/internal/testbrokers"
)

// The embedded broker joins the table: every end-to-end test runs on it as
// on RabbitMQ, over the same AMQP socket.
func init() {
	brokers = append(brokers, testBroker{name: "embedded", url: embeddedURL})
}

// embeddedURL starts a fresh embedded broker for one test; it is shut down
// when the test ends (after the services, whose cleanup was registered
// later).
func embeddedURL(t *testing.T) string {
	t.Helper()
	return testbrokers.Embedded(t).URL
}
