package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/warrenmq/warren/internal/brokertest"
)

// rabbitAddr is the live RabbitMQ's host:port; the test skips when it is
// unreachable, unless WARREN_REQUIRE_RABBITMQ=1 (see internal/brokertest).
func rabbitAddr(t *testing.T) (addr, user, pass string) {
	t.Helper()
	raw := brokertest.LiveOrSkip(t)
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("AMQP_URL %q: %v", raw, err)
	}
	addr = u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "5672")
	}
	user, pass = "guest", "guest"
	if u.User != nil {
		user = u.User.Username()
		pass, _ = u.User.Password()
	}
	return addr, user, pass
}

// rawConn is a connection to RabbitMQ driven frame by frame with this
// codec, so that a test can send what no client library would.
type rawConn struct {
	t    *testing.T
	c    net.Conn
	r    *Reader
	w    *Writer
	tune ConnectionTune
}

func dialRaw(t *testing.T) *rawConn {
	addr, user, pass := rabbitAddr(t)
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	rc := &rawConn{t: t, c: c, r: NewReader(c, 0), w: NewWriter(c)}
	if _, err := c.Write([]byte(ProtocolHeader)); err != nil {
		t.Fatal(err)
	}
	rc.expect(&ConnectionStart{})
	rc.send(0, &ConnectionStartOk{Mechanism: "PLAIN", Response: "\x00" + user + "\x00" + pass, Locale: "en_US"})
	tune := rc.expect(&ConnectionTune{}).(*ConnectionTune)
	rc.tune = *tune
	rc.send(0, &ConnectionTuneOk{ChannelMax: tune.ChannelMax, FrameMax: tune.FrameMax, Heartbeat: 0})
	rc.send(0, &ConnectionOpen{VirtualHost: "/"})
	rc.expect(&ConnectionOpenOk{})
	rc.send(1, &ChannelOpen{})
	rc.expect(&ChannelOpenOk{})
	return rc
}

func (rc *rawConn) send(ch uint16, m Method) {
	rc.t.Helper()
	if err := rc.w.WriteMethod(ch, m); err != nil {
		rc.t.Fatal(err)
	}
	if err := rc.w.Flush(); err != nil {
		rc.t.Fatal(err)
	}
}

func (rc *rawConn) expect(want Method) Method {
	rc.t.Helper()
	for {
		f, err := rc.r.ReadFrame()
		if err != nil {
			rc.t.Fatalf("waiting for %s: %v", want.Name(), err)
		}
		if f.Type == FrameHeartbeat {
			continue
		}
		m, err := ParseMethod(f.Payload)
		if err != nil {
			rc.t.Fatalf("RabbitMQ sent a frame this codec cannot parse: %v", err)
		}
		if m.ClassID() != want.ClassID() || m.MethodID() != want.MethodID() {
			rc.t.Fatalf("got %s %+v, want %s", m.Name(), m, want.Name())
		}
		return m
	}
}

var unwrapErlang = regexp.MustCompile(`\n *`)

