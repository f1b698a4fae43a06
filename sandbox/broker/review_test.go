package broker

import (
	"bufio"
	"context"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/warrenmq/warren/sandbox/broker/wire"
	"github.com/warrenmq/warren/sandbox/routing"
)

// pipeClient connects a hand-driven client to s through net.Pipe, which
// buffers nothing: a client that stops reading blocks the broker's writer
// at once, which is what a slow or stuck client looks like once the
// kernel's socket buffers are full.
func pipeClient(t *testing.T, s *Server, user, pass string) *rawConn {
	t.Helper()
	client, server := net.Pipe()
	t.Cleanup(func() { client.Close() })
	if !s.serveConn(server) {
		t.Fatal("the broker refused the connection")
	}
	rc := &rawConn{nc: client, r: wire.NewReader(bufio.NewReader(client), 131072), w: wire.NewWriter(client)}
	client.SetDeadline(time.Now().Add(10 * time.Second))
	client.Write([]byte(wire.ProtocolHeader))
	if _, ok := rc.readMethod(t).(*wire.ConnectionStart); !ok {
		t.Fatal("no connection.start")
	}
	rc.send(t, &wire.ConnectionStartOk{ClientProperties: routing.Table{}, Mechanism: "PLAIN", Response: "\x00" + user + "\x00" + pass, Locale: "en_US"})
	if _, ok := rc.readMethod(t).(*wire.ConnectionTune); !ok {
		t.Fatal("no connection.tune")
	}
	rc.send(t, &wire.ConnectionTuneOk{ChannelMax: 2047, FrameMax: 131072})
	rc.send(t, &wire.ConnectionOpen{VirtualHost: "/"})
	if _, ok := rc.readMethod(t).(*wire.ConnectionOpenOk); !ok {
		t.Fatal("no connection.open-ok")
	}
	return rc
}

func onlyConn(t *testing.T, s *Server) *conn {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.conns) != 1 {
		t.Fatalf("%d connections, want 1", len(s.conns))
	}
	for c := range s.conns {
		return c
	}
	return nil
}

// TestClientThatNeverReadsIsNotBufferedForever: a client that sends
// methods but never reads the replies must not make the broker queue
// replies without bound: the broker stops reading it (TCP back-pressure,
// as RabbitMQ's reader does when its writer is stuck), so the outgoing
// queue stays bounded, in frames and in returned bodies, and the client's
// own writes block. Shutdown still returns.
func TestClientThatNeverReadsIsNotBufferedForever(t *testing.T) {
	body := make([]byte, 1<<20)
	cases := []struct {
		name     string
		requests int
		write    func(w *wire.Writer) error
	}{
		{"small replies (channel.flow-ok)", 100_000, func(w *wire.Writer) error {
			return w.WriteMethod(1, &wire.ChannelFlow{Active: true})
		}},
		{"returned 1 MiB bodies (mandatory, unroutable)", 200, func(w *wire.Writer) error {
			if err := w.WriteMethod(1, &wire.BasicPublish{RoutingKey: "no-such-queue", Mandatory: true}); err != nil {
				return err
			}
			return w.WriteContent(1, 60, wire.Properties{}, body, 131072)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // each waits out Shutdown's close-ok timeout
			s := startBroker(t, Options{Users: map[string]string{"u": "p"}})
			rc := pipeClient(t, s, "u", "p")
			if err := rc.w.WriteMethod(1, &wire.ChannelOpen{}); err != nil {
				t.Fatal(err)
			}
			// from now on the client never reads
			rc.nc.SetWriteDeadline(time.Now().Add(time.Second))
			var err error
			for sent := 0; sent < tc.requests && err == nil; sent++ {
				if err = tc.write(rc.w); err == nil && sent%64 == 0 {
					err = rc.w.Flush()
				}
			}
			if err == nil {
				err = rc.w.Flush()
			}
			c := onlyConn(t, s)
			frames, bytes := int(c.outLen.Load()), c.outBytes.Load()
			if err == nil {
				t.Fatalf("the broker read all %d requests of a client that never reads, and queued %d frames (%d returned bytes) for it", tc.requests, frames, bytes)
			}
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("client write: %v", err)
			}
			if frames > outHoldFrames+backlogHigh || bytes > outHoldBytes+int64(len(body)) {
				t.Fatalf("%d frames, %d returned bytes queued for a client that never reads; want at most %d, %d",
					frames, bytes, outHoldFrames+backlogHigh, outHoldBytes+int64(len(body)))
			}
			// Shutdown still returns, though this client neither reads
			// nor answers connection.close
			done := make(chan struct{})
			go func() { s.Shutdown(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Shutdown did not return while a client was not reading")
			}
		})
	}
}

