package difftest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	mrand "math/rand"
	"sort"
	"strings"
	"time"

	"github.com/warrenmq/warren/sandbox/routing"
)

// Msg is one message of a case: what routing sees, plus the message id
// that tells its copies apart in the queues and among the returns.
type Msg struct {
	ID string
	routing.Message
}

// Case is one random topology and the messages published on it, in order.
type Case struct {
	Seed     int64
	Prefix   string // every name in the case starts with it
	Topology routing.Topology
	Messages []Msg
}

// NewPrefix returns a name prefix unique to this run, so that what a test
// declares on a shared RabbitMQ never meets anyone else's names.
func NewPrefix() string {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		// crypto/rand does not fail on Linux; a fixed prefix still works
		// for a single run.
		return "wdt-0-"
	}
	return "wdt-" + hex.EncodeToString(b[:]) + "-"
}

// Words and keys the generator draws from: few, so that bindings and
// routing keys collide often, and the edge cases RabbitMQ's word rules
// are about.
var (
	topicWords   = []string{"a", "b", "", "*", "#"}
	keyWords     = []string{"a", "b", ""}
	edgeKeys     = []string{"", ".", "a..b", "#.#", "#", "*.*", "a", "a.b", "*", "a.#", "#.b"}
	headerKeys   = []string{"h1", "h2", "h3", "x-h"}
	xMatchValues = []any{nil, "all", "any", "all-with-x", "any-with-x"}
	exchangeKind = []routing.ExchangeType{routing.Direct, routing.Fanout, routing.Topic, routing.Headers}
)

// headerValue draws a typed value from a small pool in which the same
// number appears in several widths and as a float, to exercise RabbitMQ's
// value comparison (integer widths equal; 1 == 1.0 only before 3.13).
func headerValue(r *mrand.Rand) any {
	switch r.Intn(17) {
	case 13:
		return time.Unix(int64(r.Intn(2)), 0).UTC() // an integer of seconds to RabbitMQ
	case 14:
		return routing.Decimal{Scale: uint8(r.Intn(2)), Value: int32(r.Intn(2))}
	case 15:
		return routing.Table{"n": headerValueScalar(r)}
	case 16:
		return []any{headerValueScalar(r)}
	case 0:
		return int8(r.Intn(2))
	case 1:
		return int16(r.Intn(2))
	case 2:
		return int32(r.Intn(2))
	case 3:
		return int64(r.Intn(2))
	case 4:
		return float64(r.Intn(2))
	case 5:
		return 1.5
	case 6:
		return float32(r.Intn(2))
	case 7:
		return []string{"0", "1", "a", ""}[r.Intn(4)]
	case 8:
		return r.Intn(2) == 0
	case 9:
		return nil // void
	case 10:
		return uint8(r.Intn(2))
	case 11:
		return []byte("a")
	default:
		return "a"
	}
}

// headerValueScalar is headerValue without nesting.
func headerValueScalar(r *mrand.Rand) any {
	for {
		switch v := headerValue(r).(type) {
		case routing.Table, []any:
			continue
		default:
			return v
		}
	}
}

func topicKey(r *mrand.Rand, words []string) string {
	if r.Intn(3) == 0 {
		return edgeKeys[r.Intn(len(edgeKeys))]
	}
	n := r.Intn(4)
	w := make([]string, n)
	for i := range w {
		w[i] = words[r.Intn(len(words))]
	}
	return strings.Join(w, ".")
}

func headerTable(r *mrand.Rand, most int) routing.Table {
	n := r.Intn(most + 1)
	if n == 0 {
		return nil
	}
	t := routing.Table{}
	for i := 0; i < n; i++ {
		t[headerKeys[r.Intn(len(headerKeys))]] = headerValue(r)
	}
	return t
}

