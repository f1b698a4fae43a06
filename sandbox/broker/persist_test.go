package broker

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/warrenmq/warren/sandbox/definitions"
)

// publishConfirmed publishes bodies on a confirm channel and waits for
// every confirm.
func publishConfirmed(t *testing.T, ch *amqp.Channel, exchange, key string, mode uint8, bodies ...string) {
	t.Helper()
	if err := ch.Confirm(false); err != nil {
		t.Fatal(err)
	}
	var dcs []*amqp.DeferredConfirmation
	for _, b := range bodies {
		dc, err := ch.PublishWithDeferredConfirmWithContext(context.Background(), exchange, key, false, false,
			amqp.Publishing{Body: []byte(b), DeliveryMode: mode})
		if err != nil {
			t.Fatal(err)
		}
		dcs = append(dcs, dc)
	}
	for i, dc := range dcs {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		ok, err := dc.WaitContext(ctx)
		cancel()
		if err != nil || !ok {
			t.Fatalf("confirm of %q: acked=%v err=%v", bodies[i], ok, err)
		}
	}
}

func TestPersistenceSurvivesARestart(t *testing.T) {
	dir := t.TempDir()
	s := startBroker(t, Options{DataDir: dir})
	conn := dial(t, s.URL())
	ch := openChannel(t, conn)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(ch.ExchangeDeclare("orders", "topic", true, false, false, false, nil))
	must(ch.ExchangeDeclare("scratch", "fanout", false, false, false, false, nil))
	_, err := ch.QueueDeclare("keep", true, false, false, false, amqp.Table{"x-max-length": int32(100), "x-note": []byte{1, 2}})
	must(err)
	_, err = ch.QueueDeclare("transient-q", false, false, false, false, nil)
	must(err)
	_, err = ch.QueueDeclare("mine", true, false, true, false, nil) // exclusive
	must(err)
	_, err = ch.QueueDeclare("gone", true, false, false, false, nil)
	must(err)
	must(ch.QueueBind("keep", "order.#", "orders", false, nil))
	must(ch.QueueBind("transient-q", "order.#", "orders", false, nil))
	must(ch.QueueBind("gone", "order.#", "orders", false, nil))
	publishConfirmed(t, ch, "orders", "order.new", amqp.Persistent, "m1", "m2", "m3")
	publishConfirmed(t, ch, "orders", "order.new", amqp.Transient, "t1")
	publishConfirmed(t, ch, "orders", "order.new", amqp.Persistent, "m4")
	_, err = ch.QueueDelete("gone", false, false, false)
	must(err)
	_, err = ch.QueueDeclare("gone", true, false, false, false, nil) // a new, empty queue of the same name
	must(err)

	// m1 is acked, m2 delivered and left unacked when the broker stops
	cons := openChannel(t, conn)
	must(cons.Qos(2, 0, false))
	ds, err := cons.Consume("keep", "", false, false, false, false, nil)
	must(err)
	if d := recv(t, ds); string(d.Body) != "m1" {
		t.Fatalf("first delivery %q", d.Body)
	} else {
		must(d.Ack(false))
	}
	if d := recv(t, ds); string(d.Body) != "m2" {
		t.Fatalf("second delivery %q", d.Body)
	}
	// a round trip makes sure the ack was read before the shutdown
	must(ch.ExchangeDeclarePassive("orders", "topic", true, false, false, false, nil))
	s.Shutdown()

	s2 := startBroker(t, Options{DataDir: dir})
	conn2 := dial(t, s2.URL())
	ch2 := openChannel(t, conn2)
	// equivalent arguments: their types came back as declared
	q, err := ch2.QueueDeclare("keep", true, false, false, false, amqp.Table{"x-max-length": int32(100), "x-note": []byte{1, 2}})
	must(err)
	if q.Messages != 3 {
		t.Errorf("keep has %d messages after the restart, want 3 (m2 m3 m4; t1 was transient, m1 acked)", q.Messages)
	}
	for _, name := range []string{"transient-q", "mine"} {
		c := openChannel(t, conn2)
		if _, err := c.QueueDeclarePassive(name, false, false, false, false, nil); err == nil || !strings.Contains(err.Error(), "404") {
			t.Errorf("queue %s after the restart: %v, want 404 (it was not durable or exclusive)", name, err)
		}
	}
	if q, err := ch2.QueueDeclarePassive("gone", true, false, false, false, nil); err != nil || q.Messages != 0 {
		t.Errorf("the redeclared queue 'gone': %+v, %v; want it empty", q, err)
	}
	if err := ch2.ExchangeDeclarePassive("orders", "topic", true, false, false, false, nil); err != nil {
		t.Fatalf("durable exchange after the restart: %v", err)
	}
	c := openChannel(t, conn2)
	if err := c.ExchangeDeclarePassive("scratch", "fanout", false, false, false, false, nil); err == nil {
		t.Error("a transient exchange survived the restart")
	}
	ds2, err := ch2.Consume("keep", "", false, false, false, false, nil)
	must(err)
	want := []struct {
		body        string
		redelivered bool
	}{{"m2", true}, {"m3", true}, {"m4", false}} // prefetch 2: m3 went out once m1 was acked
	for _, w := range want {
		d := recv(t, ds2)
		if string(d.Body) != w.body || d.Redelivered != w.redelivered || d.DeliveryMode != amqp.Persistent {
			t.Fatalf("after the restart got %q redelivered=%v mode=%d, want %q redelivered=%v", d.Body, d.Redelivered, d.DeliveryMode, w.body, w.redelivered)
		}
		must(d.Ack(false))
	}
	// the binding came back: a new message is routed to keep
	publishConfirmed(t, ch2, "orders", "order.paid", amqp.Persistent, "m5")
	if d := recv(t, ds2); string(d.Body) != "m5" {
		t.Fatalf("after the restart the binding routed %q", d.Body)
	}
}

