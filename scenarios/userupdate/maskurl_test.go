package userupdate

import "testing"

// The services print their broker URL at start and on every retry: a URL
// Go cannot parse (a stray '%' in the password) must not show its password.
func TestMaskURLNeverShowsThePassword(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"amqp://guest:guest@127.0.0.1:5672/", "amqp://guest:xxxxx@127.0.0.1:5672/"},
		{"amqp://guest:gu%st@127.0.0.1:5672/", "amqp://guest:xxxxx@127.0.0.1:5672/"},
		{"amqp://127.0.0.1:5672/", "amqp://127.0.0.1:5672/"},
	} {
		if got := MaskURL(tc.in); got != tc.want {
			t.Errorf("MaskURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
