package broker

import (
	"bufio"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/warrenmq/warren/sandbox/broker/wire"
	"github.com/warrenmq/warren/sandbox/routing"
)

// rawOpen dials the broker at amqpURL by hand (user guest), runs the
// handshake and opens channel 1: for frame sequences amqp091-go will not
// send.
func rawOpen(t *testing.T, amqpURL string) *rawConn {
	t.Helper()
	return rawOpenWith(t, amqpURL, routing.Table{})
}

// rawOpenWith is rawOpen with these client properties (capabilities).
func rawOpenWith(t *testing.T, amqpURL string, clientProps routing.Table) *rawConn {
	t.Helper()
	u, err := url.Parse(amqpURL)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := net.Dial("tcp", u.Host)
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
	pass, _ := u.User.Password()
	rc.send(t, &wire.ConnectionStartOk{ClientProperties: clientProps, Mechanism: "PLAIN",
		Response: "\x00" + u.User.Username() + "\x00" + pass, Locale: "en_US"})
	if _, ok := rc.readMethod(t).(*wire.ConnectionTune); !ok {
		t.Fatal("no connection.tune")
	}
	rc.send(t, &wire.ConnectionTuneOk{ChannelMax: 2047, FrameMax: 131072})
	rc.send(t, &wire.ConnectionOpen{VirtualHost: "/"})
	if _, ok := rc.readMethod(t).(*wire.ConnectionOpenOk); !ok {
		t.Fatal("no connection.open-ok")
	}
	rc.w.WriteMethod(1, &wire.ChannelOpen{})
	rc.w.Flush()
	if _, ok := rc.readMethod(t).(*wire.ChannelOpenOk); !ok {
		t.Fatal("no channel.open-ok")
	}
	return rc
}

// closeReason reads until the broker closes the connection or channel 1
// and returns the close method (nil when the socket ended first).
func (rc *rawConn) closeReason(t *testing.T) wire.Method {
	t.Helper()
	for {
		f, err := rc.r.ReadFrame()
		if err != nil {
			return nil
		}
		if f.Type != wire.FrameMethod {
			continue
		}
		m, err := wire.ParseMethod(f.Payload)
		if err != nil {
			t.Fatal(err)
		}
		switch m.(type) {
		case *wire.ConnectionClose, *wire.ChannelClose:
			return m
		}
	}
}

