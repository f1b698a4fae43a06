package cli

import (
	"strings"
	"testing"
)

// TestRunNarrate plays the unroutable scenario in classroom mode on the
// embedded broker, in-process, and reads what a class would see.
func TestRunNarrate(t *testing.T) {
	t.Parallel()
	// One Enter, then stdin ends: the first step waits for it, the rest
	// play on without waiting.
	text, stderr, code := warrenWithStdin(t, "\n", "run", "unroutable", "--pause", "--url", "") // --pause implies --narrate
	if code != exitOK {
		t.Fatalf("warren run unroutable --pause: exit %d\n%s\nstderr:\n%s", code, text, stderr)
	}
	for _, want := range []string{
		"[Enter: step 1 of 7]",
		"Step 2. Nobody is bound for refunded",
		`✗ orders -["paid"]-> orders_paid: direct: 'paid' != 'refunded'`,
		"unroutable and mandatory: basic.return 312 NO_ROUTE",
		"delivered to -, returned 312 NO_ROUTE (as expected)",
		"on to its alternate exchange 'orders_unrouted'",
		`✓ (default) -["orders_paid"]-> orders_paid`,
		"7 of 7 steps passed",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("narration lacks %q\n%s", want, text)
		}
	}
	if strings.Count(text, "[Enter:") != 2 {
		t.Errorf("want a prompt before step 1 and step 2 only (stdin ended after one Enter), got %d:\n%s",
			strings.Count(text, "[Enter:"), text)
	}
}