// TestKill9LosesNoConfirmedMessage runs a broker in a child process, kills
// it with SIGKILL while a publisher streams persistent messages, restarts
// on the same data dir, and finds every message that had been confirmed.
func TestKill9LosesNoConfirmedMessage(t *testing.T) {
	dir := t.TempDir()
	child := exec.Command(os.Args[0], "-test.run=^TestPersistChildBroker$")
	child.Env = append(os.Environ(), "WARREN_TEST_CHILD_DATA_DIR="+dir)
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer child.Process.Kill()
	lines := bufio.NewScanner(out)
	url := ""
	for lines.Scan() {
		if u, ok := strings.CutPrefix(lines.Text(), "URL "); ok {
			url = u
			break
		}
	}
	if url == "" {
		t.Fatal("the child broker did not print its URL")
	}
	conn, err := amqp.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ch.QueueDeclare("jobs", true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	if err := ch.Confirm(false); err != nil {
		t.Fatal(err)
	}
	// publish in flight windows; kill once 2,000 are confirmed, mid-window
	const killAt = 2000
	confirmed := map[string]bool{}
	var inflight []*amqp.DeferredConfirmation
	var names []string
	killed := false
	for i := 0; !killed || len(inflight) > 0; i++ {
		if !killed {
			name := "job-" + strconv.Itoa(i)
			dc, err := ch.PublishWithDeferredConfirmWithContext(context.Background(), "", "jobs", false, false,
				amqp.Publishing{Body: []byte(name), DeliveryMode: amqp.Persistent})
			if err == nil {
				inflight, names = append(inflight, dc), append(names, name)
			}
			if len(inflight) < 200 {
				continue
			}
		}
		// settle the older half of the window
		n := min(100, len(inflight))
		for j := range n {
			select {
			case <-inflight[j].Done():
				if inflight[j].Acked() {
					confirmed[names[j]] = true
				}
			case <-time.After(10 * time.Second):
				if !killed {
					t.Fatal("no confirm within 10 s")
				}
			}
		}
		inflight, names = inflight[n:], names[n:]
		if !killed && len(confirmed) >= killAt {
			if err := child.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			child.Wait()
			killed = true
		}
	}
	s := startBroker(t, Options{DataDir: dir})
	c2 := dial(t, s.URL())
	ch2 := openChannel(t, c2)
	ds, err := ch2.Consume("jobs", "", true, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	q, err := openChannel(t, c2).QueueDeclarePassive("jobs", true, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	last := -1
	for len(found) < len(confirmed) {
		select {
		case d := <-ds:
			found[string(d.Body)] = true
			n, _ := strconv.Atoi(strings.TrimPrefix(string(d.Body), "job-"))
			if n <= last {
				t.Fatalf("order lost: job-%d after job-%d", n, last)
			}
			last = n
		case <-time.After(10 * time.Second):
			t.Fatalf("after kill -9 and restart: %d of %d confirmed messages found (queue had %d)", len(found), len(confirmed), q.Messages)
		}
	}
	for name := range confirmed {
		if !found[name] {
			t.Fatalf("confirmed %s is lost", name)
		}
	}
	t.Logf("%d confirmed before SIGKILL, all found after the restart", len(confirmed))
}

// TestPersistChildBroker is the broker TestKill9LosesNoConfirmedMessage
// kills; it only runs as that test's child process.
func TestPersistChildBroker(t *testing.T) {
	dir := os.Getenv("WARREN_TEST_CHILD_DATA_DIR")
	if dir == "" {
		t.Skip("runs only as the child process of TestKill9LosesNoConfirmedMessage")
	}
	s, err := New(Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	fmt.Println("URL " + s.URL())
	select {} // until SIGKILL
}

func TestUsersVHostsAndPermissionsSurviveARestart(t *testing.T) {
	dir := t.TempDir()
	s := startBroker(t, Options{DataDir: dir})
	if err := s.PutVHost("shop"); err != nil {
		t.Fatal(err)
	}
	if err := s.PutUser(definitions.User{Name: "alice", Password: "s3cret"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPermission(definitions.Permission{User: "alice", VHost: "shop", Configure: "^alice-", Write: ".*", Read: ".*"}); err != nil {
		t.Fatal(err)
	}
	s.Shutdown()
	b, _ := os.ReadFile(filepath.Join(dir, "definitions.json"))
	if strings.Contains(string(b), "s3cret") {
		t.Fatal("definitions.json holds a password in clear")
	}
	s2 := startBroker(t, Options{DataDir: dir})
	if _, ok := s2.Authenticate("alice", "s3cret"); !ok {
		t.Fatal("alice cannot log in after the restart")
	}
	if p, ok := s2.LookupPermission("alice", "shop"); !ok || p.Configure != "^alice-" {
		t.Fatalf("alice's permission on shop after the restart: %+v %v", p, ok)
	}
	c := dial(t, "amqp://alice:s3cret@"+s2.Addr().String()+"/shop")
	if _, err := openChannel(t, c).QueueDeclare("alice-q", true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
}
