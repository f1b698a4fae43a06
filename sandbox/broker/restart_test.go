package broker

import (
	"errors"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/warrenmq/warren/sandbox/definitions"
)

// TestRestartKeepsWhatADiskWouldHold restarts a broker in place, in memory
// and from a data directory, and expects the same survivors from both: the
// durable exchange, queue and binding, the persistent message and the
// unacked one (redelivered); not the transient message, nor the
// non-durable, exclusive and auto-delete queues, nor the transient
// exchange.
func TestRestartKeepsWhatADiskWouldHold(t *testing.T) {
	for _, tc := range []struct{ name, dir string }{{"in-memory", ""}, {"data-dir", t.TempDir()}} {
		t.Run(tc.name, func(t *testing.T) {
			s := startBroker(t, Options{DataDir: tc.dir})
			url := s.URL()
			conn := dial(t, url)
			ch := openChannel(t, conn)
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			declare := func(name string, durable, autoDelete, exclusive bool) {
				t.Helper()
				_, err := ch.QueueDeclare(name, durable, autoDelete, exclusive, false, nil)
				must(err)
			}
			must(ch.ExchangeDeclare("keep-x", "direct", true, false, false, false, nil))
			must(ch.ExchangeDeclare("lose-x", "direct", false, false, false, false, nil))
			declare("durable-q", true, false, false)
			declare("transient-q", false, false, false)
			declare("exclusive-q", true, false, true)
			declare("autodelete-q", true, true, false)
			declare("held-q", true, false, false)
			must(ch.QueueBind("durable-q", "k", "keep-x", false, nil))
			publishConfirmed(t, ch, "keep-x", "k", amqp.Persistent, "p1")
			publishConfirmed(t, ch, "keep-x", "k", amqp.Transient, "t1")
			publishConfirmed(t, ch, "", "transient-q", amqp.Persistent, "p-in-transient")
			publishConfirmed(t, ch, "", "held-q", amqp.Persistent, "held")

			// an auto-delete queue with a consumer, and a consumer holding
			// "held" unacked when the broker stops
			cons := openChannel(t, conn)
			_, err := cons.Consume("autodelete-q", "ad", true, false, false, false, nil)
			must(err)
			must(cons.Qos(1, 0, false))
			held, err := cons.Consume("held-q", "holder", false, false, false, false, nil)
			must(err)
			select {
			case d := <-held:
				if string(d.Body) != "held" || d.Redelivered {
					t.Fatalf("first delivery: %q redelivered=%v", d.Body, d.Redelivered)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("no delivery from held-q")
			}
			closed := conn.NotifyClose(make(chan *amqp.Error, 1))

			if err := s.Restart(); err != nil {
				t.Fatal(err)
			}
			select {
			case e := <-closed:
				if e == nil || e.Code != 320 {
					t.Fatalf("connection closed with %v, want 320 CONNECTION_FORCED", e)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the client's connection was not closed by the restart")
			}
			if s.URL() != url {
				t.Fatalf("URL after restart %s, want the same %s", s.URL(), url)
			}

			conn2 := dial(t, url)
			ready := func(name string) (int, error) {
				c := openChannel(t, conn2)
				defer c.Close()
				q, err := c.QueueDeclarePassive(name, false, false, false, false, nil)
				return q.Messages, err
			}
			for name, want := range map[string]int{"durable-q": 1, "held-q": 1} {
				n, err := ready(name)
				if err != nil || n != want {
					t.Errorf("%s after restart: %d ready, err %v; want %d", name, n, err, want)
				}
			}
			for _, name := range []string{"transient-q", "exclusive-q", "autodelete-q"} {
				var ae *amqp.Error
				if _, err := ready(name); !errors.As(err, &ae) || ae.Code != 404 {
					t.Errorf("%s after restart: err %v, want 404 NOT_FOUND", name, err)
				}
			}
			c := openChannel(t, conn2)
			must(c.ExchangeDeclarePassive("keep-x", "direct", true, false, false, false, nil))
			var ae *amqp.Error
			if err := openChannel(t, conn2).ExchangeDeclarePassive("lose-x", "direct", false, false, false, false, nil); !errors.As(err, &ae) || ae.Code != 404 {
				t.Errorf("transient exchange after restart: err %v, want 404", err)
			}

			got := func(q string) amqp.Delivery {
				t.Helper()
				d, ok, err := c.Get(q, true)
				if err != nil || !ok {
					t.Fatalf("basic.get %s: ok=%v err=%v", q, ok, err)
				}
				return d
			}
			if d := got("durable-q"); string(d.Body) != "p1" || d.Redelivered {
				t.Errorf("durable-q: %q redelivered=%v, want p1 not redelivered", d.Body, d.Redelivered)
			}
			if d := got("held-q"); string(d.Body) != "held" || !d.Redelivered {
				t.Errorf("held-q: %q redelivered=%v, want held redelivered", d.Body, d.Redelivered)
			}
			// the binding survived: keep-x still routes to durable-q
			publishConfirmed(t, c, "keep-x", "k", amqp.Persistent, "p2")
			if d := got("durable-q"); string(d.Body) != "p2" {
				t.Errorf("after restart keep-x routed %q to durable-q, want p2", d.Body)
			}
		})
	}
}

func TestRestartRefusedWhenNotRunning(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Restart(); err == nil {
		t.Fatal("Restart before Start: no error")
	}
	s = startBroker(t, Options{})
	s.Shutdown()
	if err := s.Restart(); err == nil {
		t.Fatal("Restart after Shutdown: no error")
	}
}

// An in-memory restart keeps users and permissions, the order of a
// queue's persistent messages, and every message of a quorum queue
// (RabbitMQ keeps them all on disk), transient ones included.
func TestRestartInMemoryKeepsUsersOrderAndQuorumMessages(t *testing.T) {
	s := startBroker(t, Options{})
	if err := s.PutUser(definitions.User{Name: "ada", Password: "s3cret"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPermission(definitions.Permission{User: "ada", VHost: "/", Configure: ".*", Write: ".*", Read: ".*"}); err != nil {
		t.Fatal(err)
	}
	ch := openChannel(t, dial(t, s.URL()))
	if _, err := ch.QueueDeclare("ordered", true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := ch.QueueDeclare("quorum", true, false, false, false, amqp.Table{"x-queue-type": "quorum"}); err != nil {
		t.Fatal(err)
	}
	publishConfirmed(t, ch, "", "ordered", amqp.Persistent, "m1")
	publishConfirmed(t, ch, "", "ordered", amqp.Transient, "lost")
	publishConfirmed(t, ch, "", "ordered", amqp.Persistent, "m2", "m3")
	publishConfirmed(t, ch, "", "quorum", amqp.Transient, "q1")
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	u := strings.Replace(s.URL(), "guest:guest", "ada:s3cret", 1)
	c := openChannel(t, dial(t, u)) // ada can still log in
	var got []string
	for {
		d, ok, err := c.Get("ordered", true)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		got = append(got, string(d.Body))
	}
	if strings.Join(got, ",") != "m1,m2,m3" {
		t.Errorf("ordered after the restart: %v, want m1,m2,m3", got)
	}
	if d, ok, err := c.Get("quorum", true); err != nil || !ok || string(d.Body) != "q1" {
		t.Errorf("quorum after the restart: %q ok=%v err=%v, want q1", d.Body, ok, err)
	}
}
