package broker

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/warrenmq/warren/sandbox/broker/wire"
	"github.com/warrenmq/warren/sandbox/routing"
)

const (
	frameMax   = 131072
	channelMax = 2047
	// serverHeartbeat is the heartbeat the server proposes (RabbitMQ's 60s).
	serverHeartbeat = 60
	// backlogHigh is how many frames may wait in a connection's outgoing
	// queue before consumers on it stop getting messages; they resume when
	// the writer has drained it.
	backlogHigh = 2048
	// outHoldFrames and outHoldBytes bound what a connection's outgoing
	// queue may hold because of what its client sent (replies, confirms,
	// basic.return with its body): past either, the reader stops reading
	// until the writer has drained the queue, so a client that sends but
	// never reads gets TCP back-pressure instead of making the broker
	// buffer replies without end (RabbitMQ's reader likewise blocks on
	// its writer). Deliveries already stop at backlogHigh.
	outHoldFrames = 4 * backlogHigh
	outHoldBytes  = 16 << 20
	// closeOkTimeout bounds the wait for the peer's close-ok.
	closeOkTimeout = 3 * time.Second
)

// outFrame is one thing for the writer goroutine to send.
type outFrame struct {
	ch        uint16
	method    wire.Method
	msg       *message // content after the method (basic.deliver/get-ok/return)
	heartbeat bool
}

// conn is one client connection: a reader goroutine (serve) that handles
// every incoming frame in order, and a writer goroutine (writeLoop) that
// sends what the broker queues for it and flushes when the queue is empty.
type conn struct {
	s  *Server
	nc net.Conn
	id uint64

	// set during the handshake, read-only afterwards
	vh          *vhost
	user        string
	frameMax    uint32
	channelMax  uint16
	heartbeat   atomic.Int32 // seconds; 0 none. Read by the writer.
	clientProps routing.Table
	capCancel   bool // the client understands basic.cancel from the server
	capBlocked  bool // ... connection.blocked / unblocked
	// opened is set once connection.open succeeded (access.go): read by
	// other goroutines (the management API, a vhost's deletion)
	opened atomic.Pointer[openedConn]

	// handleMu is held by the reader while it handles a frame (not while
	// it reads one, nor while flow control or the memory alarm hold it):
	// what another goroutine does as the reader would (a consumer timeout
	// closing a channel) takes it, so that it never runs in the middle of
	// one of the client's methods. It comes before every other lock.
	handleMu sync.Mutex
	// what Settle (settle.go) compares: bytes read from the socket, bytes
	// of frames handled, and whether flow control or the alarm holds the
	// reader
	got           atomic.Int64
	handled       atomic.Int64
	held          atomic.Bool
	settleWaiters atomic.Int32
	settleSignal  chan struct{} // cap 1
	// readMu is held while a read takes bytes from the kernel and counts
	// them in got, so that Settle never sees them in neither (Linux)
	readMu sync.Mutex

	mu       sync.Mutex
	channels map[uint16]*channel

	outMu      sync.Mutex
	out        []outFrame
	outLen     atomic.Int32
	outBytes   atomic.Int64  // bodies of queued basic.return frames
	drained    chan struct{} // cap 1: the writer emptied the queue
	wasBacklog atomic.Bool
	wake       chan struct{} // cap 1: the writer has work
	writerDone chan struct{}
	stopWriter chan struct{} // closed: drain, flush and exit
	stopOnce   sync.Once
	quit       chan struct{} // closed when the server closes the connection
	quitOnce   sync.Once
	lastSent   atomic.Int64
	// renewDeadline is set by the writer on each heartbeat tick: the
	// reader then pushes its read deadline forward, instead of reading the
	// clock for every frame
	renewDeadline atomic.Bool

	deadlineMu sync.Mutex
	closeBy    time.Time // guarded by deadlineMu: set once connection.close is sent

	r           *wire.Reader
	closing     atomic.Bool // connection.close sent; waiting for close-ok
	blockedSent bool        // guarded by outMu
}