// TestInternalErrorClosesOnlyThatConnection: a bug met while handling a
// client's frame (here a queue whose state is broken on purpose) must
// close that connection with 541 INTERNAL_ERROR, as RabbitMQ does when a
// channel process crashes, and not take the process, its other clients
// and the learner's session down with it.
func TestInternalErrorClosesOnlyThatConnection(t *testing.T) {
	s := startBroker(t, Options{})
	v := s.lookupVHost("/")
	qa, _ := parseQueueArgs(nil, "broken")
	v.mu.Lock()
	v.queues["broken"] = &queue{name: "broken", qa: qa} // no vhost: enqueue dereferences nil
	v.mu.Unlock()
	t.Cleanup(func() {
		v.mu.Lock()
		delete(v.queues, "broken")
		v.mu.Unlock()
	})

	bystander := dial(t, s.URL())
	bch := openChannel(t, bystander)

	c := dial(t, s.URL())
	closed := c.NotifyClose(make(chan *amqp.Error, 1))
	ch := openChannel(t, c)
	ch.PublishWithContext(context.Background(), "", "broken", false, false, amqp.Publishing{Body: []byte("x")})
	select {
	case e := <-closed:
		if e == nil || e.Code != wire.InternalError {
			t.Fatalf("connection closed with %v, want 541 INTERNAL_ERROR", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the connection was not closed")
	}
	// the broker and its other clients go on
	q := mustQueue(t, bch, nil)
	publish(t, bch, "", q, "still here", amqpPublishing())
	if d := mustGet(t, bch, q); string(d.Body) != "still here" {
		t.Fatalf("got %q", d.Body)
	}
}

// TestTxAckIsTakenAtOnceAndRestoredByRollback: in a transaction an ack
// takes its delivery off the unacked list at once (acking it again is an
// unknown tag, see the error cases), tx.rollback gives it back to the
// client to settle again, and a channel closed with an uncommitted ack
// requeues the delivery.
func TestTxAckIsTakenAtOnceAndRestoredByRollback(t *testing.T) {
	forBoth(t, func(t *testing.T, b testBroker) {
		c := dial(t, b.url)
		ch := openChannel(t, c)
		q := mustQueue(t, ch, nil)
		tx := openChannel(t, c)
		if err := tx.Tx(); err != nil {
			t.Fatal(err)
		}
		for _, body := range []string{"one", "two"} {
			publish(t, tx, "", q, body, amqp.Publishing{})
		}
		if err := tx.TxCommit(); err != nil {
			t.Fatal(err)
		}
		one, two := mustGet(t, tx, q), mustGet(t, tx, q)
		if err := one.Ack(false); err != nil {
			t.Fatal(err)
		}
		if err := tx.TxRollback(); err != nil {
			t.Fatal(err)
		}
		// rolled back: tag one is the client's again, so acking it is fine
		if err := one.Ack(false); err != nil {
			t.Fatal(err)
		}
		if err := tx.TxCommit(); err != nil {
			t.Fatalf("commit after acking a rolled-back delivery again: %v", err)
		}
		two.Ack(false) // never committed
		if err := tx.Close(); err != nil {
			t.Fatal(err)
		}
		// "two" comes back, redelivered; "one" is gone
		d := recv(t, mustConsume(t, ch, q, true))
		if string(d.Body) != "two" || !d.Redelivered {
			t.Fatalf("got %q redelivered=%v, want the uncommitted \"two\" redelivered", d.Body, d.Redelivered)
		}
		if n, err := ch.QueueDeclarePassive(q, false, false, true, false, nil); err != nil || n.Messages != 0 {
			t.Fatalf("queue after: %+v %v, want empty", n, err)
		}
	})
}

// TestShutdownDuringHandshakeReturns: Shutdown closes a connection that
// is still in its handshake; a client that then completes the handshake
// and falls silent (never answering connection.close) must not keep
// Shutdown waiting: the close-ok wait is bounded whatever happens next.
func TestShutdownDuringHandshakeReturns(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	rc := rawDial(t, s)
	rc.startOk(t, "\x00guest\x00guest")
	if _, ok := rc.readMethod(t).(*wire.ConnectionTune); !ok {
		t.Fatal("no connection.tune")
	}
	done := make(chan struct{})
	go func() { s.Shutdown(); close(done) }()
	if cl, ok := rc.readMethod(t).(*wire.ConnectionClose); !ok || cl.ReplyCode != 320 {
		t.Fatalf("got %#v, want connection.close 320", cl)
	}
	// finish the handshake regardless, then stay silent
	rc.send(t, &wire.ConnectionTuneOk{ChannelMax: 2047, FrameMax: 131072, Heartbeat: 10})
	rc.send(t, &wire.ConnectionOpen{VirtualHost: "/"})
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		rc.nc.Close() // let Shutdown finish, so the leak check sees the real failure
		<-done
		t.Fatal("Shutdown did not return: a connection closed during its handshake waited for close-ok without a deadline")
	}
}