// TestFrameSequencesAsRabbitMQ sends content and method frames out of the
// order AMQP requires and expects RabbitMQ's answer: the close, its code
// and its reply text.
func TestFrameSequencesAsRabbitMQ(t *testing.T) {
	body := func(s string) wire.Frame { return wire.Frame{Type: wire.FrameBody, Channel: 1, Payload: []byte(s)} }
	header := func(w *wire.Writer, size int) error {
		// a content header announcing size bytes, and no body
		return w.WriteFrame(wire.Frame{Type: wire.FrameHeader, Channel: 1,
			Payload: wire.AppendContentHeader(nil, 60, uint64(size), wire.Properties{})})
	}
	cases := []struct {
		name string
		send func(w *wire.Writer) error
		code uint16
		text string
	}{
		{"content header with no publish", func(w *wire.Writer) error {
			return header(w, 1)
		}, 505, "UNEXPECTED_FRAME - expected method frame, got non method frame instead"},
		{"body with no publish", func(w *wire.Writer) error {
			return w.WriteFrame(body("x"))
		}, 505, "UNEXPECTED_FRAME - expected method frame, got non method frame instead"},
		{"method where the content header should be", func(w *wire.Writer) error {
			w.WriteMethod(1, &wire.BasicPublish{RoutingKey: "k"})
			return w.WriteMethod(1, &wire.BasicQos{PrefetchCount: 1})
		}, 505, "UNEXPECTED_FRAME - expected content header for class 60, got non content header frame instead"},
		{"body where the content header should be", func(w *wire.Writer) error {
			w.WriteMethod(1, &wire.BasicPublish{RoutingKey: "k"})
			return w.WriteFrame(body("x"))
		}, 505, "UNEXPECTED_FRAME - expected content header for class 60, got non content header frame instead"},
		{"method where the body should be", func(w *wire.Writer) error {
			w.WriteMethod(1, &wire.BasicPublish{RoutingKey: "k"})
			header(w, 5)
			return w.WriteMethod(1, &wire.BasicQos{PrefetchCount: 1})
		}, 505, "UNEXPECTED_FRAME - expected content body, got non content body frame instead"},
		{"second content header where the body should be", func(w *wire.Writer) error {
			w.WriteMethod(1, &wire.BasicPublish{RoutingKey: "k"})
			header(w, 5)
			return header(w, 5)
		}, 505, "UNEXPECTED_FRAME - expected content body, got non content body frame instead"},
		{"content header of another class", func(w *wire.Writer) error {
			w.WriteMethod(1, &wire.BasicPublish{RoutingKey: "k"})
			return w.WriteFrame(wire.Frame{Type: wire.FrameHeader, Channel: 1,
				Payload: wire.AppendContentHeader(nil, 50, 1, wire.Properties{})})
		}, 505, "UNEXPECTED_FRAME - expected content header for class 60, got one for class 50 instead"},
		{"method on a channel never opened", func(w *wire.Writer) error {
			return w.WriteMethod(7, &wire.BasicQos{PrefetchCount: 1})
		}, 504, "CHANNEL_ERROR - expected 'channel.open'"},
		{"second channel.open", func(w *wire.Writer) error {
			return w.WriteMethod(1, &wire.ChannelOpen{})
		}, 504, "CHANNEL_ERROR - second 'channel.open' seen"},
		{"heartbeat on a channel", func(w *wire.Writer) error {
			return w.WriteFrame(wire.Frame{Type: wire.FrameHeartbeat, Channel: 1})
		}, 505, "UNEXPECTED_FRAME - type 8, all octets = <<>>"},
	}
	for _, b := range bothBrokers(t) {
		t.Run(b.name, func(t *testing.T) {
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					rc := rawOpen(t, b.url)
					if err := tc.send(rc.w); err != nil {
						t.Fatal(err)
					}
					rc.w.Flush()
					m := rc.closeReason(t)
					var code uint16
					var text string
					switch m := m.(type) {
					case *wire.ConnectionClose:
						code, text = m.ReplyCode, m.ReplyText
					case *wire.ChannelClose:
						code, text = m.ReplyCode, m.ReplyText
					}
					if _, ok := m.(*wire.ConnectionClose); !ok || code != tc.code || text != tc.text {
						t.Errorf("got %T %d %q, want connection.close %d %q", m, code, text, tc.code, tc.text)
					}
				})
			}
		})
	}
}

// TestTuneOkAsRabbitMQ: the limits a client asks for in connection.tune-ok
// are checked as RabbitMQ checks them: a channel_max or frame_max of 0 (no
// limit) or above the server's, or a frame_max below 4096, is refused.
// RabbitMQ closes the socket without a word (after a 3s delay, against
// login floods); the embedded broker says why, in the words RabbitMQ logs.
func TestTuneOkAsRabbitMQ(t *testing.T) {
	cases := []struct {
		name string
		tune wire.ConnectionTuneOk
		text string // "": accepted
	}{
		{"channel_max above the server's", wire.ConnectionTuneOk{ChannelMax: 4000, FrameMax: 131072},
			"NOT_ALLOWED - negotiated channel_max = 4000 is higher than the maximum allowed value (2047)"},
		{"channel_max 0 (no limit)", wire.ConnectionTuneOk{ChannelMax: 0, FrameMax: 131072},
			"NOT_ALLOWED - negotiated channel_max = 0 (no limit) is higher than the maximum allowed value (2047)"},
		{"frame_max above the server's", wire.ConnectionTuneOk{ChannelMax: 10, FrameMax: 131073},
			"NOT_ALLOWED - negotiated frame_max = 131073 is higher than the maximum allowed value (131072)"},
		{"frame_max 0 (no limit)", wire.ConnectionTuneOk{ChannelMax: 10, FrameMax: 0},
			"NOT_ALLOWED - negotiated frame_max = 0 (no limit) is higher than the maximum allowed value (131072)"},
		{"frame_max below the minimum", wire.ConnectionTuneOk{ChannelMax: 10, FrameMax: 4095},
			"NOT_ALLOWED - negotiated frame_max = 4095 is lower than the minimum allowed value (4096)"},
		{"the server's limits, heartbeat 0 (off)", wire.ConnectionTuneOk{ChannelMax: 2047, FrameMax: 131072}, ""},
		{"lower limits", wire.ConnectionTuneOk{ChannelMax: 1, FrameMax: 4096, Heartbeat: 30}, ""},
	}
	for _, b := range bothBrokers(t) {
		t.Run(b.name, func(t *testing.T) {
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel() // RabbitMQ takes 3s to close a refused one
					u, _ := url.Parse(b.url)
					nc, err := net.Dial("tcp", u.Host)
					if err != nil {
						t.Fatal(err)
					}
					defer nc.Close()
					nc.SetDeadline(time.Now().Add(10 * time.Second))
					rc := &rawConn{nc: nc, r: wire.NewReader(bufio.NewReader(nc), 131072), w: wire.NewWriter(nc)}
					nc.Write([]byte(wire.ProtocolHeader))
					rc.readMethod(t) // start
					pass, _ := u.User.Password()
					rc.send(t, &wire.ConnectionStartOk{ClientProperties: routing.Table{}, Mechanism: "PLAIN",
						Response: "\x00" + u.User.Username() + "\x00" + pass, Locale: "en_US"})
					rc.readMethod(t) // tune
					tune := tc.tune
					rc.send(t, &tune)
					rc.send(t, &wire.ConnectionOpen{VirtualHost: "/"})
					var m wire.Method
					for m == nil {
						f, err := rc.r.ReadFrame()
						if err != nil {
							break // the socket closed
						}
						if f.Type == wire.FrameMethod {
							if m, err = wire.ParseMethod(f.Payload); err != nil {
								t.Fatal(err)
							}
						}
					}
					_, opened := m.(*wire.ConnectionOpenOk)
					switch {
					case tc.text == "" && !opened:
						t.Fatalf("refused (%v); want it accepted", m)
					case tc.text != "" && opened:
						t.Fatalf("accepted; want it refused")
					}
					if cl, ok := m.(*wire.ConnectionClose); ok && b.name == "embedded" && (cl.ReplyCode != wire.NotAllowed || cl.ReplyText != tc.text) {
						t.Fatalf("got %d %q, want 530 %q", cl.ReplyCode, cl.ReplyText, tc.text)
					}
				})
			}
		})
	}
}