func newConn(s *Server, nc net.Conn) *conn {
	return &conn{
		s: s, nc: nc, id: s.nextConn.Add(1),
		frameMax: wire.FrameMinSize, channelMax: channelMax,
		channels:     map[uint16]*channel{},
		wake:         make(chan struct{}, 1),
		drained:      make(chan struct{}, 1),
		writerDone:   make(chan struct{}),
		stopWriter:   make(chan struct{}),
		quit:         make(chan struct{}),
		settleSignal: make(chan struct{}, 1),
	}
}

// send queues frames for the writer. Safe from any goroutine.
func (c *conn) send(fs ...outFrame) {
	c.outMu.Lock()
	c.out = append(c.out, fs...)
	n := c.outLen.Add(int32(len(fs)))
	c.outMu.Unlock()
	if n >= backlogHigh {
		c.wasBacklog.Store(true)
	}
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *conn) sendMethod(ch uint16, m wire.Method) { c.send(outFrame{ch: ch, method: m}) }

// sendConfirm queues a publisher-confirm ack, folding it into the previous
// one (multiple=true) when that one, still unsent, acked the tag before:
// one frame for a burst of confirms, as RabbitMQ does. Only used on
// channels that never nacked, so a multiple ack never re-covers a nack.
func (c *conn) sendConfirm(ch uint16, tag uint64) {
	c.outMu.Lock()
	if n := len(c.out); n > 0 {
		last := &c.out[n-1]
		if a, ok := last.method.(*wire.BasicAck); ok && last.ch == ch && last.msg == nil && a.DeliveryTag == tag-1 {
			last.method = &wire.BasicAck{DeliveryTag: tag, Multiple: true}
			c.outMu.Unlock()
			return
		}
	}
	c.outMu.Unlock()
	c.sendMethod(ch, &wire.BasicAck{DeliveryTag: tag})
}

func (c *conn) backlogged() bool { return c.outLen.Load() >= backlogHigh }

// writeLoop owns the wire.Writer: it writes everything queued and flushes
// whenever the queue runs dry, so that a burst of deliveries leaves in few
// system calls. It sends heartbeats when nothing else went out.
func (c *conn) writeLoop() {
	defer c.s.wg.Done()
	defer close(c.writerDone)
	w := wire.NewWriter(c.nc)
	var batch []outFrame
	var tick <-chan time.Time
	var ticker *time.Ticker
	defer func() {
		if ticker != nil {
			ticker.Stop()
		}
	}()
	hbSet := false
	broken := false
	for {
		stopping := false
		select {
		case <-c.wake:
		case <-tick:
			c.renewDeadline.Store(true)
			if time.Since(time.Unix(0, c.lastSent.Load())) >= time.Duration(c.heartbeat.Load())*time.Second/3 {
				c.send(outFrame{heartbeat: true})
			}
			continue
		case <-c.stopWriter:
			stopping = true
		}
		if !hbSet && c.heartbeat.Load() > 0 {
			hbSet = true
			ticker = time.NewTicker(time.Duration(c.heartbeat.Load()) * time.Second / 2)
			tick = ticker.C
		}
		for {
			c.outMu.Lock()
			batch, c.out = c.out, batch[:0]
			c.outLen.Store(0)
			c.outMu.Unlock()
			if len(batch) == 0 {
				break
			}
			var returned int64
			for i := range batch {
				if _, ok := batch[i].method.(*wire.BasicReturn); ok {
					returned += int64(len(batch[i].msg.body))
				}
				if broken {
					continue
				}
				if err := c.write(w, &batch[i]); err != nil {
					broken = true
					c.nc.Close() // the reader sees it and tears down
				}
			}
			if returned > 0 {
				c.outBytes.Add(-returned)
			}
			clear(batch)
			if c.outLen.Load() == 0 {
				// let the goroutines feeding this connection (its reader,
				// publishers' deliveries) add more before paying for a
				// flush: fewer, fuller writes
				runtime.Gosched()
			}
		}
		if !broken {
			if err := w.Flush(); err != nil {
				broken = true
				c.nc.Close()
			}
			c.lastSent.Store(time.Now().UnixNano())
		}
		select {
		case c.drained <- struct{}{}: // a reader held by waitForWriter goes on
		default:
		}
		if c.wasBacklog.Swap(false) {
			c.kickConsumers()
		}
		if stopping {
			return
		}
	}
}

