package warrentest

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/warrenmq/warren/sandbox/broker"
)

// maxRecords bounds the history: the oldest messages' records go first.
const maxRecords = 100_000

// Event is one thing that happened to a message (what the broker tells
// its OnMessage hook).
type Event = broker.MessageEvent

// Record is one message and everything that happened to it, in order:
// published (and where it was routed), delivered, acked, nacked,
// requeued, expired, dead-lettered (its dead-lettered copies keep its
// record), returned, refused, dropped.
type Record struct {
	ID         uint64
	VHost      string
	Exchange   string // where it was first published
	RoutingKey string
	Properties Properties
	Body       []byte
	Events     []Event
}

// Has reports whether some event of the record is of kind k (in queue,
// when queue is not "").
func (r Record) Has(k broker.EventKind, queue string) bool {
	for _, e := range r.Events {
		if e.Kind == k && (queue == "" || e.Queue == queue) {
			return true
		}
	}
	return false
}

// String tells the record's story, one event a line.
func (r Record) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "message %d %q", r.ID, abbreviate(r.Body))
	for _, e := range r.Events {
		b.WriteString("\n  " + describe(e))
	}
	return b.String()
}

func abbreviate(body []byte) string {
	if len(body) > 40 {
		return string(body[:37]) + "..."
	}
	return string(body)
}

// describe is one event in words.
func describe(e Event) string {
	at := e.At.Format("15:04:05.000")
	switch e.Kind {
	case broker.EventPublished:
		to := "no queue (unroutable)"
		if len(e.Queues) > 0 {
			to = strings.Join(e.Queues, ", ")
		}
		return fmt.Sprintf("%s published to %s with routing key %q: routed to %s", at, exchangeName(e.Exchange), e.RoutingKey, to)
	case broker.EventReturned:
		return fmt.Sprintf("%s returned to its publisher (%s)", at, e.Reason)
	case broker.EventRefused:
		return fmt.Sprintf("%s refused by queue %s (%s): a confirm nack", at, e.Queue, e.Reason)
	case broker.EventDelivered:
		to := "basic.get"
		if e.ConsumerTag != "" {
			to = "consumer " + e.ConsumerTag
		}
		re := ""
		if e.Redelivered {
			re = ", redelivered"
		}
		return fmt.Sprintf("%s delivered from %s to %s (delivery tag %d%s)", at, e.Queue, to, e.DeliveryTag, re)
	case broker.EventAcked:
		return fmt.Sprintf("%s acked (queue %s)", at, e.Queue)
	case broker.EventNacked:
		what := "nacked/rejected without requeue"
		if e.Requeue {
			what = "nacked/rejected with requeue"
		}
		return fmt.Sprintf("%s %s (queue %s)", at, what, e.Queue)
	case broker.EventRequeued:
		return fmt.Sprintf("%s back in queue %s: %s", at, e.Queue, e.Reason)
	case broker.EventExpired:
		return fmt.Sprintf("%s expired in queue %s", at, e.Queue)
	case broker.EventDeadLettered:
		to := "no queue"
		if len(e.Queues) > 0 {
			to = strings.Join(e.Queues, ", ")
		}
		return fmt.Sprintf("%s dead-lettered from %s (%s) to %s with routing key %q: reached %s", at, e.Queue, e.Reason, exchangeName(e.Exchange), e.RoutingKey, to)
	case broker.EventDropped:
		return fmt.Sprintf("%s dropped by queue %s (%s, no dead-letter exchange)", at, e.Queue, e.Reason)
	}
	return fmt.Sprintf("%s %s %s", at, e.Kind, e.Queue)
}

func exchangeName(x string) string {
	if x == "" {
		return "the default exchange"
	}
	return "exchange " + x
}

// history keeps a Record per message, from the broker's OnMessage hook.
// Its lock is a leaf: the hook is called under the broker's locks.
type history struct {
	mu      sync.Mutex
	records map[uint64]*Record
	order   []uint64
	dropped int
}

func newHistory() *history { return &history{records: map[uint64]*Record{}} }

func (h *history) record(e Event) {
	if e.MessageID == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.records[e.MessageID]
	if r == nil {
		r = &Record{ID: e.MessageID, VHost: e.VHost, Exchange: e.Exchange, RoutingKey: e.RoutingKey, Properties: e.Properties, Body: e.Body}
		h.records[e.MessageID] = r
		h.order = append(h.order, e.MessageID)
		if len(h.order) > maxRecords {
			delete(h.records, h.order[0])
			h.order = h.order[1:]
			h.dropped++
		}
	}
	// the hook's event shares the message's header table, which nobody
	// changes; keep only what describes the event
	e.Properties, e.Body = Properties{}, nil
	r.Events = append(r.Events, e)
}

// snapshot copies the records of vhost ("" all), oldest first.
func (h *history) snapshot(vhost string) []Record {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Record, 0, len(h.order))
	for _, id := range h.order {
		r := h.records[id]
		if vhost != "" && r.VHost != vhost {
			continue
		}
		c := *r
		c.Events = append([]Event(nil), r.Events...)
		out = append(out, c)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// History is every message published in the vhost since the Server
// started (the newest 100,000), each with its events, oldest first.
func (v *VHost) History() []Record {
	v.s.Sync()
	return v.s.history.snapshot(v.name)
}

// HistoryOf is the records of the messages for which match is true
// (match(r) sees the message as published: body, routing key, headers).
func (v *VHost) HistoryOf(match func(Record) bool) []Record {
	var out []Record
	for _, r := range v.History() {
		if match(r) {
			out = append(out, r)
		}
	}
	return out
}
