package tui

import (
	"reflect"
	"strings"
	"testing"

	"github.com/warrenmq/warren/sandbox/routing"
)

// A step's headers fill the publish form; publishing the form again must
// send the same headers, with the same AMQP types (the headers exchange
// compares them), commas and presence tests included.
func TestHeaderFormRoundTrips(t *testing.T) {
	in := routing.Table{
		"format":   "pdf",
		"note":     `a, b "c"`,
		"copies":   int8(2),
		"port":     int16(5672),
		"n":        int32(5),
		"big":      int64(1) << 40,
		"ratio":    0.5,
		"urgent":   true,
		"trace-id": nil,
		"padded":   " x ",
	}
	text := formatHeaderInput(in)
	out, err := parseHeaders(text)
	if err != nil {
		t.Fatalf("parseHeaders(%q): %v", text, err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip through %q:\n got %#v\nwant %#v", text, out, in)
	}
}

func TestHeaderFormRefusesWhatItCannotRead(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`note="a, b`, "not closed"},
		{`n:byte=300`, "not a byte"},
		{`t:void=x`, "no value"},
		{`x:decimal=1`, "use str, byte, short, int, long, float, bool or void"},
		{`format`, "write key=value"},
	} {
		_, err := parseHeaders(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parseHeaders(%q) = %v, want an error saying %q", tc.in, err, tc.want)
		}
	}
}
