package routing

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var (
	v310 = Model{Version: "3.10.8"}
	v4   = Model{Version: "4.1.0"}
)

func TestParseXMatch(t *testing.T) {
	tests := []struct {
		name    string
		model   Model
		args    Table
		want    XMatch
		errCode int
		errText string
	}{
		{"absent means all", v4, Table{"a": "1"}, XMatchAll, 0, ""},
		{"all", v4, Table{"x-match": "all"}, XMatchAll, 0, ""},
		{"any", v4, Table{"x-match": "any"}, XMatchAny, 0, ""},
		{"all-with-x", v4, Table{"x-match": "all-with-x"}, XMatchAllWithX, 0, ""},
		{"any-with-x", v4, Table{"x-match": "any-with-x"}, XMatchAnyWithX, 0, ""},
		{"any-with-x exists in 3.10", v310, Table{"x-match": "any-with-x"}, XMatchAnyWithX, 0, ""},
		{"unknown value", v4, Table{"x-match": "some"}, "", 406,
			`PRECONDITION_FAILED - Invalid x-match field value <<"some">>; expected all, any, all-with-x, or any-with-x`},
		{"case matters", v4, Table{"x-match": "ALL"}, "", 406,
			`PRECONDITION_FAILED - Invalid x-match field value <<"ALL">>; expected all, any, all-with-x, or any-with-x`},
		{"-with-x before 3.10", Model{Version: "3.9.29"}, Table{"x-match": "all-with-x"}, "", 406,
			`PRECONDITION_FAILED - Invalid x-match field value <<"all-with-x">>; expected all or any`},
		{"not a string", v4, Table{"x-match": int64(1)}, "", 406,
			`PRECONDITION_FAILED - Invalid x-match field type long (value 1); expected longstr`},
		{"bytes are not a longstr", v4, Table{"x-match": []byte("all")}, "", 406,
			`PRECONDITION_FAILED - Invalid x-match field type binary (value <<"all">>); expected longstr`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.model.ParseXMatch(tt.args)
			if tt.errCode == 0 {
				if err != nil || got != tt.want {
					t.Fatalf("ParseXMatch = %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Code != tt.errCode || e.Text != tt.errText {
				t.Fatalf("ParseXMatch error = %v; want %d %s", err, tt.errCode, tt.errText)
			}
		})
	}
}

// TestMatchHeaders covers x-match kinds, x- arguments, void (presence),
// type classes and the 3.10 / 4.x difference.
func TestMatchHeaders(t *testing.T) {
	ts := time.Unix(1700000000, 0)
	tests := []struct {
		name    string
		model   Model
		x       XMatch
		args    Table
		headers Table
		match   bool
		reason  string // substring of the reason
	}{
		{"all: every argument equal", v4, XMatchAll, Table{"x-match": "all", "format": "pdf", "type": "report"},
			Table{"format": "pdf", "type": "report", "extra": "ignored"}, true, "x-match=all: 'format' = 'pdf', 'type' = 'report'"},
		{"all: missing header", v4, XMatchAll, Table{"format": "pdf", "type": "report"},
			Table{"type": "report"}, false, "x-match=all: header 'format' missing"},
		{"all: wrong value", v4, XMatchAll, Table{"format": "pdf"},
			Table{"format": "zip"}, false, "x-match=all: header 'format' is 'zip', binding wants 'pdf'"},
		{"all: no headers at all", v4, XMatchAll, Table{"format": "pdf"}, nil, false, "header 'format' missing"},
		{"any: one is enough", v4, XMatchAny, Table{"format": "pdf", "type": "log"},
			Table{"type": "log"}, true, "x-match=any: 'type' = 'log'"},
		{"any: none", v4, XMatchAny, Table{"format": "pdf", "type": "log"},
			Table{"type": "report"}, false, "x-match=any: none matched: header 'format' missing, header 'type' is 'report', binding wants 'log'"},
		{"all with no arguments matches everything", v4, XMatchAll, Table{"x-match": "all"}, nil, true,
			"no arguments to compare, so every message matches"},
		{"any with no arguments matches nothing", v4, XMatchAny, Table{"x-match": "any"}, Table{"a": "1"}, false,
			"no arguments to compare, so nothing matches"},
		{"any with only x- arguments matches nothing", v4, XMatchAny, Table{"x-match": "any", "x-a": "1"}, Table{"x-a": "1"}, false,
			"nothing matches"},
		{"all skips x- arguments", v4, XMatchAll, Table{"x-trace": "on", "a": "1"}, Table{"a": "1"}, true, "'a' = '1'"},
		{"all-with-x compares x- arguments", v4, XMatchAllWithX, Table{"x-match": "all-with-x", "x-trace": "on"},
			Table{"other": "1"}, false, "x-match=all-with-x: header 'x-trace' missing"},
		{"all-with-x matches x- headers", v4, XMatchAllWithX, Table{"x-match": "all-with-x", "x-trace": "on"},
			Table{"x-trace": "on"}, true, "'x-trace' = 'on'"},
		{"any-with-x", v4, XMatchAnyWithX, Table{"x-match": "any-with-x", "x-a": "1", "b": "2"},
			Table{"x-a": "1"}, true, "x-match=any-with-x: 'x-a' = '1'"},
		{"-with-x never compares x-match itself", v4, XMatchAllWithX, Table{"x-match": "all-with-x"},
			Table{}, true, "every message matches"},
		{"void argument tests presence", v4, XMatchAll, Table{"format": nil}, Table{"format": "anything"}, true,
			"header 'format' present"},
		{"void argument, header absent", v4, XMatchAll, Table{"format": nil}, Table{}, false, "header 'format' missing"},
		{"void argument, void header", v4, XMatchAll, Table{"format": nil}, Table{"format": nil}, true, "present"},
		{"void header does not equal a value", v4, XMatchAll, Table{"format": "pdf"}, Table{"format": nil}, false,
			"header 'format' is :void=, binding wants 'pdf'"},
		{"integer widths compare equal", v4, XMatchAll, Table{"n": int8(1)}, Table{"n": int64(1)}, true, "'n' = :long=1"},
		{"unsigned and signed compare equal", v4, XMatchAll, Table{"n": uint16(7)}, Table{"n": int32(7)}, true, "'n' = :int=7"},
		{"4.x: integer and float differ", v4, XMatchAll, Table{"n": int32(1)}, Table{"n": float64(1)}, false,
			"header 'n' is :double=1, binding wants :int=1 (equal before 3.13; since 3.13 integer and float differ)"},
		{"3.10: integer equals float", v310, XMatchAll, Table{"n": int32(1)}, Table{"n": float64(1)}, true,
			"'n' = :double=1 (before 3.13, :int=1 == :double=1)"},
		{"3.10: 1 != 1.5", v310, XMatchAll, Table{"n": int32(1)}, Table{"n": 1.5}, false, "is :double=1.5, binding wants :int=1"},
		{"float and double of the same value", v4, XMatchAll, Table{"f": float32(0.5)}, Table{"f": 0.5}, true, "'f' = :double=0.5"},
		{"float32 0.1 is not double 0.1", v4, XMatchAll, Table{"f": float32(0.1)}, Table{"f": 0.1}, false, "binding wants :float=0.1"},
		{"string equals bytes", v4, XMatchAll, Table{"s": "abc"}, Table{"s": []byte("abc")}, true, "'s' = :binary=YWJj"},
		{"bool is not an integer", v310, XMatchAll, Table{"b": true}, Table{"b": int8(1)}, false, "is :byte=1, binding wants :bool=true"},
		{"bool equal", v4, XMatchAll, Table{"b": false}, Table{"b": false}, true, "'b' = :bool=false"},
		{"string is not a number", v310, XMatchAll, Table{"n": "1"}, Table{"n": int32(1)}, false, "is :int=1, binding wants '1'"},
		{"3.10: timestamp is seconds", v310, XMatchAll, Table{"t": ts}, Table{"t": ts}, true, "'t' = :timestamp=2023-11-14T22:13:20Z"},
		{"3.10: timestamp equals its seconds", v310, XMatchAll, Table{"t": int64(1700000000)}, Table{"t": ts}, true, "'t' = :timestamp=2023-11-14T22:13:20Z"},
		{"4.x: timestamp header routes in milliseconds", v4, XMatchAll, Table{"t": ts}, Table{"t": ts}, false,
			"since 3.13 a timestamp header routes in milliseconds"},
		{"decimal", v4, XMatchAll, Table{"d": Decimal{Scale: 2, Value: 150}}, Table{"d": Decimal{Scale: 2, Value: 150}}, true, "'d' ="},
		{"decimal scale matters", v4, XMatchAll, Table{"d": Decimal{Scale: 1, Value: 15}}, Table{"d": Decimal{Scale: 2, Value: 150}}, false, "binding wants"},
		{"nested table: wire types matter", v310, XMatchAll, Table{"t": Table{"a": int32(1)}}, Table{"t": Table{"a": int64(1)}}, false, "binding wants"},
		{"nested table equal", v4, XMatchAll, Table{"t": Table{"a": "x"}}, Table{"t": Table{"a": "x"}}, true, "'t' ="},
		{"array equal", v4, XMatchAll, Table{"a": []any{"x", int32(1)}}, Table{"a": []any{"x", int32(1)}}, true, "'a' ="},
		{"array order matters", v4, XMatchAll, Table{"a": []any{"x", "y"}}, Table{"a": []any{"y", "x"}}, false, "binding wants"},
		{"long list of reasons is cut", v4, XMatchAny, Table{"a": "1", "b": "1", "c": "1", "d": "1", "e": "1"}, Table{}, false, "and 2 more"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason := tt.model.MatchHeaders(tt.x, tt.args, tt.headers)
			if got != tt.match || !strings.Contains(reason, tt.reason) {
				t.Fatalf("MatchHeaders = %v, %q; want %v and a reason containing %q", got, reason, tt.match, tt.reason)
			}
		})
	}
}

