package broker

import (
	"net"
	"strings"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Start with the zero Options is what the CLI runs when no --url is given:
// a loopback guest URL that an AMQP client can dial straight away.
func TestStartAcceptsAMQPClients(t *testing.T) {
	srv, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	if !strings.HasPrefix(srv.URL(), "amqp://guest:guest@127.0.0.1:") {
		t.Fatalf("URL %q: want a loopback guest URL", srv.URL())
	}
	c, err := amqp.Dial(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := c.Properties["product"]; got != "Warren" {
		t.Fatalf("product %v, want Warren", got)
	}
}

// Start says why it could not start, and leaves nothing running.
func TestStartRefusals(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"taken address", Options{Listen: taken.Addr().String()}, "broker: listen on " + taken.Addr().String()},
		{"malformed address", Options{Listen: "127.0.0.1"}, "missing port in address"},
		{"negative watermark", Options{MemoryHighWatermark: -1}, "MemoryHighWatermark -1 is negative"},
	} {
		srv, err := Start(tc.opts)
		if err == nil {
			srv.Shutdown()
			t.Errorf("%s: Start succeeded", tc.name)
		} else if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want it to say %q", tc.name, err, tc.want)
		}
	}
}
