package testbrokers

import (
	"net"
	"net/url"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Both always holds a working embedded broker, stopped when the test
// ends, and holds the live RabbitMQ only when it is reachable.
func TestBothStartsTheEmbeddedOne(t *testing.T) {
	t.Setenv("AMQP_URL", "amqp://guest:guest@127.0.0.1:1/")
	t.Setenv("WARREN_REQUIRE_RABBITMQ", "")
	var brokerURL string
	t.Run("inner", func(t *testing.T) {
		bs := Both(t)
		if len(bs) != 1 || bs[0].Name != "embedded" || bs[0].Label != "embedded" || bs[0].Server == nil || bs[0].URL != bs[0].Server.URL() {
			t.Fatalf("Both with RabbitMQ unreachable = %+v, want the embedded broker alone", bs)
		}
		if err := dialTCP(bs[0].URL); err != nil {
			t.Fatalf("the embedded broker at %s does not accept connections: %v", bs[0].URL, err)
		}
		brokerURL = bs[0].URL
	})
	if dialTCP(brokerURL) == nil {
		t.Errorf("the embedded broker at %s still accepts connections after its test ended", brokerURL)
	}
}

// dialTCP reports whether something accepts TCP connections at the URL's
// address.
func dialTCP(amqpURL string) error {
	u, err := url.Parse(amqpURL)
	if err != nil {
		return err
	}
	c, err := net.DialTimeout("tcp", u.Host, 2*time.Second)
	if err != nil {
		return err
	}
	return c.Close()
}
