package broker

import (
	"fmt"
	"strconv"
	"time"

	"github.com/warrenmq/warren/sandbox/broker/wire"
	"github.com/warrenmq/warren/sandbox/routing"
)

// tableKey is the canonical, type-aware key of a field table
// (routing.TableKey), so that bindings are told apart by their arguments'
// wire types as well as values, as RabbitMQ tells them apart.
func tableKey(t routing.Table) string { return routing.TableKey(t) }

// typeClass groups types RabbitMQ treats as the same for equivalence.
func typeClass(v any) string {
	if _, ok := number(v); ok {
		switch v.(type) {
		case float32, float64:
			return "float"
		}
		return "int"
	}
	if _, ok := text(v); ok {
		return "longstr"
	}
	return routing.TypeName(v)
}

// showValue prints a value as RabbitMQ's reply texts do ("received '5'"),
// not in Warren's notation: clients match these texts.
func showValue(v any) string {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case time.Time:
		return strconv.FormatInt(x.Unix(), 10)
	}
	return fmt.Sprint(v)
}

// checkArgEquivalence compares the arguments RabbitMQ compares on a
// redeclaration and words the difference as RabbitMQ does.
func checkArgEquivalence(keys []string, current, received routing.Table, what string) *wire.Error {
	for _, k := range keys {
		cur, hasCur := current[k]
		rec, hasRec := received[k]
		switch {
		case !hasCur && !hasRec:
			continue
		case hasCur && hasRec:
			if typeClass(cur) == typeClass(rec) && valuesEqual(cur, rec) {
				continue
			}
			return wire.Errorf(wire.PreconditionFailed, "inequivalent arg '%s' for %s: received '%s' but current is '%s'", k, what, showValue(rec), showValue(cur))
		case hasRec:
			return wire.Errorf(wire.PreconditionFailed, "inequivalent arg '%s' for %s: received the value '%s' of type '%s' but current is none", k, what, showValue(rec), routing.TypeName(rec))
		default:
			return wire.Errorf(wire.PreconditionFailed, "inequivalent arg '%s' for %s: received none but current is the value '%s' of type '%s'", k, what, showValue(cur), routing.TypeName(cur))
		}
	}
	return nil
}

// queueEquivalenceArgs are the queue arguments a redeclaration must repeat.
var queueEquivalenceArgs = []string{
	"x-dead-letter-exchange", "x-dead-letter-routing-key", "x-expires",
	"x-max-length", "x-max-length-bytes", "x-max-priority", "x-message-ttl",
	"x-overflow", "x-queue-mode", "x-queue-type", "x-single-active-consumer",
}

// queueArgs are a queue's parsed x-arguments.
type queueArgs struct {
	kind           string // x-queue-type: classic, quorum or stream
	deliveryLimit  int64  // quorum: returns before dead-lettering; < 0 none
	dlStrategy     string // quorum: x-dead-letter-strategy ("" at-most-once)
	atLeastOnce    bool   // quorum: dead letters are held until taken (deadletter_held.go)
	stream         streamArgs
	messageTTL     int64 // milliseconds; -1 none
	expires        int64 // milliseconds; 0 none
	maxLength      int64 // -1 none
	maxLengthBytes int64 // -1 none
	overflow       string
	maxPriority    int64   // -1: not a priority queue
	singleActive   bool    // x-single-active-consumer: only the first consumer receives
	dlx            *string // nil: no dead-letter exchange ("" is the default exchange)
	dlrk           *string
	// x-consumer-timeout (consumer_timeout.go): milliseconds, when set;
	// a value that is not an integer turns the timeout off, as in 4.1
	ackTimeout    int64
	ackTimeoutSet bool
}

func intArg(v any) (int64, bool) {
	switch n := v.(type) {
	case int8:
		return int64(n), true
	case int16:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	case int:
		return int64(n), true
	case uint8:
		return int64(n), true
	case uint16:
		return int64(n), true
	case uint32:
		return int64(n), true
	}
	return 0, false
}