func (c *conn) write(w *wire.Writer, f *outFrame) error {
	if f.heartbeat {
		return w.WriteHeartbeat()
	}
	if err := w.WriteMethod(f.ch, f.method); err != nil {
		return err
	}
	if f.msg != nil {
		return w.WriteContent(f.ch, 60, f.msg.props, f.msg.body, c.frameMax)
	}
	return nil
}

// kickConsumers resumes deliveries held back while the outgoing queue was
// long.
func (c *conn) kickConsumers() {
	c.mu.Lock()
	var qs []*queue
	for _, ch := range c.channels {
		ch.mu.Lock()
		for _, cons := range ch.consumers {
			qs = appendQueue(qs, cons.q)
		}
		ch.mu.Unlock()
	}
	c.mu.Unlock()
	for _, q := range qs {
		q.kick()
	}
}

// serve is the reader goroutine: handshake, then frames until the
// connection ends; then it releases everything the connection held.
func (c *conn) serve() {
	defer c.s.wg.Done()
	defer c.s.removeConn(c)
	err := c.run()
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
		c.s.log.Debug("connection ended", "conn", c.id, "remote", c.nc.RemoteAddr().String(), "err", err)
	}
	defer func() {
		if p := recover(); p != nil {
			// the connection's state is suspect: stop its writer and
			// socket so that Shutdown does not wait for it
			c.s.log.Error("internal error while closing a connection", "conn", c.id, "panic", p, "stack", string(debug.Stack()))
			c.stopOnce.Do(func() { close(c.stopWriter) })
			c.nc.Close()
		}
	}()
	c.teardown()
}

// run is the reader's work: handshake, then frames. A panic (a bug: what
// a client sends must never cause one) closes this connection with 541
// INTERNAL_ERROR, as RabbitMQ does when a channel process crashes, instead
// of killing the process and every other client with it.
func (c *conn) run() (err error) {
	defer func() {
		if p := recover(); p != nil {
			c.s.log.Error("internal error: closing the connection", "conn", c.id, "remote", c.nc.RemoteAddr().String(), "panic", p, "stack", string(debug.Stack()))
			c.closing.Store(true)
			c.sendMethod(0, &wire.ConnectionClose{ReplyCode: wire.InternalError,
				ReplyText: "INTERNAL_ERROR - the broker failed while handling this connection; its log says why"})
			err = fmt.Errorf("internal error: %v", p)
		}
	}()
	br := bufio.NewReaderSize(newCountingReader(c), 64*1024)
	if err := c.handshake(br); err != nil {
		return err
	}
	return c.loop()
}

// teardown closes every channel (requeueing unacknowledged messages),
// deletes the connection's exclusive queues, flushes what is queued and
// closes the socket.
func (c *conn) teardown() {
	c.handleMu.Lock()
	c.releaseAll()
	c.handleMu.Unlock()
	c.nc.SetWriteDeadline(time.Now().Add(time.Second))
	c.stopOnce.Do(func() { close(c.stopWriter) })
	<-c.writerDone
	c.nc.Close()
}

// releaseAll closes every channel (requeueing unacknowledged messages) and
// deletes the connection's exclusive queues. Run by the reader; a second
// call finds nothing left to do.
func (c *conn) releaseAll() {
	c.mu.Lock()
	chans := make([]*channel, 0, len(c.channels))
	for _, ch := range c.channels {
		chans = append(chans, ch)
	}
	c.channels = map[uint16]*channel{}
	c.mu.Unlock()
	for _, ch := range chans {
		ch.release()
	}
	if c.vh != nil {
		c.vh.deleteExclusive(c)
	}
}

// drainTimeout bounds how long a connection closed by its client is read
// after close-ok, waiting for the client to close the socket (RabbitMQ's
// CLOSING_TIMEOUT; the heartbeat interval when that is shorter).
const drainTimeout = 30 * time.Second

// drainUntilClosed reads and discards what the client still sends after
// close-ok until it closes the socket, as RabbitMQ's reader does in its
// "closed" state, so that the client's last writes are not answered with
// a TCP reset. Shutdown cuts the wait short (forceClose's deadline).
func (c *conn) drainUntilClosed() {
	d := drainTimeout
	if hb := time.Duration(c.heartbeat.Load()) * time.Second; hb > 0 && hb < d {
		d = hb
	}
	c.setReadDeadline(time.Now().Add(d))
	io.Copy(io.Discard, c.nc)
}

