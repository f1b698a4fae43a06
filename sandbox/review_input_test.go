package sandbox

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/warrenmq/warren/internal/testbrokers"
	"github.com/warrenmq/warren/sandbox/amqpuri"
	"github.com/warrenmq/warren/sandbox/routing"
)

// A URL Go cannot parse (a stray '%' in the password) must not be shown
// with its password: Dial's error hides it (amqpuri's tests hold Mask to
// the other shapes such a URL takes).
func TestDialHidesThePasswordOfAnUnparseableURL(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := Dial(ctx, "amqp://guest:sec%ret@127.0.0.1:1/", Options{})
	if err == nil {
		t.Fatal("Dial of an unparseable URL succeeded")
	}
	if strings.Contains(err.Error(), "sec%ret") || !strings.Contains(err.Error(), "*****") {
		t.Errorf("Dial's error shows the password or no masked URL: %v", err)
	}
	if !errors.Is(err, amqpuri.ErrInvalid) {
		t.Errorf("Dial's error on an unparseable URL is not amqpuri.ErrInvalid: %v", err)
	}
}

// Names, routing keys and header keys are AMQP short strings (255 bytes at
// most). amqp091-go kills the whole connection (501 FRAME_ERROR) when asked
// to send a longer one, so the Session refuses them first, with a message,
// and stays usable.
func TestOverlongShortStringsRefusedWithoutLosingTheConnection(t *testing.T) {
	long := strings.Repeat("k", 256)
	for _, b := range []testbrokers.Broker{testbrokers.Embedded(t)} {
		s := dial(t, b, Options{})
		q := unique("long")
		if err := s.Declare(ctxT(t), routing.Topology{Queues: []routing.Queue{{Name: q, Durable: true}}}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			call func() error
			want string
		}{
			{"publish routing key", func() error {
				_, err := s.Publish(ctxT(t), Publishing{RoutingKey: long})
				return err
			}, "routing key"},
			{"publish exchange", func() error {
				_, err := s.Publish(ctxT(t), Publishing{Exchange: long, RoutingKey: q})
				return err
			}, "exchange name"},
			{"publish header key", func() error {
				_, err := s.Publish(ctxT(t), Publishing{RoutingKey: q, Headers: routing.Table{long: 1}})
				return err
			}, "header name"},
			{"publish nested header key", func() error {
				_, err := s.Publish(ctxT(t), Publishing{RoutingKey: q, Headers: routing.Table{"a": routing.Table{long: 1}}})
				return err
			}, "header name"},
			{"declare queue", func() error {
				return s.Declare(ctxT(t), routing.Topology{Queues: []routing.Queue{{Name: long}}})
			}, "queue name"},
			{"declare binding key", func() error {
				return s.Declare(ctxT(t), routing.Topology{
					Exchanges: []routing.Exchange{{Name: "amq.direct", Type: "direct", Durable: true}},
					Queues:    []routing.Queue{{Name: q, Durable: true}},
					Bindings:  []routing.Binding{{Source: "amq.direct", Destination: q, DestinationType: "queue", RoutingKey: long}}})
			}, "routing key"},
		} {
			err := tc.call()
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "255") {
				t.Errorf("%s: %s over 255 bytes: err = %v, want one naming the %s and the limit", b.Name, tc.name, err, tc.want)
			}
			if st := s.State(); st != Connected {
				t.Fatalf("%s: %s: the connection was lost (state %v)", b.Name, tc.name, st)
			}
			if _, err := s.Publish(ctxT(t), Publishing{RoutingKey: q, Body: []byte("still here")}); err != nil {
				t.Fatalf("%s: after %s, a good publish failed: %v", b.Name, tc.name, err)
			}
		}
	}
}

// A --url pointing at something that is not an AMQP broker (an HTTP port,
// the management UI's 15672) used to fail with amqp091-go's "501 frame
// size exceeds negotiated frame_max" or "501 read tcp ...: i/o timeout",
// which does not say what to fix: the port.
func TestDialNotAnAMQPPortSaysCheckThePort(t *testing.T) {
	for _, tc := range []struct {
		name  string
		serve func(c net.Conn)
	}{
		{"answers HTTP", func(c net.Conn) { _, _ = c.Write([]byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")) }},
		{"answers nothing", func(c net.Conn) {}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() {
				defer close(done)
				c, err := ln.Accept()
				if err != nil {
					return
				}
				tc.serve(c)
				_, _ = io.Copy(io.Discard, c) // hold the connection until the client gives up
				_ = c.Close()
			}()
			defer func() { _ = ln.Close(); <-done }()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, err = Dial(ctx, "amqp://guest:guest@"+ln.Addr().String()+"/", Options{DialTimeout: 500 * time.Millisecond})
			if err == nil || !strings.Contains(err.Error(), "did not answer as an AMQP 0-9-1 broker") || !strings.Contains(err.Error(), "5672") {
				t.Fatalf("Dial = %v, want an error saying the port does not speak AMQP and naming 5672", err)
			}
		})
	}
}
