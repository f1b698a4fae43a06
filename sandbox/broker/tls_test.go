package broker

import (
	"crypto/tls"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/warrenmq/warren/internal/brokertest"
)

func TestAMQPS(t *testing.T) {
	certs := brokertest.TLSCerts(t)
	s := startBroker(t, Options{TLS: certs.Server, TLSListen: "127.0.0.1:0"})
	if !strings.HasPrefix(s.TLSURL(), "amqps://guest:guest@127.0.0.1:") {
		t.Fatalf("TLSURL %q", s.TLSURL())
	}
	c, err := amqp.DialTLS(s.TLSURL(), certs.Client)
	if err != nil {
		t.Fatalf("amqps: %v", err)
	}
	defer c.Close()
	ch := openChannel(t, c)
	if _, err := ch.QueueDeclare("tls-q", false, true, false, false, nil); err != nil {
		t.Fatal(err)
	}
	if err := ch.Publish("", "tls-q", false, false, amqp.Publishing{Body: []byte("secret")}); err != nil {
		t.Fatal(err)
	}
	d := recv(t, mustConsume(t, ch, "tls-q", true))
	if string(d.Body) != "secret" {
		t.Errorf("got %q", d.Body)
	}
	var sawTLS bool
	for _, ci := range s.Connections() {
		sawTLS = sawTLS || ci.TLS
	}
	if !sawTLS {
		t.Error("the amqps connection is not listed as TLS")
	}
	// the plain port still speaks plain AMQP
	dial(t, s.URL()).Close()

	// a client that does not trust the CA is refused in the TLS handshake
	_, err = amqp.DialTLS(s.TLSURL(), &tls.Config{MinVersion: tls.VersionTLS12})
	if err == nil || !strings.Contains(err.Error(), "certificate signed by unknown authority") {
		t.Errorf("an untrusting client: %v", err)
	}
	// plain AMQP on the amqps port gets nowhere: the broker waits for a
	// TLS client hello
	_, err = amqp.DialConfig(strings.Replace(s.TLSURL(), "amqps://", "amqp://", 1), amqp.Config{Dial: amqp.DefaultDial(2 * time.Second)})
	if err == nil {
		t.Error("plain AMQP on the amqps port worked")
	}
}

func TestTLSNeedsACertificate(t *testing.T) {
	s, err := New(Options{TLS: &tls.Config{}, TLSListen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown()
	if err := s.Start(); err == nil || !strings.Contains(err.Error(), "TLS needs a certificate") {
		t.Errorf("Start = %v", err)
	}
}
