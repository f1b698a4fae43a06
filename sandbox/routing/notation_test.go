package routing

import (
	"fmt"
	"math"
	"math/rand"
	"reflect"
	"strings"
	"testing"
	"testing/quick"
	"time"
)

func TestFormatTableShowsTypes(t *testing.T) {
	ts := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		in   Table
		want string
	}{
		{nil, ""},
		{Table{"n": int32(5), "n2": int64(5), "s": "5", "b": int8(5)}, `b:byte=5, n:int=5, n2:long=5, s="5"`},
		{Table{"format": "pdf", "note": "a, b", "trace-id": nil, "ok": true}, `format=pdf, note="a, b", ok:bool=true, trace-id:void=`},
		{Table{"go": 5}, "go:long=5"}, // a Go int travels as a long
		{Table{"f": float32(1.5), "d": 2.0, "u": uint8(7), "us": uint16(8), "ui": uint32(9), "sh": int16(-3)},
			"d:double=2, f:float=1.5, sh:short=-3, u:ubyte=7, ui:uint=9, us:ushort=8"},
		{Table{"t": ts, "bin": []byte("hi"), "dec": Decimal{Scale: 2, Value: -150}},
			"bin:binary=aGk=, dec:decimal=-1.50, t:timestamp=2026-01-02T03:04:05Z"},
		{Table{"a": []any{"x", "5", int32(2), []any{}, Table{"k": "v"}}},
			`a:array=[x, "5", :int=2, :array=[], :table={k=v}]`},
		{Table{"t": Table{"k": "v", "n": int16(5)}, "e": Table{}}, "e:table={}, t:table={k=v, n:short=5}"},
		{Table{"a=b": "x", "c,d": "y", "e:f": "z", `g"h`: "w", "i j": "v", " k": "u", "": "empty"},
			`""=empty, " k"=u, "a=b"=x, "c,d"=y, "e:f"=z, "g\"h"=w, "i j"=v`},
		{Table{"s": "", "t": "true", "sp": " x", "br": "{x}", "c": ":x", "nl": "a\nb", "u": "héllo wörld"},
			`br="{x}", c=":x", nl="a\nb", s="", sp=" x", t="true", u=héllo wörld`},
		{Table{"url": "http://x/?a=b"}, "url=http://x/?a=b"},
	} {
		if got := FormatTable(tc.in); got != tc.want {
			t.Errorf("FormatTable(%#v)\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
}

func TestTableKeyTellsTypesApart(t *testing.T) {
	keys := map[string]any{}
	for _, v := range []any{int8(1), int16(1), int32(1), int64(1), uint8(1), uint16(1), uint32(1), float32(1), 1.0, "1", []byte("1"), true, nil, Decimal{Value: 1}, time.Unix(1, 0), []any{"1"}, Table{"1": "1"}} {
		k := TableKey(Table{"n": v})
		if other, dup := keys[k]; dup {
			t.Errorf("TableKey gives %q to both %#v and %#v", k, other, v)
		}
		keys[k] = v
	}
	if TableKey(Table{"n": 1}) != TableKey(Table{"n": int64(1)}) {
		t.Error("a Go int and an int64 travel as the same long, but their keys differ")
	}
	if TableKey(nil) != TableKey(Table{}) {
		t.Error("a nil and an empty table should have the same key")
	}
	if TableKey(Table{"a": Table{"x": 1}}) != TableKey(Table{"a": map[string]any{"x": int64(1)}}) {
		t.Error("a nested map[string]any and Table are the same AMQP table")
	}
}

func TestParseTableReadsWhatPeopleType(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Table
	}{
		{"", nil},
		{"   ", nil},
		{"format=pdf", Table{"format": "pdf"}},
		{" format = pdf , n : int = 5 ,", Table{"format": "pdf", "n": int32(5)}},
		{"n=5", Table{"n": "5"}}, // untyped is a string
		{`n="5", s:str=x, t:string="y"`, Table{"n": "5", "s": "x", "t": "y"}},
		{"k=", Table{"k": ""}},
		{"k:void=", Table{"k": nil}},
		{"k:bool=TRUE", Table{"k": true}},
		{"t:timestamp=1700000000", Table{"t": time.Unix(1700000000, 0).UTC()}},
		{"t:timestamp=2026-01-02T05:04:05+02:00", Table{"t": time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}},
		{"d:decimal=3", Table{"d": Decimal{Value: 3}}},
		{"d:decimal=0.005", Table{"d": Decimal{Scale: 3, Value: 5}}},
		{"a:array=[]", Table{"a": []any{}}},
		{"a:array=[x, y z, :long=1, :array=[:bool=false]]", Table{"a": []any{"x", "y z", int64(1), []any{false}}}},
		{"t:table={a={}}", nil}, // refused below; here only to show it is not a table
	} {
		got, err := ParseTable(tc.in)
		if tc.want == nil && tc.in != "" && strings.TrimSpace(tc.in) != "" {
			if err == nil {
				t.Errorf("ParseTable(%q) = %#v, want an error", tc.in, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseTable(%q): %v", tc.in, err)
			continue
		}
		if !sameTable(got, tc.want) {
			t.Errorf("ParseTable(%q)\n got %#v\nwant %#v", tc.in, got, tc.want)
		}
	}
}

func TestParseTableSaysWhatToFix(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`note="a, b`, "not closed"},
		{`n:byte=300`, "not a byte (-128..127)"},
		{`n:int=x`, "not an int"},
		{`t:void=x`, "write k:void="},
		{`x:money=1`, `unknown type "money"`},
		{`format`, "write key=value"},
		{`a=1, b`, `"b": write key=value`},
		{`=v`, "the key is missing"},
		{`a=1, a=2`, "a is given twice"},
		{`t:table={k=v`, "a '{' is not closed"},
		{`t:table=k=v`, "a table is written in braces"},
		{`a:array=[x`, "a '[' is not closed"},
		{`a:array=x`, "an array is written in brackets"},
		{`a:array=[:int 2]`, "write an element as :type=value"},
		{`a:array=[, x]`, "an element is missing"},
		{`n=a{b`, "must be in double quotes"},
		{`n="a" b`, "unexpected 'b'"},
		{`n=a}`, "unexpected '}'"},
		{`t:table={n:int=x}`, "t.n: \"x\" is not an int"},
		{`b:binary=***`, "standard base64"},
		{`t:timestamp=yesterday`, "RFC 3339"},
		{`d:decimal=1.2.3`, "not a decimal"},
		{strings.Repeat("k", 256) + "=v", "at most 255 bytes"},
		{strings.Repeat("t:table={", 40) + strings.Repeat("}", 40), "nest more than 32 deep"},
		{`"a\q"=v`, "escape in it is wrong"},
		{`n:int`, "write n:type=value"},
	} {
		_, err := ParseTable(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			in := tc.in
			if len(in) > 40 {
				in = in[:40] + "..."
			}
			t.Errorf("ParseTable(%q) = %v, want an error saying %q", in, err, tc.want)
		}
	}
}

// Every table a scenario file can express, and every one a broker can
// deliver, reads back as itself.
func TestParseTableInvertsFormatTable(t *testing.T) {
	cfg := &quick.Config{MaxCount: 3000, Values: func(args []reflect.Value, r *rand.Rand) {
		args[0] = reflect.ValueOf(randomTable(r, 0))
	}}
	roundTrip := func(tb Table) bool {
		text := FormatTable(tb)
		back, err := ParseTable(text)
		if err != nil {
			t.Logf("ParseTable(%q): %v", text, err)
			return false
		}
		if !sameTable(tb, back) {
			t.Logf("round trip through %q\n got %#v\nwant %#v", text, back, tb)
			return false
		}
		return FormatTable(back) == text && TableKey(back) == TableKey(tb)
	}
	if err := quick.Check(roundTrip, cfg); err != nil {
		t.Fatal(err)
	}
}

func FuzzParseTable(f *testing.F) {
	r := rand.New(rand.NewSource(1))
	for range 20 {
		f.Add(FormatTable(randomTable(r, 0)))
	}
	for _, s := range []string{"", "k=v", `n:int=5, s="5"`, "a:array=[x, :int=2]", "t:table={k=v}", `"a=b"=x`, "k:void=", "n=a}", "x:decimal=-0.5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tb, err := ParseTable(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("ParseTable(%q): an empty error", s)
			}
			return
		}
		text := FormatTable(tb)
		back, err := ParseTable(text)
		if err != nil {
			t.Fatalf("ParseTable(%q) read, but its FormatTable %q does not: %v", s, text, err)
		}
		if !sameTable(tb, back) {
			t.Fatalf("FormatTable(ParseTable(%q)) = %q reads back as %#v, want %#v", s, text, back, tb)
		}
		if again := FormatTable(back); again != text {
			t.Fatalf("FormatTable is not stable: %q then %q", text, again)
		}
	})
}