// What RabbitMQ answers to malformed input is what this codec's errors say,
// code and words, so the embedded broker (which forwards them) answers alike.
func TestErrorsMatchRabbitMQ(t *testing.T) {
	// Uniquely named, though no case lets RabbitMQ create the queue.
	queue := fmt.Sprintf("warren-wire-malformed-%d", time.Now().UnixNano())
	declare := AppendMethod(nil, &QueueDeclare{Queue: queue, Durable: true})
	frameOf := func(typ uint8, ch uint16, payload []byte, end byte) []byte {
		b := []byte{typ, byte(ch >> 8), byte(ch)}
		b = binary.BigEndian.AppendUint32(b, uint32(len(payload)))
		return append(append(b, payload...), end)
	}
	tests := []struct {
		name  string
		bytes func(frameMax uint32) []byte
		// reset: RabbitMQ drops the connection without a connection.close
		// (its channel process crashes); the codec must still refuse.
		reset bool
	}{
		{"queue.declare cut short", func(uint32) []byte { return frameOf(FrameMethod, 1, declare[:8], FrameEnd) }, false},
		{"bad frame end", func(uint32) []byte { return frameOf(FrameMethod, 1, declare, 0xCD) }, false},
		{"frame larger than frame_max", func(fm uint32) []byte {
			b := []byte{FrameBody, 0, 1}
			return binary.BigEndian.AppendUint32(b, fm+1)
		}, false},
		{"unknown frame type", func(uint32) []byte { return frameOf(7, 1, []byte("hi"), FrameEnd) }, false},
		{"unknown method of basic", func(uint32) []byte { return frameOf(FrameMethod, 1, []byte{0, 60, 0, 99}, FrameEnd) }, true},
		{"unknown class", func(uint32) []byte { return frameOf(FrameMethod, 1, []byte{0, 70, 0, 10, 0, 0}, FrameEnd) }, true},
		{"method frame of 3 bytes", func(uint32) []byte { return frameOf(FrameMethod, 1, []byte{0, 60, 0}, FrameEnd) }, false},
		{"bad value type in queue.declare arguments", func(uint32) []byte {
			b := AppendMethod(nil, &QueueDeclare{Queue: queue})
			b = append(b[:len(b)-4], 0, 0, 0, 3, 1, 'k', 'Z')
			return frameOf(FrameMethod, 1, b, FrameEnd)
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := dialRaw(t)
			defer rc.c.Close()
			in := tt.bytes(rc.tune.FrameMax)
			if _, err := rc.c.Write(in); err != nil {
				t.Fatal(err)
			}
			// Our side: the same bytes through our reader and parser.
			r := NewReader(bytes.NewReader(in), rc.tune.FrameMax)
			var ours *Error
			f, err := r.ReadFrame()
			if err == nil {
				_, err = ParseMethod(f.Payload)
			}
			if !errors.As(err, &ours) {
				t.Fatalf("the codec accepted what RabbitMQ refuses (codec: %v)", err)
			}
			if tt.reset {
				if _, err := rc.r.ReadFrame(); err == nil {
					t.Fatal("RabbitMQ answered instead of dropping the connection: update this case")
				}
				return
			}
			closeM := rc.expect(&ConnectionClose{}).(*ConnectionClose)
			rc.send(0, &ConnectionCloseOk{})
			// Erlang's ~p wraps a long term onto an indented new line;
			// that layout is not worth imitating.
			theirs := unwrapErlang.ReplaceAllString(closeM.ReplyText, "")
			if ours.Code != closeM.ReplyCode || ours.Text != theirs {
				t.Errorf("RabbitMQ: %d %q\ncodec:    %d %q", closeM.ReplyCode, closeM.ReplyText, ours.Code, ours.Text)
			}
			if ours.ClassID != closeM.FailingClassID || ours.MethodID != closeM.FailingMethodID {
				t.Errorf("RabbitMQ names method %d.%d, the codec %d.%d", closeM.FailingClassID, closeM.FailingMethodID, ours.ClassID, ours.MethodID)
			}
		})
	}
}

// RabbitMQ still speaks AMQP 0-8's access.request; the codec encodes it and
// decodes RabbitMQ's answer.
func TestAccessRequestAgainstRabbitMQ(t *testing.T) {
	rc := dialRaw(t)
	defer rc.c.Close()
	rc.send(1, &AccessRequest{Realm: "/data", Active: true, Read: true})
	ok := rc.expect(&AccessRequestOk{}).(*AccessRequestOk)
	if ok.Ticket != 1 {
		t.Errorf("ticket %d, want RabbitMQ's 1", ok.Ticket)
	}
	rc.send(0, &ConnectionClose{ReplyCode: ReplySuccess, ReplyText: "bye"})
	rc.expect(&ConnectionCloseOk{})
}
