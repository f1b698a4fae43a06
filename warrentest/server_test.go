package warrentest_test

import (
	"errors"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/warrenmq/warren/warrentest"
)

func TestRunTPublishConsumeAndState(t *testing.T) {
	t.Parallel()
	s := warrentest.RunT(t)
	_, ch := dial(t, s.URL())
	_, err := ch.QueueDeclare("orders", true, false, false, false, nil)
	must(t, err)
	publish(t, ch, "", "orders", "one", amqp.Publishing{Headers: amqp.Table{"n": int32(1)}, MessageId: "m1"})
	// no confirm, no round trip: the state methods wait for the broker
	s.CheckQueueLen(t, "orders", 1)
	ms, err := s.Messages("orders")
	must(t, err)
	if len(ms) != 1 || ms[0].State != "ready" || string(ms[0].Body) != "one" || ms[0].Properties.MessageID != "m1" || ms[0].Properties.Headers["n"] != int32(1) {
		t.Fatalf("messages %+v", ms)
	}
	ds, err := ch.Consume("orders", "", false, false, false, false, nil)
	must(t, err)
	d := recv(t, ds)
	ms, _ = s.Messages("orders")
	if len(ms) != 1 || ms[0].State != "unacked" || ms[0].DeliveryTag != d.DeliveryTag {
		t.Fatalf("after delivery: %+v", ms)
	}
	must(t, d.Ack(false))
	s.CheckQueueLen(t, "orders", 0)
	h := s.HistoryOf(func(r warrentest.Record) bool { return string(r.Body) == "one" })
	if len(h) != 1 {
		t.Fatalf("history %v", h)
	}
	var kinds []string
	for _, e := range h[0].Events {
		kinds = append(kinds, string(e.Kind))
	}
	if got := join(kinds); got != "published delivered acked" {
		t.Fatalf("history %s, want published delivered acked\n%s", got, h[0])
	}
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out
}

func TestDeclareBindPublishWithoutAClient(t *testing.T) {
	t.Parallel()
	s := warrentest.RunT(t, warrentest.WithUser("app", "secret"), warrentest.WithVHost("shop"))
	must(t, s.DeclareExchange("animals", "topic", nil))
	must(t, s.DeclareQueue("Q1", nil))
	must(t, s.Bind("Q1", "animals", "*.orange.*", nil))
	routed, err := s.Publish("animals", "quick.orange.fox", "hi")
	if err != nil || !routed {
		t.Fatalf("publish: routed=%v err=%v", routed, err)
	}
	s.CheckQueueLen(t, "Q1", 1)
	s.CheckRoutedTo(t, "animals", "lazy.orange.elephant", nil, "Q1")
	s.CheckRoutedTo(t, "animals", "quick.brown.fox", nil)
	if err := s.DeclareExchange("animals", "fanout", nil); err == nil {
		t.Fatal("redeclaring with another type succeeded")
	}
	// the URL logs in as the first user into the first vhost
	if _, ch := dial(t, s.URL()); ch == nil {
		t.Fatal("no channel")
	}
	if s.Name() != "shop" {
		t.Fatalf("first vhost %q", s.Name())
	}
}

func TestCheckFailuresExplainTheRoute(t *testing.T) {
	t.Parallel()
	s := warrentest.RunT(t)
	must(t, s.DeclareExchange("animals", "topic", nil))
	must(t, s.DeclareQueue("Q1", nil))
	must(t, s.DeclareQueue("Q2", nil))
	must(t, s.Bind("Q1", "animals", "*.orange.*", nil))
	must(t, s.Bind("Q2", "animals", "lazy.#", nil))
	_, ch := dial(t, s.URL())
	publish(t, ch, "animals", "quick.brown.fox", "lost", amqp.Publishing{})

	r := &recorder{TB: t}
	s.CheckQueueLen(r, "Q1", 1)
	r.said(t, `queue "Q1" in vhost "/" holds 0 message(s), want 1`, `"lost"`, "routed to no queue",
		`✗ animals -["*.orange.*"]-> Q1: 'orange' != 'brown' at word 2`, `✗ animals -["lazy.#"]-> Q2: 'lazy' != 'quick' at word 1`)

	r = &recorder{TB: t}
	s.CheckRoutedTo(r, "animals", "quick.brown.fox", nil, "Q1")
	r.said(t, "reaches no queue, want [Q1]", "'orange' != 'brown' at word 2")
}

