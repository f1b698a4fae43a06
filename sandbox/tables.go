package sandbox

import (
	"fmt"
	"net/url"
	"strings"
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

// MaskURL returns the URL with its password replaced by *****, so that it
// can be shown and logged: amqp://guest:*****@host:5672/.
func MaskURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return maskUnparsed(raw)
	}
	if u.User == nil {
		return raw
	}
	if _, has := u.User.Password(); !has {
		return raw
	}
	// url.UserPassword would percent-encode the asterisks.
	user := u.User.Username()
	u.User = nil
	s := u.String()
	prefix := u.Scheme + "://"
	return fmt.Sprintf("%s%s:*****@%s", prefix, url.User(user).String(), s[len(prefix):])
}

// maskUnparsed hides the password of a URL that url.Parse refused (a stray
// '%' in the password is the usual reason): scheme://user:PASSWORD@rest.
func maskUnparsed(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return raw
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return raw
	}
	user, _, has := strings.Cut(rest[:at], ":")
	if !has {
		return raw
	}
	return scheme + "://" + user + ":*****@" + rest[at+1:]
}
