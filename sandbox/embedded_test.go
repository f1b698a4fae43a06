package sandbox

import (
	"strings"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"
)

func TestStartEmbeddedAcceptsAMQPClients(t *testing.T) {
	srv, err := StartEmbedded()
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
