package tui

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/warrenmq/warren/sandbox/routing"
	"github.com/warrenmq/warren/scenarios"
)

// formRoundTrip fills the publish form with a step's message, as p does,
// and reads it back, as Enter does.
func formRoundTrip(t *testing.T, in routing.Table) (string, routing.Table, error) {
	t.Helper()
	f := (&App{}).newPublishForm()
	f.fill(scenarios.Publish{Exchange: "x", Headers: in})
	p, err := f.publishing()
	return f.headers.GetText(), p.Headers, err
}

// A step's headers fill the publish form; publishing the form again must
// send the same headers, with the same AMQP types (the headers exchange
// compares them), commas, awkward keys, nesting and presence tests
// included. (routing's property test and fuzz target hold the notation
// itself to this for random tables.)
func TestHeaderFormRoundTrips(t *testing.T) {
	t.Parallel()
	in := routing.Table{
		"format":   "pdf",
		"note":     `a, b "c"`,
		"copies":   int8(2),
		"port":     int16(5672),
		"n":        int32(5),
		"big":      int64(1) << 40,
		"s":        "5",
		"ratio":    0.5,
		"single":   float32(1.5),
		"urgent":   true,
		"trace-id": nil,
		"padded":   " x ",
		"a=b, c:d": "awkward key",
		"when":     time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		"raw":      []byte{0, 1, 0xff},
		"list":     []any{"x", "5", int32(2), routing.Table{"k": "v"}},
		"nested":   routing.Table{"k": "v", "n": int16(5), "deeper": routing.Table{}},
	}
	text, out, err := formRoundTrip(t, in)
	if err != nil {
		t.Fatalf("publishing %q: %v", text, err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip through %q:\n got %#v\nwant %#v", text, out, in)
	}
	for _, want := range []string{"n:int=5", "big:long=1099511627776", `s="5"`, "copies:byte=2", `"a=b, c:d"=awkward key`, "trace-id:void=", "list:array=[x, \"5\", :int=2, :table={k=v}]"} {
		if !strings.Contains(text, want) {
			t.Errorf("form text %q lacks %q", text, want)
		}
	}
}

func TestHeaderFormRefusesWhatItCannotRead(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{`note="a, b`, "not closed"},
		{`n:byte=300`, "not a byte"},
		{`t:void=x`, "no value"},
		{`x:money=1`, "use str, byte, short, int, long"},
		{`format`, "write key=value"},
		{`t:table={k=v`, "not closed"},
	} {
		f := (&App{}).newPublishForm()
		f.headers.SetText(tc.in)
		_, err := f.publishing()
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "headers: ") {
			t.Errorf("publishing headers %q = %v, want an error saying headers: ... %q", tc.in, err, tc.want)
		}
	}
}