// TestChannelMaxAsRabbitMQ: channel_max limits how many channels are open
// at once, not their numbers: with channel_max 2, channel 5 opens, and a
// third channel is refused with 530 NOT_ALLOWED (a connection error).
func TestChannelMaxAsRabbitMQ(t *testing.T) {
	cases := []struct {
		name  string
		open  []uint16
		close bool // the last open is refused
	}{
		{"a number above channel_max", []uint16{5}, false},
		{"one more than channel_max", []uint16{1, 2, 3}, true},
	}
	for _, b := range bothBrokers(t) {
		t.Run(b.name, func(t *testing.T) {
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					u, _ := url.Parse(b.url)
					nc, err := net.Dial("tcp", u.Host)
					if err != nil {
						t.Fatal(err)
					}
					defer nc.Close()
					nc.SetDeadline(time.Now().Add(10 * time.Second))
					rc := &rawConn{nc: nc, r: wire.NewReader(bufio.NewReader(nc), 131072), w: wire.NewWriter(nc)}
					nc.Write([]byte(wire.ProtocolHeader))
					rc.readMethod(t) // start
					pass, _ := u.User.Password()
					rc.send(t, &wire.ConnectionStartOk{ClientProperties: routing.Table{}, Mechanism: "PLAIN",
						Response: "\x00" + u.User.Username() + "\x00" + pass, Locale: "en_US"})
					rc.readMethod(t) // tune
					rc.send(t, &wire.ConnectionTuneOk{ChannelMax: 2, FrameMax: 131072})
					rc.send(t, &wire.ConnectionOpen{VirtualHost: "/"})
					rc.readMethod(t) // open-ok
					for _, id := range tc.open {
						rc.w.WriteMethod(id, &wire.ChannelOpen{})
					}
					rc.w.Flush()
					for i, id := range tc.open {
						m := rc.readMethod(t)
						if i == len(tc.open)-1 && tc.close {
							cl, ok := m.(*wire.ConnectionClose)
							want := "NOT_ALLOWED - number of channels opened (2) has reached the negotiated channel_max (2)"
							if !ok || cl.ReplyCode != wire.NotAllowed || cl.ReplyText != want {
								t.Fatalf("channel %d: got %#v, want connection.close 530 %q", id, m, want)
							}
							return
						}
						if _, ok := m.(*wire.ChannelOpenOk); !ok {
							t.Fatalf("channel %d: got %#v, want channel.open-ok", id, m)
						}
					}
				})
			}
		})
	}
}
