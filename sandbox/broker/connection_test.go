package broker

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/warrenmq/warren/sandbox/broker/wire"
	"github.com/warrenmq/warren/sandbox/routing"
)

func TestServerPropertiesAndTuning(t *testing.T) {
	s := startBroker(t, Options{})
	c := dial(t, s.URL())
	if c.Properties["product"] != "Warren" || c.Properties["version"] != Version {
		t.Fatalf("properties %v", c.Properties)
	}
	caps, _ := c.Properties["capabilities"].(amqp.Table)
	for _, k := range []string{"publisher_confirms", "exchange_exchange_bindings", "basic.nack", "consumer_cancel_notify", "connection.blocked", "authentication_failure_close", "per_consumer_qos"} {
		if caps[k] != true {
			t.Errorf("capability %s = %v, want true", k, caps[k])
		}
	}
	if c.Config.FrameSize != 131072 || c.Config.ChannelMax != 2047 {
		t.Errorf("negotiated frame_max %d channel_max %d, want 131072 and 2047", c.Config.FrameSize, c.Config.ChannelMax)
	}
}

func TestAuthentication(t *testing.T) {
	s := startBroker(t, Options{Users: map[string]string{"guest": "guest", "alice": "s3cret"}})
	port := s.Addr().(*net.TCPAddr).Port
	url := func(user, pass string) string { return fmt.Sprintf("amqp://%s:%s@127.0.0.1:%d/", user, pass, port) }
	if c, err := amqp.Dial(url("alice", "s3cret")); err != nil {
		t.Fatalf("PLAIN: %v", err)
	} else {
		c.Close()
	}
	c, err := amqp.DialConfig(url("alice", "s3cret"), amqp.Config{SASL: []amqp.Authentication{&amqp.AMQPlainAuth{Username: "alice", Password: "s3cret"}}})
	if err != nil {
		t.Fatalf("AMQPLAIN: %v", err)
	}
	c.Close()
	_, err = amqp.Dial(url("alice", "wrong"))
	if !errors.Is(err, amqp.ErrCredentials) {
		t.Fatalf("wrong password: %v, want 403 ACCESS_REFUSED (amqp091-go's ErrCredentials)", err)
	}
}

// The same refusal as above, read off the wire: 403 with RabbitMQ's text.
func TestBadCredentialsReplyText(t *testing.T) {
	s := startBroker(t, Options{})
	rc := rawDial(t, s)
	rc.startOk(t, "\x00guest\x00nope")
	m := rc.readMethod(t)
	cl, ok := m.(*wire.ConnectionClose)
	if !ok || cl.ReplyCode != 403 || cl.ReplyText != "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile." {
		t.Fatalf("got %#v", m)
	}
}

func TestGuestRefusedFromNonLoopback(t *testing.T) {
	ip := nonLoopbackIP()
	if ip == nil {
		t.Skip("no non-loopback address on this machine")
	}
	s := startBroker(t, Options{Listen: ip.String() + ":0", Users: map[string]string{"guest": "guest", "alice": "pw"}})
	port := s.Addr().(*net.TCPAddr).Port
	host := net.JoinHostPort(ip.String(), fmt.Sprint(port))
	if _, err := amqp.Dial("amqp://guest:guest@" + host + "/"); !errors.Is(err, amqp.ErrCredentials) {
		t.Fatalf("guest from %s: %v, want refused", ip, err)
	}
	c, err := amqp.Dial("amqp://alice:pw@" + host + "/")
	if err != nil {
		t.Fatalf("alice from %s: %v", ip, err)
	}
	c.Close()
}

func nonLoopbackIP() net.IP {
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			return n.IP
		}
	}
	return nil
}

func TestWrongProtocolHeader(t *testing.T) {
	s := startBroker(t, Options{})
	nc, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.Write([]byte("AMQP\x01\x01\x00\x0a")) // AMQP 0-10
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, err := io.ReadAll(nc)
	if err != nil || string(got) != wire.ProtocolHeader {
		t.Fatalf("got %q (%v), want the 0-9-1 header and a close", got, err)
	}
}

// rawConn is a hand-driven AMQP client, for what amqp091-go will not do
// (stay silent, send a bad password and read the close).
type rawConn struct {
	nc net.Conn
	r  *wire.Reader
	w  *wire.Writer
}

func rawDial(t *testing.T, s *Server) *rawConn {
	t.Helper()
	nc, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	rc := &rawConn{nc: nc, r: wire.NewReader(bufio.NewReader(nc), 131072), w: wire.NewWriter(nc)}
	nc.Write([]byte(wire.ProtocolHeader))
	if _, ok := rc.readMethod(t).(*wire.ConnectionStart); !ok {
		t.Fatal("no connection.start")
	}
	return rc
}