func TestFastForwardExpiresAndDeadLetters(t *testing.T) {
	t.Parallel()
	s := warrentest.RunT(t, warrentest.WithStoppedClock())
	must(t, s.DeclareExchange("dlx", "fanout", nil))
	must(t, s.DeclareQueue("dead", nil))
	must(t, s.Bind("dead", "dlx", "", nil))
	must(t, s.DeclareQueue("work", warrentest.Table{"x-message-ttl": int32(60_000), "x-dead-letter-exchange": "dlx"}))
	_, ch := dial(t, s.URL())
	publish(t, ch, "", "work", "late", amqp.Publishing{})
	s.FastForward(59 * time.Second)
	s.CheckQueueLen(t, "work", 1)
	s.FastForward(time.Second)
	s.CheckQueueLen(t, "work", 0)
	s.CheckQueueLen(t, "dead", 1)
	s.CheckDeadLettered(t, "work", "dead")
	ms, _ := s.Messages("dead")
	deaths, _ := ms[0].Properties.Headers["x-death"].([]any)
	if len(deaths) != 1 {
		t.Fatalf("x-death %v", ms[0].Properties.Headers["x-death"])
	}
	if at := deaths[0].(warrentest.Table)["time"].(time.Time); at.Before(s.Now().Add(-2 * time.Second)) {
		t.Fatalf("x-death time %v, want the virtual clock's %v", at, s.Now())
	}

	r := &recorder{TB: t}
	s.CheckDeadLettered(r, "dead", "")
	r.said(t, `no message was dead-lettered from queue "dead"`, `queue "dead" has no x-dead-letter-exchange`)
}

