package cli

import (
	"strings"
	"testing"
)

// Bad input to the TUI command is refused before any terminal or broker
// is touched, with exit code 2 and a message that says what to do.
func TestTUIBadInput(t *testing.T) {
	t.Parallel()
	bad := writeFile(t, t.TempDir(), "bad.yaml", "name: bad\ntopology:\n  queues: [{name: q}]\n  bindings: [{source: nope, destination: q}]\nsteps: []\n")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown scenario", []string{"--scenario", "nosuch"}, `no scenario named "nosuch" and no such file; the built-in scenarios are: direct, fanout, topic`},
		{"missing file", []string{"nosuch.yaml"}, "nosuch.yaml: no such scenario file"},
		{"malformed file", []string{bad}, `bad.yaml:4: binding source "nope" is not a declared exchange`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, stderr, code := warren(t, tc.args...)
			if code != exitBadInput {
				t.Errorf("exit code %d, want %d; stderr: %s", code, exitBadInput, stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr %q does not say %q", stderr, tc.want)
			}
		})
	}
}