func TestModelVersion(t *testing.T) {
	tests := []struct {
		version      string
		major, minor int
		want         bool
	}{
		{"3.10.8", 3, 13, false},
		{"3.13.0", 3, 13, true},
		{"4.0.0-rc.1", 3, 13, true},
		{"", 3, 13, true},
		{"garbage", 3, 13, true},
		{"3.9.29", 3, 10, false},
		{"3.10.0", 3, 10, true},
	}
	for _, tt := range tests {
		if got := (Model{Version: tt.version}).atLeast(tt.major, tt.minor); got != tt.want {
			t.Errorf("Model{%q}.atLeast(%d, %d) = %v, want %v", tt.version, tt.major, tt.minor, got, tt.want)
		}
	}
	for v, want := range map[string]string{
		"3.10.8": "503 COMMAND_INVALID - unknown exchange type 'x-custom'",
		"3.13.2": "503 COMMAND_INVALID - unknown exchange type 'x-custom'",
		"3.13.3": "406 PRECONDITION_FAILED - unknown exchange type 'x-custom'",
		"4.2.0":  "406 PRECONDITION_FAILED - unknown exchange type 'x-custom'",
	} {
		if got := (Model{Version: v}).ErrUnknownExchangeType("x-custom").Error(); got != want {
			t.Errorf("version %s: ErrUnknownExchangeType = %q, want %q", v, got, want)
		}
	}
}

