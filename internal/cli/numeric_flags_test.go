package cli

import (
	"bytes"
	"strings"
	"testing"
)

// Every numeric flag is range-checked with a message saying what to give:
// --prefetch 65536 went out as 0 (unlimited), 70000 as 4464, and 0 and -5
// silently became 10.
func TestNumericFlagsAreRangeChecked(t *testing.T) {
	noEnv := func(string) string { return "" }
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"profile-service", "--prefetch", "65536"}, "--prefetch 65536: give 1 to 65535"},
		{[]string{"profile-service", "--prefetch", "70000"}, "--prefetch 70000: give 1 to 65535"},
		{[]string{"profile-service", "--prefetch", "0"}, "--prefetch 0: give 1 to 65535"},
		{[]string{"profile-service", "--prefetch", "-5"}, "--prefetch -5: give 1 to 65535"},
		{[]string{"diagram", "topic", "--width", "5"}, "--width 5 is too narrow"},
		{[]string{"diagram", "topic", "--width", "100000"}, "--width 100000 is wider than any terminal"},
		{[]string{"bench", "--duration", "-1s"}, "--duration -1s: give a duration"},
		{[]string{"broker", "--memory-high-watermark", "7"}, "--memory-high-watermark \"7\""},
	} {
		var stdout, stderr bytes.Buffer
		code := run(t.Context(), tc.args, strings.NewReader(""), &stdout, &stderr, noEnv)
		if code != exitBadInput || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("warren %s: exit %d, stderr %q; want exit 2 saying %q", strings.Join(tc.args, " "), code, &stderr, tc.want)
		}
	}
}
