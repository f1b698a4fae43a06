package sandbox

import (
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/warrenmq/warren/sandbox/routing"
)

// toAMQP converts Warren's field table to amqp091-go's, keeping each value's
// AMQP width (int8 stays a byte on the wire, int32 a signed int...). Tables
// and arrays nest; routing.Decimal becomes amqp.Decimal.
func toAMQP(t routing.Table) amqp.Table {
	if t == nil {
		return nil
	}
	out := make(amqp.Table, len(t))
	for k, v := range t {
		out[k] = valueToAMQP(v)
	}
	return out
}

// ToAMQPTable is toAMQP for code outside the Session that speaks
// amqp091-go itself (the differential tests), so that a header's wire type
// is decided in one place.
func ToAMQPTable(t routing.Table) amqp.Table { return toAMQP(t) }

func valueToAMQP(v any) any {
	switch x := v.(type) {
	case routing.Table:
		return toAMQP(x)
	case map[string]any:
		return toAMQP(routing.Table(x))
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = valueToAMQP(e)
		}
		return out
	case routing.Decimal:
		return amqp.Decimal{Scale: x.Scale, Value: x.Value}
	case int:
		return int64(x)
	case uint:
		return int64(x)
	case uint64:
		return int64(x)
	}
	return v
}

// fromAMQP converts a table received from the broker to Warren's.
func fromAMQP(t amqp.Table) routing.Table {
	if t == nil {
		return nil
	}
	out := make(routing.Table, len(t))
	for k, v := range t {
		out[k] = valueFromAMQP(v)
	}
	return out
}

func valueFromAMQP(v any) any {
	switch x := v.(type) {
	case amqp.Table:
		return fromAMQP(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = valueFromAMQP(e)
		}
		return out
	case amqp.Decimal:
		return routing.Decimal{Scale: x.Scale, Value: x.Value}
	case time.Time:
		return x
	}
	return v
}