func (rc *rawConn) send(t *testing.T, m wire.Method) {
	t.Helper()
	if err := rc.w.WriteMethod(0, m); err != nil {
		t.Fatal(err)
	}
	if err := rc.w.Flush(); err != nil {
		t.Fatal(err)
	}
}

func (rc *rawConn) startOk(t *testing.T, response string) {
	rc.send(t, &wire.ConnectionStartOk{ClientProperties: routing.Table{"capabilities": routing.Table{"authentication_failure_close": true}}, Mechanism: "PLAIN", Response: response, Locale: "en_US"})
}

func (rc *rawConn) readMethod(t *testing.T) wire.Method {
	t.Helper()
	for {
		f, err := rc.r.ReadFrame()
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if f.Type != wire.FrameMethod {
			continue
		}
		m, err := wire.ParseMethod(f.Payload)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
}

func TestHeartbeatsBothWays(t *testing.T) {
	s := startBroker(t, Options{})
	rc := rawDial(t, s)
	rc.startOk(t, "\x00guest\x00guest")
	if _, ok := rc.readMethod(t).(*wire.ConnectionTune); !ok {
		t.Fatal("no connection.tune")
	}
	rc.send(t, &wire.ConnectionTuneOk{ChannelMax: 2047, FrameMax: 131072, Heartbeat: 1})
	rc.send(t, &wire.ConnectionOpen{VirtualHost: "/"})
	if _, ok := rc.readMethod(t).(*wire.ConnectionOpenOk); !ok {
		t.Fatal("no connection.open-ok")
	}
	// now stay silent: the broker sends heartbeats, then closes the socket
	// once two intervals pass without a frame from us
	start := time.Now()
	heartbeats := 0
	for {
		f, err := rc.r.ReadFrame()
		if err != nil {
			break
		}
		if f.Type == wire.FrameHeartbeat {
			heartbeats++
		}
	}
	took := time.Since(start)
	if heartbeats == 0 {
		t.Error("the broker sent no heartbeat")
	}
	if took < 1500*time.Millisecond || took > 4*time.Second {
		t.Errorf("silent client closed after %v, want about 2 heartbeat intervals (2s)", took)
	}
}

var _ = strings.Repeat

func TestVHostsAreSeparate(t *testing.T) {
	s := startBroker(t, Options{VHosts: []string{"/", "dev"}})
	port := s.Addr().(*net.TCPAddr).Port
	dev := openChannel(t, dial(t, fmt.Sprintf("amqp://guest:guest@127.0.0.1:%d/dev", port)))
	root := openChannel(t, dial(t, s.URL()))
	if _, err := dev.QueueDeclare("only-in-dev", false, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	_, err := root.QueueDeclarePassive("only-in-dev", false, false, false, false, nil)
	var ae *amqp.Error
	if !errors.As(err, &ae) || ae.Reason != "NOT_FOUND - no queue 'only-in-dev' in vhost '/'" {
		t.Fatalf("vhost '/' sees dev's queue: %v", err)
	}
}

func TestBlockedPublisherIsHeld(t *testing.T) {
	s := startBroker(t, Options{MemoryHighWatermark: 100})
	c := dial(t, s.URL())
	blocked := c.NotifyBlocked(make(chan amqp.Blocking, 2))
	watcher := dial(t, s.URL()) // consumes only: never told it is blocked
	watcherBlocked := watcher.NotifyBlocked(make(chan amqp.Blocking, 2))
	ch := openChannel(t, c)
	q := mustQueue(t, ch, nil)
	publish(t, ch, "", q, strings.Repeat("x", 200), amqp.Publishing{}) // raises the alarm
	held := make(chan error, 1)
	go func() {
		// the next publish is not routed while the alarm is on: its
		// connection stops being read, so this declare waits too
		ch.PublishWithContext(context.Background(), "", q, false, false, amqp.Publishing{Body: []byte("second")})
		_, err := ch.QueueDeclarePassive(q, false, false, true, false, nil)
		held <- err
	}()
	select {
	case b := <-blocked:
		if !b.Active || b.Reason != "low on memory" {
			t.Fatalf("got %+v", b)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no connection.blocked for the publishing connection")
	}
	select {
	case err := <-held:
		t.Fatalf("the blocked connection was served (%v)", err)
	case <-time.After(200 * time.Millisecond):
	}
	// the queue is drained (from inside: its own connection is held and
	// it is exclusive): the alarm clears, the publisher goes on
	s.lookupVHost("/").mu.RLock()
	qq := s.lookupVHost("/").queues[q]
	s.lookupVHost("/").mu.RUnlock()
	qq.purge()
	select {
	case b := <-blocked:
		if b.Active {
			t.Fatalf("got %+v, want unblocked", b)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no connection.unblocked")
	}
	select {
	case err := <-held:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("publisher still held after the alarm cleared")
	}
	select {
	case b := <-watcherBlocked:
		t.Fatalf("a connection that never published was told %+v", b)
	default:
	}
}