// parseQueueArgs validates a queue's arguments with RabbitMQ's reply texts.
func parseQueueArgs(args routing.Table, what string) (queueArgs, *wire.Error) {
	qa := queueArgs{kind: classicQueue, messageTTL: -1, maxLength: -1, maxLengthBytes: -1, overflow: "drop-head", maxPriority: -1, deliveryLimit: -1}
	invalid := func(k string, why string) *wire.Error {
		return wire.Errorf(wire.PreconditionFailed, "invalid arg '%s' for %s: %s", k, what, why)
	}
	integer := func(k string, zeroOK bool) (int64, *wire.Error) {
		v := args[k]
		n, ok := intArg(v)
		if !ok {
			return 0, invalid(k, fmt.Sprintf("\"expected integer, got %s\"", routing.TypeName(v)))
		}
		if n < 0 {
			return 0, invalid(k, fmt.Sprintf("{value_negative,%d}", n))
		}
		if n == 0 && !zeroOK {
			return 0, invalid(k, "{value_zero,0}")
		}
		return n, nil
	}
	var err *wire.Error
	if _, ok := args["x-message-ttl"]; ok {
		if qa.messageTTL, err = integer("x-message-ttl", true); err != nil {
			return qa, err
		}
	}
	if _, ok := args["x-expires"]; ok {
		if qa.expires, err = integer("x-expires", false); err != nil {
			return qa, err
		}
	}
	if _, ok := args["x-max-length"]; ok {
		if qa.maxLength, err = integer("x-max-length", true); err != nil {
			return qa, err
		}
	}
	if _, ok := args["x-max-length-bytes"]; ok {
		if qa.maxLengthBytes, err = integer("x-max-length-bytes", true); err != nil {
			return qa, err
		}
	}
	if _, ok := args["x-max-priority"]; ok {
		if qa.maxPriority, err = integer("x-max-priority", true); err != nil {
			return qa, err
		}
		if qa.maxPriority > 255 {
			return qa, invalid("x-max-priority", fmt.Sprintf("{max_value_exceeded,%d}", qa.maxPriority))
		}
	}
	if v, ok := args["x-single-active-consumer"]; ok {
		b, isBool := v.(bool)
		if !isBool {
			return qa, invalid("x-single-active-consumer", fmt.Sprintf("{unacceptable_type,%s}", routing.TypeName(v)))
		}
		qa.singleActive = b
	}
	if v, ok := args["x-overflow"]; ok {
		s, _ := text(v)
		switch s {
		case "drop-head", "reject-publish", "reject-publish-dlx":
			qa.overflow = s
		default:
			return qa, invalid("x-overflow", "invalid_overflow")
		}
	}
	if v, ok := args["x-dead-letter-exchange"]; ok {
		s, isText := text(v)
		if !isText {
			return qa, invalid("x-dead-letter-exchange", fmt.Sprintf("{unacceptable_type,%s}", routing.TypeName(v)))
		}
		qa.dlx = &s
	}
	if v, ok := args["x-consumer-timeout"]; ok {
		// RabbitMQ 4.1 validates nothing here and applies an integer
		qa.ackTimeoutSet = true
		qa.ackTimeout = -1
		if n, isInt := intArg(v); isInt {
			qa.ackTimeout = n
		}
	}
	if v, ok := args["x-dead-letter-routing-key"]; ok {
		s, isText := text(v)
		if !isText {
			return qa, invalid("x-dead-letter-routing-key", fmt.Sprintf("{unacceptable_type,%s}", routing.TypeName(v)))
		}
		if qa.dlx == nil {
			return qa, invalid("x-dead-letter-routing-key", "routing_key_but_no_dlx_defined")
		}
		qa.dlrk = &s
	}
	return qa, nil
}

// parseTypedQueueArgs is parseQueueArgs for a queue of any type, with the
// type's own rules (quorum.go).
func parseTypedQueueArgs(args routing.Table, what string, serverNamed, durable, exclusive, autoDelete, v3 bool) (queueArgs, *wire.Error) {
	kind, err := queueTypeOf(args, what)
	if err != nil {
		return queueArgs{}, err
	}
	if serverNamed && kind != classicQueue {
		return queueArgs{}, serverNamedRefused(kind)
	}
	qa, err := parseQueueArgs(args, what)
	if err != nil {
		return qa, err
	}
	qa.kind = kind
	if err := checkQueueType(kind, durable, exclusive, autoDelete, args, what); err != nil {
		return qa, err
	}
	switch kind {
	case quorumQueue:
		if err := parseQuorumArgs(&qa, args, what, v3); err != nil {
			return qa, err
		}
	case streamQueue:
		if qa.stream, err = parseStreamArgs(args, what); err != nil {
			return qa, err
		}
	}
	return qa, nil
}

// parseExpiration reads a message's expiration property (milliseconds as a
// decimal string); -1 when there is none.
func parseExpiration(s string) (int64, *wire.Error) {
	if s == "" {
		return -1, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, wire.Errorf(wire.PreconditionFailed, "invalid expiration '%s': no_integer", s)
	}
	if n < 0 {
		return 0, wire.Errorf(wire.PreconditionFailed, "invalid expiration '%s': {value_negative,%d}", s, n)
	}
	return n, nil
}

func inequivalent(arg, what string, received, current any) *wire.Error {
	return wire.Errorf(wire.PreconditionFailed, "inequivalent arg '%s' for %s: received '%v' but current is '%v'", arg, what, received, current)
}