// awkward are the characters keys and strings are built of: the notation's
// own punctuation, spaces, quotes, escapes, control characters and unicode.
var awkward = []rune("ab=,:\"\\{}[] \t\n~.-_x5e+0é漢🐇\u200b\x00\x7f")

func randomString(r *rand.Rand, max int) string {
	switch r.Intn(8) {
	case 0:
		return ""
	case 1:
		return fmt.Sprint(r.Intn(100)) // reads as a number
	case 2:
		return []string{"true", "false", "~", "void", "NaN", "-Inf", "0x1f", "1e5"}[r.Intn(8)]
	case 3:
		b := make([]byte, r.Intn(6))
		r.Read(b)
		return string(b) // not UTF-8
	}
	rs := make([]rune, r.Intn(max+1))
	for i := range rs {
		rs[i] = awkward[r.Intn(len(awkward))]
	}
	return string(rs)
}

func randomTable(r *rand.Rand, depth int) Table {
	t := Table{}
	for n := r.Intn(6); n > 0; n-- {
		k := randomString(r, 10)
		if r.Intn(40) == 0 {
			k = strings.Repeat("k", 255)
		}
		t[k] = randomValue(r, depth)
	}
	return t
}

func randomValue(r *rand.Rand, depth int) any {
	kinds := 17
	if depth >= 3 {
		kinds = 15 // no deeper nesting
	}
	switch r.Intn(kinds) {
	case 0:
		return randomString(r, 12)
	case 1:
		return int8(r.Intn(256) - 128)
	case 2:
		return int16(r.Intn(1<<16) - 1<<15)
	case 3:
		return int32(r.Uint32())
	case 4:
		return int64(r.Uint64())
	case 5:
		return uint8(r.Intn(256))
	case 6:
		return uint16(r.Intn(1 << 16))
	case 7:
		return r.Uint32()
	case 8:
		return []float32{0, -1.5, math.MaxFloat32, math.SmallestNonzeroFloat32, float32(r.NormFloat64())}[r.Intn(5)]
	case 9:
		return []float64{0, math.Copysign(0, -1), 1e300, math.SmallestNonzeroFloat64, r.NormFloat64() * 1e6, math.Inf(-1), math.NaN()}[r.Intn(7)]
	case 10:
		return r.Intn(2) == 0
	case 11:
		return nil
	case 12:
		secs := r.Int63n(1<<40) - 1<<39 // years far before 1 and after 9999 too
		return time.Unix(secs, 0).UTC()
	case 13:
		b := make([]byte, r.Intn(8))
		r.Read(b)
		return b
	case 14:
		return Decimal{Scale: uint8(r.Intn(12)), Value: int32(r.Uint32())}
	case 15:
		return randomTable(r, depth+1)
	}
	a := make([]any, r.Intn(4))
	for i := range a {
		a[i] = randomValue(r, depth+1)
	}
	return a
}

