package routing

import (
	"encoding/base64"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The notation is how Warren writes a field table for people to read and
// type, everywhere: the TUI's publish form, queue panes, routing pane and
// log, `warren run`, --narrate, the quiz, `warren diagram` and `explain`.
// It shows every value's AMQP type where it is not a plain string, because
// the headers exchange compares types:
//
//	format=pdf, n:int=5, n2:long=5, s="5", ok:bool=true, trace-id:void=,
//	t:timestamp=2026-01-02T03:04:05Z, b:binary=aGk=, d:decimal=1.25,
//	a:array=[x, "5", :int=2], t2:table={k=v, n:short=5}
//
// Pairs are sorted by key and separated by ", ". A pair is key=value for a
// string and key:type=value otherwise; an array element is value for a
// string and :type=value otherwise. A string is written plain unless it
// would read as something else: one that looks like a number, a bool or
// void ("5", "true", "~"), that is empty, has spaces at either end, or
// holds any of , " \ { } [ ] or a character that is not printable is
// written in double quotes with Go's escapes. A key is quoted when it is
// empty or holds any of = , : " \ { } [ ], a space or an unprintable
// character. The types and their Go values:
//
//	byte int8, short int16, int int32, long int64 (a Go int travels as a
//	long), ubyte uint8, ushort uint16, uint uint32, float float32, double
//	float64, bool, void nil, timestamp time.Time (RFC 3339 in UTC, whole
//	seconds as AMQP carries them; Unix seconds outside years 1..9999),
//	binary []byte (standard base64), decimal Decimal (digits with a point:
//	scale is the number of digits after it), table Table, array []any;
//	str (or string) for a string is accepted but never needed.
//
// ParseTable reads the notation back: ParseTable(FormatTable(t)) is t for
// every table a scenario file can express, and for every table a broker
// can deliver.

// Type names of the notation, by Go type.
const (
	notationByte      = "byte"
	notationShort     = "short"
	notationInt       = "int"
	notationLong      = "long"
	notationUByte     = "ubyte"
	notationUShort    = "ushort"
	notationUInt      = "uint"
	notationFloat     = "float"
	notationDouble    = "double"
	notationBool      = "bool"
	notationVoid      = "void"
	notationTimestamp = "timestamp"
	notationBinary    = "binary"
	notationDecimal   = "decimal"
	notationTable     = "table"
	notationArray     = "array"
)

// notationTypes lists the types ParseTable accepts, for its error messages.
const notationTypes = "str, byte, short, int, long, ubyte, ushort, uint, float, double, bool, void, timestamp, binary, decimal, table or array"

// FormatTable writes t in the notation, its keys sorted. An empty or nil
// table is "".
func FormatTable(t Table) string {
	var b strings.Builder
	writeTable(&b, t)
	return b.String()
}

// FormatPair writes one key and its value as FormatTable writes them:
// n:int=5, format=pdf.
func FormatPair(k string, v any) string {
	var b strings.Builder
	writePair(&b, k, v)
	return b.String()
}

// FormatValue writes one value as an array element: a string as itself
// (quoted when it would read as something else), anything else with its
// type, :int=5.
func FormatValue(v any) string {
	var b strings.Builder
	writeElement(&b, v)
	return b.String()
}

// TableKey is a canonical string for a field table: two tables have the
// same key exactly when they travel as the same AMQP field table (the same
// keys with values of the same wire type and value), so int8(1), int32(1)
// and "1" differ while a Go int and an int64 (both a long) do not. A nil
// and an empty table have the same key. The broker tells bindings apart
// by it, as the TUI and the diagram do.
func TableKey(t Table) string { return FormatTable(t) }

func writeTable(b *strings.Builder, t Table) {
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		writePair(b, k, t[k])
	}
}

func writePair(b *strings.Builder, k string, v any) {
	b.WriteString(formatKey(k))
	typ, text := typedText(v)
	if typ != "" {
		b.WriteString(":" + typ)
	}
	b.WriteByte('=')
	b.WriteString(text)
}

func writeElement(b *strings.Builder, v any) {
	typ, text := typedText(v)
	if typ != "" {
		b.WriteString(":" + typ + "=")
	}
	b.WriteString(text)
}

