package broker

import (
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/warrenmq/warren/sandbox/broker/wire"
	"github.com/warrenmq/warren/sandbox/routing"
)

// Streams over AMQP 0-9-1 (x-queue-type: stream): an append-only log.
// Every message gets an offset (0, 1, 2, ...) and stays after it is
// consumed and acked; each consumer reads the log from where its
// x-stream-offset says, at its own pace, and its deliveries carry the
// x-stream-offset header. As in RabbitMQ, the log is kept in segments of
// x-stream-max-segment-size-bytes (500 MB by default) and retention
// (x-max-length-bytes, x-max-age) drops whole segments, oldest first,
// when a new segment is started. A consumer must set a prefetch and ack;
// basic.get and queue.purge are refused. Where RabbitMQ writes several
// messages in one chunk (under load), each message here is a chunk of
// its own: "last" is the last message, and a timestamp or an interval
// selects by message.

// defaultSegmentBytes is osiris's default x-stream-max-segment-size-bytes.
const defaultSegmentBytes = 500_000_000

type streamArgs struct {
	maxAge       time.Duration // 0: none
	segmentBytes int64
}

// maxAgePattern is x-max-age's form: a number and a unit (years, months,
// days, hours, minutes, seconds).
var maxAgePattern = regexp.MustCompile(`^([0-9]+)([YMDhms])$`)

func ageDuration(n int64, unit string) time.Duration {
	d := map[string]time.Duration{"Y": 365 * 24 * time.Hour, "M": 30 * 24 * time.Hour, "D": 24 * time.Hour,
		"h": time.Hour, "m": time.Minute, "s": time.Second}[unit]
	return time.Duration(n) * d
}

// parseStreamArgs reads a stream's retention and segment size.
func parseStreamArgs(args routing.Table, what string) (streamArgs, *wire.Error) {
	sa := streamArgs{segmentBytes: defaultSegmentBytes}
	if v, ok := args["x-max-age"]; ok {
		s, isStr := v.(string)
		if !isStr {
			return sa, wire.Errorf(wire.PreconditionFailed, "invalid arg 'x-max-age' for %s: {unacceptable_type,%s}", what, routing.TypeName(v))
		}
		m := maxAgePattern.FindStringSubmatch(s)
		if m == nil {
			return sa, wire.Errorf(wire.PreconditionFailed, "invalid arg 'x-max-age' for %s: invalid_max_age", what)
		}
		n, _ := strconv.ParseInt(m[1], 10, 64)
		sa.maxAge = ageDuration(n, m[2])
	}
	if v, ok := args["x-stream-max-segment-size-bytes"]; ok {
		n, isInt := intArg(v)
		if !isInt {
			return sa, wire.Errorf(wire.PreconditionFailed, "invalid arg 'x-stream-max-segment-size-bytes' for %s: \"expected integer, got %s\"", what, routing.TypeName(v))
		}
		if n <= 0 {
			return sa, wire.Errorf(wire.PreconditionFailed, "invalid arg 'x-stream-max-segment-size-bytes' for %s: {value_zero_or_negative,%d}", what, n)
		}
		sa.segmentBytes = n
	}
	return sa, nil
}

// streamLog is a stream's messages. Guarded by its queue's lock.
type streamLog struct {
	first    int64 // offset of entries[0]
	entries  []streamEntry
	segments []segment // oldest first; the last is being written
	bytes    int64
}

type streamEntry struct {
	msg *message
	at  int64 // unix nanoseconds, when it was appended
}

type segment struct {
	n      int // entries
	bytes  int64
	lastAt int64
}

// next is the offset the next message will get.
func (l *streamLog) next() int64 { return l.first + int64(len(l.entries)) }

// append adds m, starting a new segment (and applying retention) when the
// current one is full. It returns the bytes retention dropped.
func (l *streamLog) append(m *message, now int64, qa *queueArgs) (dropped int64) {
	size := int64(len(m.body))
	if n := len(l.segments); n == 0 || (l.segments[n-1].n > 0 && l.segments[n-1].bytes+size > qa.stream.segmentBytes) {
		l.segments = append(l.segments, segment{})
		dropped = l.retain(now, qa)
	}
	l.entries = append(l.entries, streamEntry{msg: m, at: now})
	s := &l.segments[len(l.segments)-1]
	s.n++
	s.bytes += size
	s.lastAt = now
	l.bytes += size
	return dropped
}

