package routing

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"
)

// termKind is the Erlang type a field-table value becomes inside RabbitMQ
// (rabbit_binary_parser): every AMQP integer width and the timestamp become
// an integer, float and double a float, longstr and byte array a binary.
type termKind int

const (
	termOther termKind = iota // a Go type amqp091-go cannot send
	termVoid
	termInt
	termFloat
	termBinary
	termBool
	termDecimal
	termTable
	termArray
)

// term is a field value as RabbitMQ compares it.
type term struct {
	kind  termKind
	i     int64
	f     float64
	s     string
	b     bool
	dec   Decimal
	elems []typedTerm // table fields (sorted by key) or array elements
}

// typedTerm is a nested value: inside tables and arrays RabbitMQ keeps the
// wire type next to the value, so nested values of different wire types
// never compare equal.
type typedTerm struct {
	key  string
	wire string // Erlang type atom: long, signedint, longstr, ...
	t    term
}

// isTimestamp reports whether v travels as an AMQP timestamp.
func isTimestamp(v any) bool { _, ok := v.(time.Time); return ok }

// toTerm converts a Go field value. header says whether v is a top-level
// message header: since 3.13 RabbitMQ routes a timestamp header in
// milliseconds (mc_amqpl:routing_value), a binding argument stays in seconds.
func toTerm(v any, header bool, m Model) term {
	switch x := v.(type) {
	case nil:
		return term{kind: termVoid}
	case bool:
		return term{kind: termBool, b: x}
	case int8:
		return term{kind: termInt, i: int64(x)}
	case uint8:
		return term{kind: termInt, i: int64(x)}
	case int16:
		return term{kind: termInt, i: int64(x)}
	case uint16:
		return term{kind: termInt, i: int64(x)}
	case int32:
		return term{kind: termInt, i: int64(x)}
	case int:
		// Warren's Session sends a Go int (what YAML gives) as a long.
		return term{kind: termInt, i: int64(x)}
	case uint:
		return term{kind: termInt, i: int64(x)}
	case uint64:
		return term{kind: termInt, i: int64(x)}
	case uint32:
		return term{kind: termInt, i: int64(x)}
	case int64:
		return term{kind: termInt, i: x}
	case time.Time:
		sec := x.Unix()
		if header && m.atLeast(3, 13) {
			sec *= 1000
		}
		return term{kind: termInt, i: sec}
	case float32:
		return term{kind: termFloat, f: float64(x)}
	case float64:
		return term{kind: termFloat, f: x}
	case string:
		return term{kind: termBinary, s: x}
	case []byte:
		return term{kind: termBinary, s: string(x)}
	case Decimal:
		return term{kind: termDecimal, dec: x}
	case Table:
		return tableTerm(x, m)
	case map[string]any:
		return tableTerm(Table(x), m)
	case []any:
		t := term{kind: termArray}
		for _, e := range x {
			t.elems = append(t.elems, typedTerm{wire: TypeName(e), t: toTerm(e, false, m)})
		}
		return t
	}
	return term{kind: termOther}
}

// tableTerm converts a nested table. RabbitMQ compares nested tables in
// wire order, which amqp091-go takes from Go's unordered map iteration; the
// model compares them sorted by key, which is what RabbitMQ sees for tables
// of one field and, for larger ones, whenever the order happens to agree.
func tableTerm(x Table, m Model) term {
	t := term{kind: termTable}
	for k, e := range x {
		t.elems = append(t.elems, typedTerm{key: k, wire: TypeName(e), t: toTerm(e, false, m)})
	}
	sort.Slice(t.elems, func(i, j int) bool { return t.elems[i].key < t.elems[j].key })
	return t
}

// termsEqual is Erlang's == (loose, RabbitMQ before 3.13) or =:= (strict).
func termsEqual(a, b term, loose bool) bool {
	if a.kind != b.kind {
		if !loose {
			return false
		}
		switch {
		case a.kind == termInt && b.kind == termFloat:
			return intEqualsFloat(a.i, b.f)
		case a.kind == termFloat && b.kind == termInt:
			return intEqualsFloat(b.i, a.f)
		}
		return false
	}
	switch a.kind {
	case termVoid:
		return true
	case termInt:
		return a.i == b.i
	case termFloat:
		return a.f == b.f
	case termBinary:
		return a.s == b.s
	case termBool:
		return a.b == b.b
	case termDecimal:
		return a.dec == b.dec
	case termTable, termArray:
		if len(a.elems) != len(b.elems) {
			return false
		}
		for n := range a.elems {
			x, y := a.elems[n], b.elems[n]
			if x.key != y.key || x.wire != y.wire || !termsEqual(x.t, y.t, loose) {
				return false
			}
		}
		return true
	}
	return false
}

// intEqualsFloat compares exactly, as Erlang does for an integer and a float.
func intEqualsFloat(i int64, f float64) bool {
	if f != math.Trunc(f) || f < -(1<<63) || f >= 1<<63 {
		return false
	}
	return int64(f) == i
}

// TypeName names the Erlang type atom RabbitMQ gives a field value, as it
// appears in its error messages ("Invalid x-match field type long",
// "received the value 'z' of type 'longstr'"). The broker's reply texts use
// it too, so that both speak RabbitMQ's words from one table.
func TypeName(v any) string {
	switch v.(type) {
	case nil:
		return "void"
	case bool:
		return "bool"
	case int8:
		return "byte"
	case uint8:
		return "unsignedbyte"
	case int16:
		return "short"
	case uint16:
		return "unsignedshort"
	case int32:
		return "signedint"
	case uint32:
		return "unsignedint"
	case int64, int, uint, uint64:
		return "long"
	case float32:
		return "float"
	case float64:
		return "double"
	case string:
		return "longstr"
	case []byte:
		return "binary"
	case time.Time:
		return "timestamp"
	case Decimal:
		return "decimal"
	case Table, map[string]any:
		return "table"
	case []any:
		return "array"
	}
	return fmt.Sprintf("%T", v)
}

// erlangValue prints a value roughly as Erlang's ~p would in RabbitMQ's
// error messages.
func erlangValue(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("<<%q>>", x)
	case []byte:
		return fmt.Sprintf("<<%q>>", string(x))
	case nil:
		return "undefined"
	case time.Time:
		return strconv.FormatInt(x.Unix(), 10)
	}
	return fmt.Sprint(v)
}

// showValue prints a value in a reason: a string in single quotes, as
// reasons quote names, anything else in the notation with its type
// (:int=5, :double=1), so that 1 and 1.0, or a byte and a string, look
// different.
func showValue(v any) string {
	if s, ok := v.(string); ok {
		return "'" + s + "'"
	}
	return FormatValue(v)
}