func TestValidName(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"empty", "", true},
		{"ordinary", "user.profile.update", true},
		{"255 bytes", strings.Repeat("a", 255), true},
		{"256 bytes", strings.Repeat("a", 256), false},
		{"254 bytes plus a two-byte rune", strings.Repeat("a", 254) + "é", false},
		{"invalid UTF-8", "a\xffb", false},
	}
	for _, tt := range tests {
		err := ValidName(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("%s: ValidName = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
	if err := ValidName(strings.Repeat("a", 300)); err == nil || !strings.Contains(err.Error(), "300 bytes") {
		t.Errorf("ValidName(300 bytes) = %v, want the length in the message", err)
	}
}

func TestModelOlderThan(t *testing.T) {
	tests := []struct {
		model, version string
		want           bool
	}{
		{"3.10.8", "3.13", true},
		{"3.13.0", "3.13", false},
		{"3.12.14", "3.13", true},
		{"4.1.0", "3.13", false},
		{"", "3.13", false},        // the newest behaviour
		{"garbage", "3.13", false}, // unreadable counts as the newest
		{"3.10.8", "nonsense", false},
		{"3.13.2", "3.13.3", true},
	}
	for _, tt := range tests {
		if got := (Model{Version: tt.model}).OlderThan(tt.version); got != tt.want {
			t.Errorf("Model{%q}.OlderThan(%q) = %v, want %v", tt.model, tt.version, got, tt.want)
		}
	}
}
