package wire

import (
	"encoding/binary"
	"errors"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/warrenmq/warren/sandbox/routing"
)

func TestTableRoundTripsEveryType(t *testing.T) {
	ts := time.Unix(1700000000, 0)
	tests := []struct {
		name string
		in   any
		want any // nil: same as in
		typ  byte
	}{
		{"bool", true, nil, 't'},
		{"int8", int8(-5), nil, 'b'},
		{"uint8", uint8(250), nil, 'B'},
		{"int16", int16(-3000), nil, 's'},
		{"uint16", uint16(60000), nil, 'u'},
		{"int32", int32(-70000), nil, 'I'},
		{"uint32", uint32(4000000000), nil, 'i'},
		{"int64", int64(math.MinInt64), nil, 'l'},
		{"Go int is sent as int64", 42, int64(42), 'l'},
		{"float32", float32(1.5), nil, 'f'},
		{"float64", math.Pi, nil, 'd'},
		{"decimal", routing.Decimal{Scale: 2, Value: -12345}, nil, 'D'},
		{"string", "héllo", nil, 'S'},
		{"empty string", "", nil, 'S'},
		{"bytes", []byte{0, 1, 2, 0xff}, nil, 'x'},
		{"array", []any{int32(1), "two", routing.Table{"three": true}, nil}, nil, 'A'},
		{"empty array", []any{}, nil, 'A'},
		{"timestamp", ts, nil, 'T'},
		{"table", routing.Table{"a": routing.Table{"b": int64(1)}}, nil, 'F'},
		{"empty nested table", routing.Table{}, nil, 'F'},
		{"map[string]any is a table", map[string]any{"k": "v"}, routing.Table{"k": "v"}, 'F'},
		{"void", nil, nil, 'V'},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.want
			if want == nil {
				want = tt.in
			}
			b, err := AppendTable([]byte("prefix"), routing.Table{"key": tt.in})
			if err != nil {
				t.Fatal(err)
			}
			// 6 prefix + 4 size + 1 key length + 3 key = the type octet.
			if b[14] != tt.typ {
				t.Errorf("type octet %q, want %q", b[14], tt.typ)
			}
			got, n, err := ReadTable(b[6:])
			if err != nil {
				t.Fatal(err)
			}
			if n != len(b)-6 {
				t.Errorf("ReadTable took %d bytes of %d", n, len(b)-6)
			}
			v, ok := got["key"]
			if !ok {
				t.Fatalf("key missing from %v", got)
			}
			if tm, isTime := v.(time.Time); isTime {
				if !tm.Equal(want.(time.Time)) {
					t.Errorf("got %v, want %v", tm, want)
				}
				return
			}
			if !reflect.DeepEqual(v, want) {
				t.Errorf("got %#v (%T), want %#v (%T)", v, v, want, want)
			}
		})
	}
}

func TestEmptyTable(t *testing.T) {
	for _, in := range []routing.Table{nil, {}} {
		b, err := AppendTable(nil, in)
		if err != nil || string(b) != "\x00\x00\x00\x00" {
			t.Fatalf("AppendTable(%#v) = %v, %v", in, b, err)
		}
	}
	got, n, err := ReadTable([]byte{0, 0, 0, 0, 'x'})
	if err != nil || n != 4 || got != nil {
		t.Fatalf("ReadTable(empty) = %v, %d, %v", got, n, err)
	}
}

func TestReadTableRejects(t *testing.T) {
	// one level more than maxFieldDepth, nested by hand (AppendTable
	// refuses to write them): each level is its size, then k: 'F', then
	// the next level, down to an empty table
	var deep []byte
	for level := maxFieldDepth + 1; level >= 0; level-- {
		deep = binary.BigEndian.AppendUint32(deep, uint32(7*level))
		if level > 0 {
			deep = append(deep, 1, 'k', 'F')
		}
	}
	tests := []struct {
		name string
		in   []byte
	}{
		{"no size", []byte{0, 0}},
		{"size beyond input", []byte{0, 0, 0, 9, 1, 'k', 'V'}},
		{"key runs past the table", []byte{0, 0, 0, 2, 5, 'k'}},
		{"unknown type", []byte{0, 0, 0, 3, 1, 'k', 'Z'}},
		{"int32 cut short", []byte{0, 0, 0, 5, 1, 'k', 'I', 0, 0}},
		{"string longer than the table", []byte{0, 0, 0, 8, 1, 'k', 'S', 0, 0, 0, 9, 'a'}},
		{"array longer than the table", []byte{0, 0, 0, 8, 1, 'k', 'A', 0, 0, 0, 9, 'V'}},
		{"nested past maxFieldDepth", deep},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ReadTable(tt.in)
			var we *Error
			if !errors.As(err, &we) || we.Code != FrameError {
				t.Fatalf("err = %v, want a 501 *Error", err)
			}
		})
	}
}

func nestTables(depth int) routing.Table {
	t := routing.Table{"leaf": true}
	for i := 0; i < depth; i++ {
		t = routing.Table{"k": t}
	}
	return t
}

func TestNestingLimitIsTheSameBothWays(t *testing.T) {
	b, err := AppendTable(nil, nestTables(maxFieldDepth))
	if err != nil {
		t.Fatalf("%d levels: %v", maxFieldDepth, err)
	}
	if _, _, err := ReadTable(b); err != nil {
		t.Fatalf("reading back %d levels: %v", maxFieldDepth, err)
	}
	b, err = AppendTable(nil, nestTables(maxFieldDepth+1))
	if err == nil {
		t.Fatalf("%d levels encoded without error", maxFieldDepth+1)
	}
	if _, _, err := ReadTable(b); err != nil {
		t.Fatalf("the fallback encoding of %d levels does not read back: %v", maxFieldDepth+1, err)
	}
}

func TestAppendTableReportsUnsupportedTypes(t *testing.T) {
	b, err := AppendTable(nil, routing.Table{"ch": make(chan int)})
	if err == nil {
		t.Fatal("a channel value encoded without error")
	}
	got, _, rerr := ReadTable(b)
	if rerr != nil || len(got) != 1 || got["ch"] != nil {
		t.Fatalf("fallback encoding is not a well-formed void: %v %v", got, rerr)
	}
}

// RabbitMQ decodes header tables nested 18,000 deep; so does the codec.
func TestReadTableTakesRabbitMQsDepth(t *testing.T) {
	var deep []byte
	for level := 18000; level >= 0; level-- {
		deep = binary.BigEndian.AppendUint32(deep, uint32(7*level))
		if level > 0 {
			deep = append(deep, 1, 'k', 'F')
		}
	}
	tab, _, err := ReadTable(deep)
	if err != nil {
		t.Fatalf("18,000 levels: %v", err)
	}
	n := 0
	for tab != nil {
		next, _ := tab["k"].(routing.Table)
		tab = next
		n++
	}
	if n != 18001 {
		t.Fatalf("read back %d levels, want 18,001 tables", n)
	}
}