// sameTable is reflect.DeepEqual with the two allowances the notation
// makes: a NaN equals a NaN, and times are compared as instants in UTC.
func sameTable(a, b Table) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || !sameValue(v, w) {
			return false
		}
	}
	return true
}

func sameValue(a, b any) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && (math.Float64bits(x) == math.Float64bits(y) || math.IsNaN(x) && math.IsNaN(y))
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y) && y.Location() == time.UTC
	case Table:
		y, ok := b.(Table)
		return ok && sameTable(x, y)
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

func TestBindingKeyTellsArgumentTypesApart(t *testing.T) {
	a := Binding{Source: "x", Destination: "q", Arguments: Table{"n": int8(1)}}
	b := Binding{Source: "x", Destination: "q", Arguments: Table{"n": int32(1)}}
	if BindingKey(a) == BindingKey(b) {
		t.Error("bindings with a byte 1 and an int 1 have one key")
	}
	q := Binding{Source: "x", Destination: "q", DestinationType: ToQueue}
	if BindingKey(q) != BindingKey(Binding{Source: "x", Destination: "q"}) {
		t.Error("an empty destination type is a queue")
	}
	if BindingKey(q) == BindingKey(Binding{Source: "x", Destination: "q", DestinationType: ToExchange}) {
		t.Error("a binding to queue q and one to exchange q have one key")
	}
}
