package sandbox

import "testing"

// embeddedBrokers starts a fresh embedded broker for a test (stopped when
// the test ends), so every Session test runs on it as well as on RabbitMQ.
func embeddedBrokers(t *testing.T) []testBroker {
	t.Helper()
	srv, err := StartEmbedded()
	if err != nil {
		t.Fatalf("embedded broker: %v", err)
	}
	t.Cleanup(srv.Shutdown)
	return []testBroker{{name: "embedded", url: srv.URL()}}
}
