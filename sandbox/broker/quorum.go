package broker

import (
	"github.com/warrenmq/warren/sandbox/broker/wire"
	"github.com/warrenmq/warren/sandbox/routing"
)

// Queue types: x-queue-type classic (the default), quorum or stream. All
// three live in memory here; what differs is what RabbitMQ lets each be
// declared with and how it treats its messages. A quorum queue counts
// the times a message was returned (x-delivery-count) and dead-letters it
// with reason delivery_limit past x-delivery-limit; a stream (stream.go)
// keeps its messages after they are consumed.
const (
	classicQueue = "classic"
	quorumQueue  = "quorum"
	streamQueue  = "stream"
)

// defaultDeliveryLimit is a quorum queue's x-delivery-limit when it sets
// none: 20 from RabbitMQ 4.0 (3.x: unlimited).
const defaultDeliveryLimit = 20

// typeModule is RabbitMQ's name for a queue type in its reply texts.
func typeModule(kind string) string { return "rabbit_" + kind + "_queue" }

// typedQueueArgs are the queue arguments some queue type knows; a queue
// declared with one its own type does not support is refused (406), one
// no type knows (x-foo) is kept and ignored, as RabbitMQ does.
var typedQueueArgs = map[string][3]bool{ // classic, quorum, stream
	"x-expires":                       {true, true, false},
	"x-message-ttl":                   {true, true, false},
	"x-dead-letter-exchange":          {true, true, false},
	"x-dead-letter-routing-key":       {true, true, false},
	"x-dead-letter-strategy":          {false, true, false},
	"x-max-length":                    {true, true, false},
	"x-max-length-bytes":              {true, true, true},
	"x-max-in-memory-length":          {false, true, false},
	"x-max-in-memory-bytes":           {false, true, false},
	"x-max-priority":                  {true, false, false},
	"x-overflow":                      {true, true, false},
	"x-queue-mode":                    {true, false, false},
	"x-queue-master-locator":          {true, false, false},
	"x-queue-version":                 {true, false, false},
	"x-single-active-consumer":        {true, true, false},
	"x-quorum-initial-group-size":     {false, true, false},
	"x-delivery-limit":                {false, true, false},
	"x-queue-leader-locator":          {false, true, true},
	"x-max-age":                       {false, false, true},
	"x-stream-max-segment-size-bytes": {false, false, true},
	"x-initial-cluster-size":          {false, false, true},
}

func typeIndex(kind string) int {
	switch kind {
	case quorumQueue:
		return 1
	case streamQueue:
		return 2
	}
	return 0
}

// queueTypeOf reads x-queue-type: "classic" when absent.
func queueTypeOf(args routing.Table, what string) (string, *wire.Error) {
	v, ok := args["x-queue-type"]
	if !ok {
		return classicQueue, nil
	}
	s, isStr := v.(string)
	if !isStr {
		return "", wire.Errorf(wire.PreconditionFailed, "invalid arg 'x-queue-type' for %s: {unacceptable_type,%s}", what, routing.TypeName(v))
	}
	switch s {
	case classicQueue, quorumQueue, streamQueue:
		return s, nil
	}
	return "", wire.Errorf(wire.PreconditionFailed, "invalid arg 'x-queue-type' for %s: \"unsupported queue type '%s'\"", what, s)
}

// checkQueueType applies a queue type's declaration rules, in RabbitMQ's
// order: the arguments the type does not support, then (quorum queues and
// streams are durable and shared) auto-delete, exclusive, non-durable.
func checkQueueType(kind string, durable, exclusive, autoDelete bool, args routing.Table, what string) *wire.Error {
	i := typeIndex(kind)
	for k := range args {
		if ok, known := typedQueueArgs[k]; known && !ok[i] {
			return wire.Errorf(wire.PreconditionFailed, "invalid arg '%s' for %s of queue type %s", k, what, typeModule(kind))
		}
	}
	if kind == classicQueue {
		return nil
	}
	invalid := func(p string) *wire.Error {
		return wire.Errorf(wire.PreconditionFailed, "invalid property '%s' for %s", p, what)
	}
	switch {
	case autoDelete:
		return invalid("auto-delete")
	case exclusive:
		return invalid("exclusive-owner")
	case !durable:
		return invalid("non-durable")
	}
	return nil
}

// serverNamedRefused is RabbitMQ's answer to queue.declare with no name
// for a quorum queue or a stream.
func serverNamedRefused(kind string) *wire.Error {
	return wire.Errorf(wire.PreconditionFailed, "Cannot declare a server-named queue for type %s", typeModule(kind))
}

// parseQuorumArgs reads what only quorum queues have: x-delivery-limit
// (a negative one is no limit, as in RabbitMQ; a value that is not an
// integer is ignored, as 3.10 does) and x-dead-letter-strategy. Their
// x-overflow is drop-head or reject-publish: RabbitMQ takes
// reject-publish-dlx as drop-head.
func parseQuorumArgs(qa *queueArgs, args routing.Table, what string, v3 bool) *wire.Error {
	qa.deliveryLimit = defaultDeliveryLimit
	if v3 {
		qa.deliveryLimit = -1 // 3.x: unlimited
	}
	if v, ok := args["x-delivery-limit"]; ok {
		if n, isInt := intArg(v); isInt {
			qa.deliveryLimit = n
		}
	}
	if v, ok := args["x-dead-letter-strategy"]; ok {
		s, _ := v.(string)
		switch s {
		case "at-most-once", "at-least-once":
			qa.dlStrategy = s
		default:
			return wire.Errorf(wire.PreconditionFailed, "invalid arg 'x-dead-letter-strategy' for %s: invalid_dlx_strategy", what)
		}
	}
	if qa.overflow == "reject-publish-dlx" {
		qa.overflow = "drop-head"
	}
	// as rabbit_quorum_queue:dlh: at-least-once needs reject-publish (with
	// drop-head RabbitMQ falls back to at-most-once, and says so in its
	// log) and a dead-letter exchange
	qa.atLeastOnce = qa.dlStrategy == "at-least-once" && qa.overflow == "reject-publish" && qa.dlx != nil
	return nil
}

// deliveryCounted returns the message to deliver for e: a quorum queue's
// redelivery carries x-delivery-count, the times it was returned.
func deliveryCounted(e *entry) *message {
	if e.deliveries == 0 {
		return e.msg
	}
	m := *e.msg
	h := make(routing.Table, len(m.props.Headers)+1)
	for k, v := range m.props.Headers {
		h[k] = v
	}
	h["x-delivery-count"] = int64(e.deliveries)
	m.props.Headers = h
	return &m
}

// noGlobalQos is RabbitMQ's refusal of a consumer on a quorum queue or a
// stream from a channel with a global prefetch (basic.qos global=true).
func noGlobalQos(what string) *wire.Error {
	return wire.Errorf(wire.NotImplemented, "%s does not support global qos", what)
}
