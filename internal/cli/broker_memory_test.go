package cli

import (
	"strings"
	"testing"
)

func TestParseWatermark(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		err  string
	}{
		{"0.4", 0.4, ""},
		{"off", -1, ""},
		{"512MiB", 512 << 20, ""},
		{"2GB", 2e9, ""},
		{"1G", 1 << 30, ""},
		{"1073741824", 1 << 30, ""},
		{"0", 0, "want a fraction"},
		{"1.5", 0, "want a fraction"},
		{"-0.2", 0, "want a fraction"},
		{"10KiB", 0, "at least 1MiB"},
		{"lots", 0, "want a fraction"},
		{"1e9", 0, "want a fraction"},
	} {
		got, err := parseWatermark(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: %v, %v; want an error saying %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q: %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}
