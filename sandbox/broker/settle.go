package broker

import (
	"syscall"
	"time"
)

// protocolHeaderSize is the "AMQP\x00\x00\x09\x01" a client sends first.
const protocolHeaderSize = 8

// Settle waits, up to timeout, until every open connection's reader has
// handled every frame its client has written so far: the bytes read from
// the socket all belong to frames handled, and the kernel holds none
// unread. A connection held by flow control or the memory alarm counts
// as settled (what it sent after is not read until it is let go), and so
// does one that is closing. A test library calls it before reading the
// broker's state, so that what a client did just before (a publish, an
// ack) is taken into account. It reports whether every connection
// settled in time.
func (s *Server) Settle(timeout time.Duration) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	ok := true
	for _, c := range s.openConns() {
		if !c.settle(deadline.C) {
			ok = false
			break
		}
	}
	return ok
}

// settled reports whether the reader has handled all its client sent.
func (c *conn) settled() bool {
	if c.held.Load() || c.closing.Load() {
		return true
	}
	c.readMu.Lock()
	got, unread := c.got.Load(), unreadBytes(c.nc)
	c.readMu.Unlock()
	return c.handled.Load() == got && unread == 0
}

// settle waits for settled, or for expired.
func (c *conn) settle(expired <-chan time.Time) bool {
	c.settleWaiters.Add(1)
	defer c.settleWaiters.Add(-1)
	for !c.settled() {
		select {
		case <-c.settleSignal:
		case <-c.quit:
			return true
		case <-c.writerDone:
			return true
		case <-expired:
			return false
		}
	}
	return true
}

// markHandled records that the reader has handled every frame up to n
// bytes read, and wakes a Settle waiting on it.
func (c *conn) markHandled(n int64) {
	c.handled.Store(n)
	if c.settleWaiters.Load() > 0 {
		select {
		case c.settleSignal <- struct{}{}:
		default:
		}
	}
}

// countingReader counts the bytes the reader takes from the socket. On
// Linux a TCP connection is read through its raw descriptor, the read and
// the count under c.readMu (settle_linux.go); elsewhere, or over TLS, a
// byte read but not yet counted can escape Settle for a moment.
type countingReader struct {
	c   *conn
	raw syscall.RawConn // nil: read through c.nc
}

func newCountingReader(c *conn) countingReader {
	return countingReader{c: c, raw: rawConnOf(c.nc)}
}

func (r countingReader) Read(p []byte) (int, error) {
	if r.raw != nil {
		return r.rawRead(p)
	}
	n, err := r.c.nc.Read(p)
	r.c.got.Add(int64(n))
	return n, err
}
