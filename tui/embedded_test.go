package tui

import (
	"testing"

	"github.com/warrenmq/warren/sandbox"
)

// embeddedBrokers starts Warren's embedded broker for one test; it is shut
// down when the test ends.
func embeddedBrokers(t *testing.T) []testBroker {
	t.Helper()
	srv, err := sandbox.StartEmbedded()
	if err != nil {
		t.Fatalf("embedded broker: %v", err)
	}
	t.Cleanup(srv.Shutdown)
	return []testBroker{{name: "embedded", url: srv.URL(), label: "embedded", shutdown: srv.Shutdown}}
}