// forceClose closes the connection from the server's side (shutdown):
// connection.close, then the socket once the client answers or a timeout
// passes.
func (c *conn) forceClose(code uint16, text string) {
	c.quitOnce.Do(func() { close(c.quit) })
	if c.closing.Swap(true) {
		c.closeDeadline()
		return
	}
	c.sendMethod(0, &wire.ConnectionClose{ReplyCode: code, ReplyText: text})
	c.closeDeadline()
}

// notifyBlocked tells a client that supports it that publishing is blocked
// (memory alarm) or unblocked.
func (c *conn) notifyBlocked(on bool) {
	if !c.capBlocked {
		return
	}
	c.outMu.Lock()
	if c.blockedSent == on {
		c.outMu.Unlock()
		return
	}
	c.blockedSent = on
	c.outMu.Unlock()
	if on {
		c.sendMethod(0, &wire.ConnectionBlocked{Reason: c.s.blockedReason()})
	} else {
		c.sendMethod(0, &wire.ConnectionUnblocked{})
	}
}

// loop reads frames until the connection ends.
func (c *conn) loop() error {
	r := c.r
	c.markHandled(protocolHeaderSize + r.Consumed()) // the handshake
	hb := time.Duration(c.heartbeat.Load()) * time.Second
	c.renewDeadline.Store(true)
	for {
		// a peer silent for two heartbeat intervals is gone. The deadline
		// is renewed at the first frame after each of the writer's ticks
		// (every hb/2), so it always lies at least 1.5 intervals after
		// the last frame received, and after a flow-control or memory
		// alarm hold the first read renews it.
		if hb > 0 && c.renewDeadline.Load() && !c.closing.Load() {
			c.renewDeadline.Store(false)
			c.setReadDeadline(time.Now().Add(2 * hb))
		}
		if c.outLen.Load() >= outHoldFrames || c.outBytes.Load() > outHoldBytes {
			c.waitForWriter()
		}
		f, err := r.ReadFrame()
		if err != nil {
			var we *wire.Error
			if errors.As(err, &we) && !c.closing.Load() {
				c.connectionError(we, 0, 0)
				continue
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() && !c.closing.Load() {
				c.s.log.Info("missed heartbeats from client, closing connection", "conn", c.id, "timeout", 2*hb)
			}
			return err
		}
		done, err := c.handleLocked(f)
		c.markHandled(protocolHeaderSize + r.Consumed())
		if err != nil || done {
			return err
		}
	}
}

// waitForWriter holds the reader while the outgoing queue is over its
// hold marks: the client is not reading what it asked for. It holds no
// lock; the server closing the connection lets it go.
func (c *conn) waitForWriter() {
	for !c.closing.Load() && (c.outLen.Load() >= outHoldFrames || c.outBytes.Load() > outHoldBytes) {
		select {
		case <-c.drained:
		case <-c.quit:
			return
		}
	}
}

// connectionError closes the connection with a hard error: connection.close
// now, the socket once close-ok arrives (or after a timeout).
func (c *conn) connectionError(e *wire.Error, classID, methodID uint16) {
	if c.closing.Swap(true) {
		return
	}
	c.s.log.Debug("connection error", "conn", c.id, "code", e.Code, "text", e.Text)
	c.sendMethod(0, &wire.ConnectionClose{ReplyCode: e.Code, ReplyText: e.Text, FailingClassID: classID, FailingMethodID: methodID})
	c.closeDeadline()
}

// setReadDeadline sets the socket's read deadline, but never past the one
// a connection.close set (closeDeadline): neither the handshake nor a
// heartbeat renewal may make the wait for close-ok unbounded (Shutdown
// waits for it).
func (c *conn) setReadDeadline(t time.Time) {
	c.deadlineMu.Lock()
	defer c.deadlineMu.Unlock()
	if !c.closeBy.IsZero() && (t.IsZero() || t.After(c.closeBy)) {
		t = c.closeBy
	}
	c.nc.SetReadDeadline(t)
}

// closeDeadline bounds the wait for close-ok once connection.close is
// sent: closeOkTimeout from the first close.
func (c *conn) closeDeadline() {
	c.deadlineMu.Lock()
	defer c.deadlineMu.Unlock()
	if c.closeBy.IsZero() {
		c.closeBy = time.Now().Add(closeOkTimeout)
	}
	c.nc.SetReadDeadline(c.closeBy)
}

// handleLocked is handleFrame under handleMu, which a panic (run's
// recover) must not leave held: teardown takes it.
func (c *conn) handleLocked(f wire.Frame) (done bool, err error) {
	c.handleMu.Lock()
	defer c.handleMu.Unlock()
	return c.handleFrame(f)
}

// handleFrame dispatches one frame; done reports that the connection is
// over (close-ok exchanged).
func (c *conn) handleFrame(f wire.Frame) (done bool, err error) {
	if c.closing.Load() {
		// after connection.close only close/close-ok matter
		if f.Type != wire.FrameMethod || f.Channel != 0 {
			return false, nil
		}
		m, err := wire.ParseMethod(f.Payload)
		if err != nil {
			return false, nil
		}
		switch m.(type) {
		case *wire.ConnectionCloseOk:
			return true, nil
		case *wire.ConnectionClose:
			c.sendMethod(0, &wire.ConnectionCloseOk{})
			return true, nil
		}
		return false, nil
	}
	switch f.Type {
	case wire.FrameHeartbeat:
		if f.Channel != 0 {
			// heartbeats belong to channel 0; RabbitMQ's reader treats
			// one elsewhere as an unexpected frame
			c.connectionError(wire.Errorf(wire.UnexpectedFrame, "type %d, %s", f.Type, erlangOctets(f.Payload)), 0, 0)
		}
		return false, nil
	case wire.FrameMethod:
		m, err := wire.ParseMethod(f.Payload)
		if err != nil {
			var we *wire.Error
			if !errors.As(err, &we) {
				we = wire.Errorf(wire.FrameError, "%v", err)
			}
			c.connectionError(we, 0, 0)
			return false, nil
		}
		if f.Channel == 0 {
			return c.handleConnectionMethod(m)
		}
		c.handleChannelMethod(f.Channel, m)
		return false, nil
	case wire.FrameHeader, wire.FrameBody:
		if f.Channel == 0 {
			c.connectionError(wire.Errorf(wire.CommandInvalid, "unexpected content frame on channel 0"), 0, 0)
			return false, nil
		}
		c.mu.Lock()
		ch := c.channels[f.Channel]
		c.mu.Unlock()
		if ch == nil {
			c.connectionError(wire.Errorf(wire.ChannelError, "expected 'channel.open'"), 0, 0)
			return false, nil
		}
		ch.handleContent(f)
		return false, nil
	}
	c.connectionError(wire.Errorf(wire.FrameError, "unknown frame type %d", f.Type), 0, 0)
	return false, nil
}

// erlangOctets renders a frame payload as RabbitMQ's unexpected_frame
// reply text does: "all octets = <<1,2>>", or its first 16 octets.
func erlangOctets(p []byte) string {
	what := "all"
	if len(p) > 16 {
		what, p = "first 16", p[:16]
	}
	b := []byte(what + " octets = <<")
	for i, o := range p {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendUint(b, uint64(o), 10)
	}
	return string(append(b, ">>"...))
}

// waitIfBlocked holds the reader (and so the publisher) while the memory
// alarm is on, as RabbitMQ blocks a publishing connection.
func (c *conn) waitIfBlocked() {
	if !c.s.memAlarm.Load() {
		return
	}
	// RabbitMQ tells a connection it is blocked when it publishes during
	// the alarm, not before: consumers-only connections never hear of it
	c.notifyBlocked(true)
	c.handleMu.Unlock() // the reader is between methods: nothing half done
	defer c.handleMu.Lock()
	c.held.Store(true)
	defer c.held.Store(false)
	select {
	case <-c.s.unblockedChan():
		// the alarm may have cleared before our "blocked" went out: make
		// sure "unblocked" follows it (a no-op when it already did)
		c.notifyBlocked(false)
	case <-c.quit:
	}
}
