package tui

import (
	"testing"

	"github.com/warrenmq/warren/sandbox/routing"
)

// A binding's label shows its arguments in the notation the form takes:
// a void argument (a presence test) as k:void=, an int as n:int=5, and a
// string that reads as a number in quotes.
func TestBindingLabelShowsTypes(t *testing.T) {
	t.Parallel()
	b := routing.Binding{Source: "h", Destination: "q", Arguments: routing.Table{"x-match": "any", "trace-id": nil, "format": "pdf", "n": int32(5), "s": "5"}}
	if got, want := bindingLabel(b, routing.Headers), `any: format=pdf, n:int=5, s="5", trace-id:void=`; got != want {
		t.Fatalf("bindingLabel = %q, want %q", got, want)
	}
	b2 := b
	b2.Arguments = routing.Table{"x-match": "any", "trace-id": nil, "format": "pdf", "n": int64(5), "s": "5"}
	if bindingID(b) == bindingID(b2) {
		t.Error("bindings differing in an int and a long argument have one bindingID")
	}
}
