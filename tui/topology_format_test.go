package tui

import (
	"testing"

	"github.com/warrenmq/warren/sandbox/routing"
)

// A void binding argument tests a header's presence; "<nil>" would teach
// nothing, so the topology says (any).
func TestFormatTableShowsPresenceTests(t *testing.T) {
	got := formatTable(routing.Table{"trace-id": nil, "format": "pdf", "n": int32(5)})
	if want := "format=pdf n=5 trace-id=(any)"; got != want {
		t.Fatalf("formatTable = %q, want %q", got, want)
	}
}
