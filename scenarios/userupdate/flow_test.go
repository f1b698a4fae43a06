package userupdate

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// TestFlow plays the user-update flow end to end on every broker of the
// table, as a person would see it: HTTP in, the profile store converges.
func TestFlow(t *testing.T) {
	for _, b := range brokers {
		t.Run(b.name, func(t *testing.T) {
			t.Run("POST converges to the profile store over HTTP", func(t *testing.T) { testConverges(t, b) })
			t.Run("crash before ack: redelivered, applied once", func(t *testing.T) { testCrashBeforeAck(t, b) })
			t.Run("crash before apply: redelivered, then applied", func(t *testing.T) { testCrashBeforeApply(t, b) })
			t.Run("refusal: dead-lettered and rolled back", func(t *testing.T) { testRefusal(t, b) })
			t.Run("the article's pika shape, without a message id", func(t *testing.T) { testArticleShape(t, b) })
			t.Run("consumer stopped: messages wait ready, then apply", func(t *testing.T) { testStopStart(t, b) })
			t.Run("broker down during a burst: nothing lost", func(t *testing.T) { testBrokerDown(t, b) })
			t.Run("the exchange deleted under the services: declared again", func(t *testing.T) { testExchangeDeleted(t, b) })
			t.Run("published before the profile queue exists: kept, not dropped", func(t *testing.T) { testNoRouteYet(t, b) })
		})
	}
}