// retain drops the oldest full segments while the stream is over
// x-max-length-bytes or their newest message is older than x-max-age.
func (l *streamLog) retain(now int64, qa *queueArgs) (dropped int64) {
	for len(l.segments) > 1 {
		s := l.segments[0]
		overBytes := qa.maxLengthBytes >= 0 && l.bytes > qa.maxLengthBytes
		tooOld := qa.stream.maxAge > 0 && s.lastAt < now-int64(qa.stream.maxAge)
		if !overBytes && !tooOld {
			break
		}
		clear(l.entries[:s.n])
		l.entries = l.entries[s.n:]
		l.first += int64(s.n)
		l.bytes -= s.bytes
		dropped += s.bytes
		l.segments = l.segments[1:]
	}
	return dropped
}

// startOffset resolves a consumer's x-stream-offset to the offset of the
// first message it gets: first, last, next (the default), an offset, a
// timestamp, or an interval back from now such as "1h".
func (l *streamLog) startOffset(v any, hasArg bool, now time.Time, what string) (int64, *wire.Error) {
	if !hasArg {
		return l.next(), nil
	}
	invalid := func() *wire.Error {
		return wire.Errorf(wire.PreconditionFailed, "invalid arg 'x-stream-offset' for %s: {invalid_stream_offset_arg,{%s,%s}}", what, routing.TypeName(v), erlangTerm(v))
	}
	if n, ok := intArg(v); ok {
		return max(n, l.first), nil
	}
	if t, ok := v.(time.Time); ok {
		return l.fromTime(t.UnixNano()), nil
	}
	s, ok := text(v)
	if !ok {
		return 0, invalid()
	}
	switch s {
	case "first":
		return l.first, nil
	case "last":
		if len(l.entries) == 0 {
			return l.next(), nil
		}
		return l.next() - 1, nil
	case "next":
		return l.next(), nil
	}
	m := maxAgePattern.FindStringSubmatch(s)
	if m == nil {
		return 0, invalid()
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	return l.fromTime(now.Add(-ageDuration(n, m[2])).UnixNano()), nil
}

// fromTime is the offset of the first message appended at or after t.
func (l *streamLog) fromTime(t int64) int64 {
	for i, e := range l.entries {
		if e.at >= t {
			return l.first + int64(i)
		}
	}
	return l.next()
}

// erlangTerm renders a value as RabbitMQ's reply texts show it.
func erlangTerm(v any) string {
	if s, ok := text(v); ok {
		return fmt.Sprintf("<<%q>>", s)
	}
	return fmt.Sprint(v)
}

// dispatchStreamLocked gives every stream consumer with room the messages
// from its offset on. Called under q.mu.
func (q *queue) dispatchStreamLocked() {
	l := q.stream
	for _, c := range q.consumers {
		if c.offset < l.first {
			c.offset = l.first // retention went past it
		}
		for c.offset < l.next() && c.hasRoom() {
			e := l.entries[c.offset-l.first]
			if !c.ch.deliver(c, &entry{msg: withStreamOffset(e.msg, c.offset)}) {
				c.active.Store(false)
				break
			}
			c.offset++
			q.progress++
		}
	}
}

// withStreamOffset is the delivered copy of a stream's message: it
// carries its offset in the x-stream-offset header.
func withStreamOffset(m *message, offset int64) *message {
	d := *m
	h := make(routing.Table, len(m.props.Headers)+1)
	for k, v := range m.props.Headers {
		h[k] = v
	}
	h["x-stream-offset"] = offset
	d.props.Headers = h
	return &d
}

// streamRefusal is RabbitMQ's answer to what streams do not do.
func streamRefusal(what, res string) *wire.Error {
	return wire.Errorf(wire.NotImplemented, "%s not supported by stream queues %s", what, res)
}

// lookupNotStream is lookupQueueFor (reading) for a method streams do not
// support: a stream gets RabbitMQ's 540 for it.
func (ch *channel) lookupNotStream(name, method string) (*queue, *wire.Error) {
	q, err := ch.lookupQueueFor(name, Read)
	if err != nil {
		return nil, err
	}
	if q.stream != nil {
		return nil, streamRefusal(method, q.v.queueRes(q.name))
	}
	return q, nil
}

// checkStreamConsumer applies a stream's rules to a new consumer and
// resolves where it starts reading.
func (ch *channel) checkStreamConsumer(q *queue, m *wire.BasicConsume) (int64, *wire.Error) {
	res := q.v.queueRes(q.name)
	if _, ok := m.Arguments["x-priority"]; ok {
		return 0, wire.Errorf(wire.PreconditionFailed, "invalid arg 'x-priority' for %s of queue type %s", res, typeModule(streamQueue))
	}
	if m.NoAck {
		return 0, streamRefusal("automatic acknowledgement", res)
	}
	if ch.prefetch == 0 {
		return 0, wire.Errorf(wire.PreconditionFailed, "consumer prefetch count is not set for '%s'", res)
	}
	v, has := m.Arguments["x-stream-offset"]
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.stream.startOffset(v, has, q.v.s.now(), res)
}