// typedText is a value's type name in the notation ("" for a string) and
// its text.
func typedText(v any) (typ, text string) {
	switch x := v.(type) {
	case string:
		return "", formatString(x)
	case nil:
		return notationVoid, ""
	case bool:
		return notationBool, strconv.FormatBool(x)
	case int8:
		return notationByte, strconv.FormatInt(int64(x), 10)
	case int16:
		return notationShort, strconv.FormatInt(int64(x), 10)
	case int32:
		return notationInt, strconv.FormatInt(int64(x), 10)
	case int64:
		return notationLong, strconv.FormatInt(x, 10)
	case int:
		return notationLong, strconv.FormatInt(int64(x), 10)
	case uint:
		return notationLong, strconv.FormatInt(int64(x), 10)
	case uint64:
		return notationLong, strconv.FormatInt(int64(x), 10)
	case uint8:
		return notationUByte, strconv.FormatUint(uint64(x), 10)
	case uint16:
		return notationUShort, strconv.FormatUint(uint64(x), 10)
	case uint32:
		return notationUInt, strconv.FormatUint(uint64(x), 10)
	case float32:
		return notationFloat, strconv.FormatFloat(float64(x), 'g', -1, 32)
	case float64:
		return notationDouble, strconv.FormatFloat(x, 'g', -1, 64)
	case time.Time:
		return notationTimestamp, formatTimestamp(x)
	case []byte:
		return notationBinary, base64.StdEncoding.EncodeToString(x)
	case Decimal:
		return notationDecimal, formatDecimal(x)
	case Table:
		return notationTable, "{" + FormatTable(x) + "}"
	case map[string]any:
		return notationTable, "{" + FormatTable(Table(x)) + "}"
	case []any:
		var b strings.Builder
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writeElement(&b, e)
		}
		b.WriteByte(']')
		return notationArray, b.String()
	}
	// No AMQP type: nothing can send it. Show what it is, as a string.
	return "", strconv.Quote(fmt.Sprintf("%T %v", v, v))
}

// formatTimestamp writes a timestamp as AMQP carries it, in whole seconds:
// RFC 3339 in UTC, or Unix seconds where RFC 3339 has no year for it.
func formatTimestamp(t time.Time) string {
	u := time.Unix(t.Unix(), 0).UTC()
	if y := u.Year(); y < 1 || y > 9999 {
		return strconv.FormatInt(t.Unix(), 10)
	}
	return u.Format(time.RFC3339)
}

// formatDecimal writes Value / 10^Scale with its digits: scale 2, value
// 150 is 1.50.
func formatDecimal(d Decimal) string {
	neg := d.Value < 0
	digits := strconv.FormatUint(uint64(math.Abs(float64(d.Value))), 10)
	if s := int(d.Scale); s > 0 {
		if len(digits) <= s {
			digits = strings.Repeat("0", s-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-s] + "." + digits[len(digits)-s:]
	}
	if neg {
		return "-" + digits
	}
	return digits
}

// formatKey quotes a key that would not read back as itself.
func formatKey(k string) string {
	if k == "" || strings.ContainsAny(k, "=,:\"\\{}[]") || !printable(k, true) {
		return strconv.Quote(k)
	}
	return k
}

// formatString quotes a string that would not read back as itself, or
// would read to a person as another type.
func formatString(s string) string {
	if s == "" || strings.TrimSpace(s) != s || strings.ContainsAny(s, ",\"\\{}[]") ||
		strings.HasPrefix(s, ":") || !printable(s, false) || looksTyped(s) {
		return strconv.Quote(s)
	}
	return s
}

// printable reports whether s is valid UTF-8 of printable characters
// (spaces allowed inside unless noSpace).
func printable(s string, noSpace bool) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r == ' ' {
			if noSpace {
				return false
			}
			continue
		}
		if !strconv.IsPrint(r) {
			return false
		}
	}
	return true
}

// looksTyped reports whether a plain string would read to a person as a
// number, a bool or void.
func looksTyped(s string) bool {
	if _, err := strconv.ParseFloat(s, 64); err == nil || isRangeErr(err) {
		return true
	}
	if _, err := strconv.ParseInt(s, 0, 64); err == nil || isRangeErr(err) {
		return true
	}
	switch strings.ToLower(s) {
	case "true", "false", "yes", "no", "on", "off", "~", "null", "nil", "void":
		return true
	}
	return false
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// BindingKey identifies a binding: its source, destination (and whether
// that is a queue or an exchange), routing key and arguments by TableKey,
// so that two bindings differing only in an argument's type are two. A
// verdict from the model is matched to the binding on screen by it.
func BindingKey(b Binding) string {
	dt := b.DestinationType
	if dt == "" {
		dt = ToQueue
	}
	return strings.Join([]string{b.Source, string(dt), b.Destination, b.RoutingKey, TableKey(b.Arguments)}, "\x00")
}