func testConverges(t *testing.T, b testBroker) {
	u := b.url(t)
	r := newRig(t, u, u, u)
	ctx, cancel := context.WithCancel(context.Background())
	userLn, profLn := listen(t), listen(t)
	done := make(chan error, 2)
	go func() { done <- r.users.Serve(ctx, userLn) }()
	go func() { done <- r.prof.Serve(ctx, profLn) }()
	client := &http.Client{Timeout: 5 * time.Second}
	defer func() {
		cancel()
		for range 2 {
			if err := <-done; err != nil {
				t.Errorf("Serve: %v", err)
			}
		}
		client.CloseIdleConnections()
	}()

	// The article's curl: curl -d "full_name=usama" -X POST http://localhost:3000/users/1
	resp, err := client.PostForm("http://"+userLn.Addr().String()+"/users/1", url.Values{"full_name": {"usama"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 201 || strings.TrimSpace(string(body)) != `{"full_name":"usama"}` {
		t.Fatalf("POST /users/1: %d %s, want 201 {\"full_name\":\"usama\"}", resp.StatusCode, body)
	}
	msgID := resp.Header.Get("X-Message-Id")

	r.profileIs(1, "usama")
	resp, err = client.Get("http://" + profLn.Addr().String() + "/profiles/1")
	if err != nil {
		t.Fatal(err)
	}
	var p Profile
	err = json.NewDecoder(resp.Body).Decode(&p)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || p.FullName != "usama" || p.Version != 1 || p.LastMessageID != msgID {
		t.Fatalf("GET /profiles/1: %d %+v %v; want usama, version 1, message id %s", resp.StatusCode, p, err, msgID)
	}
	// The event carried what the article's consumer expects.
	r.rec.waitFor("the ack", func() bool {
		return r.rec.has(func(e Event) bool { return e.Kind == EventAcked && e.MessageID == msgID })
	})
	r.rec.waitFor("the outbox row marked sent", func() bool { n, err := r.users.Pending(); return err == nil && n == 0 })
}

func testCrashBeforeAck(t *testing.T, b testBroker) {
	u := b.url(t)
	r := newRig(t, u, u, u)
	r.prof.CrashBeforeAck(1)
	us, err := r.users.Update(context.Background(), 1, "usama")
	if err != nil {
		t.Fatal(err)
	}
	id := us.LastMessageID
	r.rec.waitFor("the redelivery acked", func() bool {
		return r.rec.has(func(e Event) bool { return e.Kind == EventAcked && e.MessageID == id })
	})
	if !r.rec.has(func(e Event) bool { return e.Kind == EventCrashed && e.MessageID == id }) {
		t.Error("no crash before the ack")
	}
	if !r.rec.has(func(e Event) bool { return e.Kind == EventDelivered && e.MessageID == id && e.Redelivered }) {
		t.Error("the message was not redelivered with redelivered=true")
	}
	if !r.rec.has(func(e Event) bool { return e.Kind == EventDuplicate && e.MessageID == id }) {
		t.Error("the redelivery was not recognised as a duplicate")
	}
	if n := r.rec.count(func(e Event) bool { return e.Kind == EventApplied && e.MessageID == id }); n != 1 {
		t.Errorf("applied %d times, want once", n)
	}
	p := r.profileIs(1, "usama")
	if p.Version != 1 {
		t.Errorf("profile version %d, want 1 (applied once)", p.Version)
	}
	if n := r.readyMessages(r.names.ProfileQueue); n != 0 {
		t.Errorf("%d messages left in %s, want 0", n, r.names.ProfileQueue)
	}
}

func testCrashBeforeApply(t *testing.T, b testBroker) {
	u := b.url(t)
	r := newRig(t, u, u, u)
	r.prof.CrashBeforeApply(1)
	us, err := r.users.Update(context.Background(), 4, "Ada")
	if err != nil {
		t.Fatal(err)
	}
	id := us.LastMessageID
	r.rec.waitFor("the redelivery acked", func() bool {
		return r.rec.has(func(e Event) bool { return e.Kind == EventAcked && e.MessageID == id })
	})
	if !r.rec.has(func(e Event) bool { return e.Kind == EventApplied && e.MessageID == id && e.Redelivered }) {
		t.Error("the redelivery (redelivered=true) was not the one applied")
	}
	if p := r.profileIs(4, "Ada"); p.Version != 1 {
		t.Errorf("profile version %d, want 1", p.Version)
	}
}

func testRefusal(t *testing.T, b testBroker) {
	u := b.url(t)
	r := newRig(t, u, u, u)
	ctx := context.Background()
	// Watch the dead-letter queue as a person would: a consumer on it.
	dlq, err := r.adminCh.Consume(r.names.DeadLetterQueue, "", true, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.users.Update(ctx, 7, "Ada"); err != nil {
		t.Fatal(err)
	}
	r.profileIs(7, "Ada")

	long := strings.Repeat("x", 101)
	tests := []struct {
		name     string
		id       int64
		fullName string
		arm      func()
		wantUser string // after the rollback; "" = the user is gone
		reason   string
	}{
		{"a name over 100 characters is rolled back to the previous one", 7, long, nil, "Ada", "101 characters"},
		{"a refused update that created the user removes it", 8, long, nil, "", "101 characters"},
		{"the RefuseNext switch", 7, "Grace", func() { r.prof.RefuseNext(1) }, "Ada", "RefuseNext"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.arm != nil {
				tc.arm()
			}
			us, err := r.users.Update(ctx, tc.id, tc.fullName)
			if err != nil {
				t.Fatal(err) // the user service accepts it: only the profile service knows its limit
			}
			id := us.LastMessageID
			r.rec.waitFor("the rollback", func() bool {
				return r.rec.has(func(e Event) bool { return e.Kind == EventRolledBack && e.MessageID == id })
			})
			r.userIs(tc.id, tc.wantUser)
			// The user service may roll back before the profile service
			// has sent its nack: the compensation is published first.
			r.rec.waitFor("the refusal", func() bool {
				return r.rec.has(func(e Event) bool {
					return e.Kind == EventRefused && e.MessageID == id && strings.Contains(e.Note, tc.reason)
				})
			})
			select {
			case d := <-dlq:
				if d.MessageId != id {
					t.Errorf("dead-lettered %s, want %s", d.MessageId, id)
				}
				death, _ := d.Headers["x-death"].([]any)
				if len(death) == 0 {
					t.Errorf("dead-lettered without an x-death header: %v", d.Headers)
				} else if reason := death[0].(amqp.Table)["reason"]; reason != "rejected" {
					t.Errorf("x-death reason %v, want rejected", reason)
				}
			case <-time.After(waitTimeout):
				t.Fatal("nothing arrived in the dead-letter queue")
			}
		})
	}
	if p := r.profileIs(7, "Ada"); p.Version != 1 {
		t.Errorf("profile 7 version %d, want 1: a refused event changed it", p.Version)
	}
	if _, ok, _ := r.prof.Profile(ctx, 8); ok {
		t.Error("profile 8 exists: a refused event created it")
	}
}

// The article's Python service publishes {"full_name": "...", "id": N}
// with pika: no message id, no content type.
func testArticleShape(t *testing.T, b testBroker) {
	u := b.url(t)
	r := newRig(t, u, u, u)
	publish := func(body string) {
		t.Helper()
		if err := r.adminCh.PublishWithContext(context.Background(), r.names.Exchange, r.names.UpdateKey, false, false,
			amqp.Publishing{Body: []byte(body)}); err != nil {
			t.Fatal(err)
		}
	}
	// A, B, then A again: the third is a real update with the same body as
	// the first, and must not be dropped as a duplicate.
	for _, name := range []string{"usama", "Ada", "usama"} {
		publish(fmt.Sprintf(`{"full_name": %q, "id": 9}`, name))
	}
	r.rec.waitFor("three events applied", func() bool {
		p, ok, _ := r.prof.Profile(context.Background(), 9)
		return ok && p.Version == 3
	})
	if p := r.profileIs(9, "usama"); !strings.HasPrefix(p.LastMessageID, "sha256:") {
		t.Errorf("last message id %q, want a sha256: name", p.LastMessageID)
	}
}

func testStopStart(t *testing.T, b testBroker) {
	u := b.url(t)
	r := newRig(t, u, u, u)
	r.prof.StopConsumer()
	r.rec.waitFor("the consumer stopped", func() bool { return !r.prof.Consuming() })
	us, err := r.users.Update(context.Background(), 3, "waiting")
	if err != nil {
		t.Fatal(err)
	}
	r.rec.waitFor("the publish confirmed", func() bool {
		return r.rec.has(func(e Event) bool { return e.Kind == EventConfirmed && e.MessageID == us.LastMessageID })
	})
	if n := r.readyMessages(r.names.ProfileQueue); n != 1 {
		t.Errorf("%d ready messages in %s while stopped, want 1", n, r.names.ProfileQueue)
	}
	if _, ok, _ := r.prof.Profile(context.Background(), 3); ok {
		t.Error("the profile changed while the consumer was stopped")
	}
	r.prof.StartConsumer()
	r.profileIs(3, "waiting")
}

func testBrokerDown(t *testing.T, b testBroker) {
	u := b.url(t)
	px, viaProxy := startProxy(t, u)
	r := newRig(t, u, viaProxy, u)
	ctx := context.Background()

	const burst, beforeCut = 25, 10
	// The first updates are cut off mid-flight (published, maybe not yet
	// confirmed): they may be published twice, and must apply once.
	for i := range burst {
		if i == beforeCut {
			px.cut()
			r.rec.waitFor("the user service to notice", func() bool { return !r.users.Connected() })
		}
		if _, err := r.users.Update(ctx, int64(100+i), fmt.Sprintf("name-%d", i)); err != nil {
			t.Fatalf("update %d: %v", i, err)
		}
	}
	if n, _ := r.users.Pending(); n < burst-beforeCut {
		t.Fatalf("%d rows pending in the outbox while the broker is down, want at least %d", n, burst-beforeCut)
	}
	px.restore()
	r.rec.waitFor("every update applied", func() bool {
		ps, err := r.prof.Profiles()
		return err == nil && len(ps) == burst
	})
	r.rec.waitFor("the outbox drained", func() bool { n, err := r.users.Pending(); return err == nil && n == 0 })
	ps, _ := r.prof.Profiles()
	for i, p := range ps {
		if want := fmt.Sprintf("name-%d", i); p.ID != int64(100+i) || p.FullName != want || p.Version != 1 {
			t.Errorf("profile %+v, want id %d %s version 1", p, 100+i, want)
		}
	}
}

// The user service may start (and take updates) before the profile
// service has ever declared its queue: the publish is returned (312
// NO_ROUTE), kept in the outbox, and delivered once the queue is bound.
func testNoRouteYet(t *testing.T, b testBroker) {
	u := b.url(t)
	names := UniqueNames("warren-test")
	rec := newRecorder(t)
	opts := []Option{WithNames(names), WithBackoff(20*time.Millisecond, 200*time.Millisecond)}
	users, err := NewUserService(u, "", rec.add, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer users.Close()
	if err := users.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	us, err := users.Update(context.Background(), 1, "early")
	if err != nil {
		t.Fatal(err)
	}
	rec.waitFor("the publish returned", func() bool {
		return rec.has(func(e Event) bool { return e.Kind == EventReturned && e.MessageID == us.LastMessageID })
	})
	if n, _ := users.Pending(); n != 1 {
		t.Fatalf("%d pending after the return, want 1 (kept in the outbox)", n)
	}
	prof, err := NewProfileService(u, "", rec.add, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		users.Close()
		prof.Close()
		if err := DeleteTopology(u, names); err != nil {
			t.Errorf("clean up: %v", err)
		}
	}()
	if err := prof.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	rec.waitFor("the early update applied", func() bool {
		p, ok, _ := prof.Profile(context.Background(), 1)
		return ok && p.FullName == "early"
	})
}

// Someone deletes the exchange (a scenario player cleaning up takes every
// binding along): the services declare their topology again and the flow
// works again without a restart.
func testExchangeDeleted(t *testing.T, b testBroker) {
	u := b.url(t)
	r := newRig(t, u, u, u, WithTopologyRecheck(50*time.Millisecond))
	if err := r.adminCh.ExchangeDelete(r.names.Exchange, false, false); err != nil {
		t.Fatal(err)
	}
	if _, err := r.users.Update(context.Background(), 1, "again"); err != nil {
		t.Fatal(err)
	}
	r.profileIs(1, "again")
}
