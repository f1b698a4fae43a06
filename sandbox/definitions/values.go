package definitions

import (
	"encoding/json"
	"math"
	"strconv"
	"time"

	"github.com/warrenmq/warren/sandbox/routing"
)

// FromJSON converts a value decoded with json.Decoder.UseNumber into the
// AMQP value RabbitMQ's import makes of it: an integral number is an
// int64, any other a float64, an object a routing.Table, and arrays and
// the rest as they are.
func FromJSON(v any) any {
	switch v := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(v), 10, 64); err == nil {
			return i
		}
		f, _ := v.Float64()
		if f == math.Trunc(f) && math.Abs(f) < 1<<63 {
			return int64(f) // 1e3 is an integer to RabbitMQ too
		}
		return f
	case float64: // decoded without UseNumber
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return int64(v)
		}
		return v
	case map[string]any:
		return tableFromJSON(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = FromJSON(e)
		}
		return out
	}
	return v
}

func tableFromJSON(m map[string]any) routing.Table {
	if m == nil {
		return nil
	}
	t := make(routing.Table, len(m))
	for k, e := range m {
		t[k] = FromJSON(e)
	}
	return t
}

// ToJSON converts an AMQP value to what the management API shows for it:
// numbers as numbers, a byte array or string as a string, a timestamp as
// seconds since the epoch, a decimal as a number, tables and arrays
// element by element.
func ToJSON(v any) any {
	switch v := v.(type) {
	case []byte:
		return string(v)
	case time.Time:
		return v.Unix()
	case routing.Decimal:
		return float64(v.Value) / math.Pow10(int(v.Scale))
	case routing.Table:
		return TableToJSON(v)
	case map[string]any:
		return TableToJSON(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = ToJSON(e)
		}
		return out
	}
	return v
}

// TableToJSON is ToJSON for a table; nil becomes an empty object, as
// RabbitMQ writes "arguments": {}.
func TableToJSON(t map[string]any) map[string]any {
	out := make(map[string]any, len(t))
	for k, v := range t {
		out[k] = ToJSON(v)
	}
	return out
}
