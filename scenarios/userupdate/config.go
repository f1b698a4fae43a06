package userupdate

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"
)

// Names are the exchanges, queues and routing keys of the flow. The CLI
// uses DefaultNames (the article's); tests and the TUI may use unique ones
// so that they do not disturb what else runs on the same broker.
type Names struct {
	Exchange           string // durable topic exchange the events go through
	UpdateKey          string // routing key of an update event
	ProfileBinding     string // binding key of the profile service's queue
	ProfileQueue       string // the profile service's durable queue
	DeadLetterExchange string // where refused events are dead-lettered (fanout)
	DeadLetterQueue    string // the queue that keeps them
	FailedKey          string // routing key of the compensating event
	FailedQueue        string // the user service's durable queue for it
}

// DefaultNames are the article's names.
func DefaultNames() Names {
	return Names{
		Exchange:           "user_updates",
		UpdateKey:          "user.profile.update",
		ProfileBinding:     "user.profile.*",
		ProfileQueue:       "profile_service.user_updates",
		DeadLetterExchange: "profile_service.dlx",
		DeadLetterQueue:    "profile_service.user_updates.dead",
		FailedKey:          "user.profile.update.failed",
		FailedQueue:        "user_service.profile_update_failed",
	}
}

// UniqueNames are DefaultNames with the exchanges and queues prefixed, for
// tests and demos that share a broker. The routing keys stay the article's,
// since the exchange is already private.
func UniqueNames(prefix string) Names {
	n := DefaultNames()
	p := prefix + "." + randomHex(4) + "."
	n.Exchange = p + n.Exchange
	n.ProfileQueue = p + n.ProfileQueue
	n.DeadLetterExchange = p + n.DeadLetterExchange
	n.DeadLetterQueue = p + n.DeadLetterQueue
	n.FailedQueue = p + n.FailedQueue
	return n
}

func (n Names) withDefaults() Names {
	d := DefaultNames()
	set := func(v *string, def string) {
		if *v == "" {
			*v = def
		}
	}
	set(&n.Exchange, d.Exchange)
	set(&n.UpdateKey, d.UpdateKey)
	set(&n.ProfileBinding, d.ProfileBinding)
	set(&n.ProfileQueue, d.ProfileQueue)
	set(&n.DeadLetterExchange, d.DeadLetterExchange)
	set(&n.DeadLetterQueue, d.DeadLetterQueue)
	set(&n.FailedKey, d.FailedKey)
	set(&n.FailedQueue, d.FailedQueue)
	return n
}

// Option tunes a service.
type Option func(*options)

type options struct {
	names      Names
	prefetch   int
	backoffMin time.Duration
	backoffMax time.Duration
	maxName    int
	recheck    time.Duration
	retention  Retention
}

func buildOptions(opts []Option) options {
	o := options{prefetch: 10, backoffMin: 100 * time.Millisecond, backoffMax: 5 * time.Second, maxName: 100, recheck: 15 * time.Second,
		retention: DefaultRetention}
	for _, f := range opts {
		f(&o)
	}
	o.names = o.names.withDefaults()
	return o
}

// WithNames sets the exchanges, queues and routing keys (empty fields keep
// their defaults).
func WithNames(n Names) Option { return func(o *options) { o.names = n } }

// WithPrefetch sets the profile consumer's prefetch (basic.qos prefetch
// count; default 10).
func WithPrefetch(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.prefetch = n
		}
	}
}

// WithBackoff sets the reconnect backoff: the first retry after min, then
// doubling up to max (defaults 100ms and 5s).
func WithBackoff(min, max time.Duration) Option {
	return func(o *options) {
		if min > 0 {
			o.backoffMin = min
		}
		if max >= o.backoffMin {
			o.backoffMax = max
		}
	}
}

// WithTopologyRecheck sets how often a connected service declares its
// topology again (default 15s), which repairs an exchange, queue or binding
// someone deleted.
func WithTopologyRecheck(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.recheck = d
		}
	}
}

// WithRetention sets how long a store keeps what it no longer needs (see
// Retention): the user service's sent and superseded outbox rows, the
// profile service's applied message ids. Default DefaultRetention.
func WithRetention(r Retention) Option {
	return func(o *options) { o.retention = Retention{Age: max(r.Age, 0), Count: max(r.Count, 0)} }
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on Linux (Go 1.24+ panics instead of erroring)
	return hex.EncodeToString(b)
}

// newMessageID is a random UUID (version 4). Random, not a sequence number:
// an in-memory store starts its sequence again after a restart, and the
// profile service would take a reused id for a duplicate.
func newMessageID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// UpdateEvent is the body of a user.profile.update event, the article's
// shape: {"id": 1, "full_name": "usama"}.
type UpdateEvent struct {
	ID       int64  `json:"id"`
	FullName string `json:"full_name"`
}

// FailedEvent is the body of the compensating user.profile.update.failed
// event the profile service publishes when it refuses an update.
type FailedEvent struct {
	ID        int64  `json:"id"`
	FullName  string `json:"full_name"`  // the refused name
	Reason    string `json:"reason"`     // why, for a person
	MessageID string `json:"message_id"` // the refused event's message id
}

func (e FailedEvent) String() string {
	return fmt.Sprintf("user %d: %q refused: %s", e.ID, e.FullName, e.Reason)
}