func TestFastForwardQueueExpiresAndConsumerTimeout(t *testing.T) {
	t.Parallel()
	s := warrentest.RunT(t, warrentest.WithConsumerTimeout(5*time.Minute))
	must(t, s.DeclareQueue("temp", warrentest.Table{"x-expires": int32(3_600_000)}))
	s.FastForward(time.Hour)
	if _, err := s.Messages("temp"); err == nil {
		t.Fatal("queue temp is still there after its x-expires")
	}
	_, ch := dial(t, s.URL())
	_, err := ch.QueueDeclare("slow", true, false, false, false, nil)
	must(t, err)
	closed := ch.NotifyClose(make(chan *amqp.Error, 1))
	publish(t, ch, "", "slow", "m", amqp.Publishing{})
	_, ok, err := ch.Get("slow", false)
	if !ok || err != nil {
		t.Fatalf("get: %v %v", ok, err)
	}
	s.FastForward(6 * time.Minute)
	select {
	case e := <-closed:
		if e == nil || e.Code != 406 {
			t.Fatalf("closed with %v", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the channel is still open past the consumer timeout")
	}
}

func TestRestartKeepsWhatARestartKeeps(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts []warrentest.Option
	}{
		// the same survivors either way: what a node's disk holds
		{"in memory", nil},
		{"with a data directory", []warrentest.Option{warrentest.WithPersistence()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := warrentest.RunT(t, tc.opts...)
			c, ch := dial(t, s.URL())
			_, err := ch.QueueDeclare("durable", true, false, false, false, nil)
			must(t, err)
			_, err = ch.QueueDeclare("transient", false, false, false, false, nil)
			must(t, err)
			must(t, ch.Confirm(false))
			for _, m := range []amqp.Publishing{{DeliveryMode: amqp.Persistent, Body: []byte("kept")}, {DeliveryMode: amqp.Transient, Body: []byte("lost")}} {
				dc, err := ch.PublishWithDeferredConfirm("", "durable", false, false, m)
				must(t, err)
				if !dc.Wait() {
					t.Fatal("nacked")
				}
			}
			closed := c.NotifyClose(make(chan *amqp.Error, 1))
			url := s.URL()
			must(t, s.Restart())
			if e := <-closed; e == nil || e.Code != 320 {
				t.Fatalf("the connection closed with %v, want 320", e)
			}
			if s.URL() != url {
				t.Fatalf("URL changed from %s to %s", url, s.URL())
			}
			s.CheckQueueLen(t, "durable", 1) // the persistent one; the transient one is lost
			if _, err := s.Messages("transient"); err == nil {
				t.Fatal("a transient queue survived the restart")
			}
			if _, ch := dial(t, s.URL()); ch == nil {
				t.Fatal("no channel after the restart")
			}
		})
	}
}

func TestFailureInjection(t *testing.T) {
	t.Parallel()
	s := warrentest.RunT(t)
	must(t, s.DeclareQueue("jobs", nil))

	t.Run("close connections with a reply code", func(t *testing.T) {
		c, _ := dial(t, s.URL())
		other, _ := dial(t, s.URL())
		closed := c.NotifyClose(make(chan *amqp.Error, 1))
		n, err := s.CloseConnection(c.LocalAddr().String(), warrentest.ConnectionForced, "Closed via management plugin")
		if err != nil || n != 1 {
			t.Fatalf("closed %d: %v", n, err)
		}
		e := <-closed
		if e == nil || e.Code != 320 || e.Reason != "CONNECTION_FORCED - Closed via management plugin" {
			t.Fatalf("closed with %v", e)
		}
		if other.IsClosed() {
			t.Fatal("the other connection was closed too")
		}
		if _, err := s.CloseConnections(406, "x"); err == nil {
			t.Fatal("a channel-level code was accepted")
		}
	})

	t.Run("next publish nacked", func(t *testing.T) {
		_, ch := dial(t, s.URL())
		must(t, ch.Confirm(false))
		s.NackNextPublishes(1)
		for i, want := range []bool{false, true} {
			dc, err := ch.PublishWithDeferredConfirm("", "jobs", false, false, amqp.Publishing{Body: []byte("j")})
			must(t, err)
			if got := dc.Wait(); got != want {
				t.Fatalf("publish %d confirmed %v, want %v", i, got, want)
			}
		}
		s.CheckQueueLen(t, "jobs", 1)
	})

	t.Run("block publishers", func(t *testing.T) {
		c, ch := dial(t, s.URL())
		blocked := c.NotifyBlocked(make(chan amqp.Blocking, 2))
		s.BlockPublishers("low on disk space")
		publish(t, ch, "", "jobs", "held", amqp.Publishing{})
		b := <-blocked
		if !b.Active || b.Reason != "low on disk space" {
			t.Fatalf("blocked %+v", b)
		}
		s.UnblockPublishers()
		if b := <-blocked; b.Active {
			t.Fatalf("still blocked: %+v", b)
		}
		s.CheckQueueLen(t, "jobs", 2)
	})

	t.Run("cancel consumers as a queue deletion would", func(t *testing.T) {
		_, ch := dial(t, s.URL())
		cancelled := ch.NotifyCancel(make(chan string, 1))
		_, err := ch.Consume("jobs", "worker", false, false, false, false, nil)
		must(t, err)
		n, err := s.CancelConsumers("jobs")
		if err != nil || n != 1 {
			t.Fatalf("cancelled %d: %v", n, err)
		}
		select {
		case tag := <-cancelled:
			if tag != "worker" {
				t.Fatalf("cancelled %q", tag)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no basic.cancel within 5s")
		}
		if _, err := s.Messages("jobs"); err != nil {
			t.Fatalf("the queue went: %v", err)
		}
	})
}

func TestBadOptions(t *testing.T) {
	if _, err := warrentest.Run(warrentest.WithVersion("2.8")); err == nil || !errors.Is(err, err) {
		t.Fatalf("WithVersion(2.8): %v", err)
	}
	s, err := warrentest.Run(warrentest.WithVersion("3.13"))
	must(t, err)
	defer s.Close()
	if s.Version() != "3.13.7" {
		t.Fatalf("version %s", s.Version())
	}
	c, _ := dial(t, s.URL())
	if v := c.Properties["version"]; v != "3.13.7" {
		t.Fatalf("connection.start says version %v", v)
	}
}