// Generate makes the case for seed: 1-4 exchanges of the four types
// (some internal, some with an alternate exchange, existing or not),
// 1-4 durable queues, bindings including exchange-to-exchange ones that may
// form cycles, and messages with edge-case routing keys and typed headers.
// Every name starts with prefix. The same seed always gives the same case.
func Generate(seed int64, prefix string) Case {
	r := mrand.New(mrand.NewSource(seed))
	c := Case{Seed: seed, Prefix: prefix}
	name := func(kind string, n int) string { return fmt.Sprintf("%ss%d-%s%d", prefix, seed, kind, n) }

	nx, nq := 1+r.Intn(4), 1+r.Intn(4)
	for i := 0; i < nx; i++ {
		x := routing.Exchange{Name: name("x", i), Type: exchangeKind[r.Intn(len(exchangeKind))], AutoDelete: false}
		// Exchange 0 is published to, so it is never internal.
		x.Internal = i > 0 && r.Intn(5) == 0
		switch r.Intn(5) {
		case 0, 1:
			x.Arguments = routing.Table{"alternate-exchange": name("x", r.Intn(nx))}
		case 2:
			if r.Intn(3) == 0 {
				x.Arguments = routing.Table{"alternate-exchange": name("missing", 0)}
			}
		}
		c.Topology.Exchanges = append(c.Topology.Exchanges, x)
	}
	for i := 0; i < nq; i++ {
		c.Topology.Queues = append(c.Topology.Queues, routing.Queue{Name: name("q", i), Durable: true})
	}
	nb := 2 + r.Intn(8)
	for i := 0; i < nb; i++ {
		// Half the bindings leave exchange 0, which most messages go to.
		src := c.Topology.Exchanges[0]
		if r.Intn(2) == 0 {
			src = c.Topology.Exchanges[r.Intn(nx)]
		}
		b := routing.Binding{Source: src.Name, DestinationType: routing.ToQueue}
		if r.Intn(4) == 0 {
			b.DestinationType = routing.ToExchange
			b.Destination = c.Topology.Exchanges[r.Intn(nx)].Name // itself too: a cycle of one
		} else {
			b.Destination = c.Topology.Queues[r.Intn(nq)].Name
		}
		switch src.Type {
		case routing.Topic:
			b.RoutingKey = topicKey(r, topicWords)
		case routing.Direct:
			b.RoutingKey = topicKey(r, keyWords)
		case routing.Fanout:
			b.RoutingKey = topicKey(r, keyWords) // ignored, but sent
		case routing.Headers:
			b.Arguments = headerTable(r, 3)
			if xm := xMatchValues[r.Intn(len(xMatchValues))]; xm != nil {
				if b.Arguments == nil {
					b.Arguments = routing.Table{}
				}
				b.Arguments["x-match"] = xm
			}
		}
		c.Topology.Bindings = append(c.Topology.Bindings, b)
	}

	nm := 3 + r.Intn(6)
	for i := 0; i < nm; i++ {
		m := Msg{ID: fmt.Sprintf("s%d-m%d", seed, i)}
		m.Mandatory = true
		m.Exchange = c.Topology.Exchanges[0].Name
		if r.Intn(6) == 0 {
			m.Exchange = c.Topology.Exchanges[r.Intn(nx)].Name
			if isInternal(c.Topology, m.Exchange) {
				m.Exchange = c.Topology.Exchanges[0].Name
			}
		}
		m.RoutingKey = topicKey(r, keyWords)
		m.Headers = headerTable(r, 3)
		if bs := c.Topology.Bindings; r.Intn(2) == 0 {
			// Borrow a binding's key or arguments so that more messages
			// route: a binding key is a routing key its pattern matches
			// ('*' and '#' match themselves as words).
			b := bs[r.Intn(len(bs))]
			m.RoutingKey = b.RoutingKey
			if len(b.Arguments) > 0 {
				m.Headers = mutateHeaders(r, b.Arguments)
			}
		}
		if r.Intn(10) == 0 {
			// The default exchange: the routing key names a queue, or not.
			m.Exchange = ""
			m.RoutingKey = name("q", r.Intn(nq+1))
		}
		if r.Intn(12) == 0 {
			if m.Headers == nil {
				m.Headers = routing.Table{}
			}
			// Sender-selected distribution: extra routing keys. Only
			// longstr elements count: a byte array or a number is skipped.
			cc := []any{topicKey(r, keyWords)}
			switch r.Intn(3) {
			case 1:
				cc = append(cc, []byte(topicKey(r, keyWords)))
			case 2:
				cc = append([]any{int32(r.Intn(100))}, cc...)
			}
			m.Headers[[]string{"CC", "BCC"}[r.Intn(2)]] = cc
		}
		c.Messages = append(c.Messages, m)
	}
	return c
}

// mutateHeaders copies a headers binding's arguments into message
// headers, sometimes changing a value's type but not its number (int8 1 to
// float64 1.0), dropping a header or adding one.
func mutateHeaders(r *mrand.Rand, args routing.Table) routing.Table {
	h := routing.Table{}
	// Sorted keys: Go's map order is random, and the random draws below
	// must go to the same keys every run for a seed to mean one case.
	keys := make([]string, 0, len(args))
	for k := range args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := args[k]
		if k == "x-match" {
			continue
		}
		switch r.Intn(6) {
		case 0:
			continue // dropped
		case 1:
			h[k] = retype(r, v)
		case 2:
			h[k] = headerValue(r)
		default:
			h[k] = v
		}
	}
	if r.Intn(4) == 0 {
		h[headerKeys[r.Intn(len(headerKeys))]] = headerValue(r)
	}
	return h
}

// retype gives a number another AMQP type with the same value.
func retype(r *mrand.Rand, v any) any {
	var f float64
	switch x := v.(type) {
	case int8:
		f = float64(x)
	case uint8:
		f = float64(x)
	case int16:
		f = float64(x)
	case int32:
		f = float64(x)
	case int64:
		f = float64(x)
	case float32:
		f = float64(x)
	case float64:
		f = x
	default:
		return v
	}
	if f != float64(int64(f)) {
		return float32(f)
	}
	switch r.Intn(5) {
	case 0:
		return int8(f)
	case 1:
		return int16(f)
	case 2:
		return int64(f)
	case 3:
		return float32(f)
	default:
		return f
	}
}

func isInternal(t routing.Topology, name string) bool {
	for _, x := range t.Exchanges {
		if x.Name == name {
			return x.Internal
		}
	}
	return false
}
