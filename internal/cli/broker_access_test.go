package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// lockedBuffer is a bytes.Buffer a command writes to while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var listeningRE = regexp.MustCompile(`listening on (\S+) `)

// startBrokerCmd runs `warren broker ARGS` in-process with the
// environment env until the test ends, and returns its stdout and the
// address it listens on once it says so.
func startBrokerCmd(t *testing.T, env map[string]string, args ...string) (addr string, stdout *lockedBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := &lockedBuffer{}, &lockedBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"broker"}, args...), strings.NewReader(""), stdout, stderr, func(k string) string { return env[k] })
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	deadline := time.After(10 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if m := listeningRE.FindStringSubmatch(stdout.String()); m != nil {
			return m[1], stdout
		}
		select {
		case code := <-done:
			done <- code
			t.Fatalf("warren broker %v exited %d:\n%s%s", args, code, stdout, stderr)
		case <-deadline:
			t.Fatalf("warren broker %v did not say where it listens:\n%s%s", args, stdout, stderr)
		case <-tick.C:
		}
	}
}

func dialErr(url string) string {
	c, err := amqp.Dial(url)
	if err != nil {
		var e *amqp.Error
		if errors.As(err, &e) {
			return fmt.Sprintf("%d %s", e.Code, e.Reason)
		}
		return err.Error()
	}
	c.Close()
	return "ok"
}

func TestBrokerUsersVHostsAndPermissions(t *testing.T) {
	dir := t.TempDir()
	users := writeFile(t, dir, "users", "# the class\nbob:pa:ss\n\n")
	addr, _ := startBrokerCmd(t, map[string]string{"WARREN_PASSWORD_ALICE_B": "s3cret"},
		"--listen", "127.0.0.1:0", "--user", "alice-b", "--users-file", users,
		"--vhost", "shop", "--permission", "alice-b@shop=^own::.*")
	for _, tc := range []struct{ url, want string }{
		{"amqp://alice-b:s3cret@" + addr + "/shop", "ok"},
		{"amqp://alice-b:s3cret@" + addr + "/", "530 NOT_ALLOWED - access to vhost '/' refused for user 'alice-b'"},
		{"amqp://bob:pa:ss@" + addr + "/shop", "ok"}, // no --permission names bob: every vhost
		{"amqp://bob:pa:ss@" + addr + "/", "ok"},
		{"amqp://guest:guest@" + addr + "/", "403 username or password not allowed"},
	} {
		if got := dialErr(tc.url); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.url, got, tc.want)
		}
	}
	c, err := amqp.Dial("amqp://alice-b:s3cret@" + addr + "/shop")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ch, _ := c.Channel()
	_, err = ch.QueueDeclare("other", false, true, false, false, nil)
	if want := "configure access to queue 'other' in vhost 'shop' refused for user 'alice-b'"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("declaring 'other': %v, want %q", err, want)
	}
}

func TestBrokerDefinitionsAtStart(t *testing.T) {
	// guest's hash as RabbitMQ 3.10 exported it, and a topology
	defs := writeFile(t, t.TempDir(), "defs.json", `{"rabbit_version":"3.10.8",
	"users":[{"name":"admin","password_hash":"BP966VUkfBOW01yAZIYAxbpHigPn+lk4y+0T4n7nPzvUkRxn","hashing_algorithm":"rabbit_password_hashing_sha256","tags":["administrator"]}],
	"vhosts":[{"name":"/"}],
	"permissions":[{"user":"admin","vhost":"/","configure":".*","write":".*","read":".*"}],
	"queues":[{"name":"orders","vhost":"/","durable":true,"auto_delete":false,"arguments":{}}],
	"exchanges":[{"name":"events","vhost":"/","type":"topic","durable":true,"auto_delete":false,"internal":false,"arguments":{}}],
	"bindings":[{"source":"events","vhost":"/","destination":"orders","destination_type":"queue","routing_key":"order.#","arguments":{}}]}`)
	addr, _ := startBrokerCmd(t, nil, "--listen", "127.0.0.1:0", "--definitions", defs)
	c, err := amqp.Dial("amqp://admin:guest@" + addr + "/")
	if err != nil {
		t.Fatalf("the imported user with RabbitMQ's hash: %v", err)
	}
	defer c.Close()
	ch, _ := c.Channel()
	if err := ch.Publish("events", "order.created", false, false, amqp.Publishing{Body: []byte("o1")}); err != nil {
		t.Fatal(err)
	}
	ds, err := ch.Consume("orders", "", true, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case d := <-ds:
		if string(d.Body) != "o1" {
			t.Errorf("got %q", d.Body)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the message did not reach the imported binding's queue")
	}
	if got := dialErr("amqp://guest:guest@" + addr + "/"); !strings.HasPrefix(got, "403") {
		t.Errorf("guest exists though the definitions have their own users: %s", got)
	}
}

func TestBrokerAccessFlagsBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"user without a password anywhere", []string{"--user", "carol"}, "--user carol: no password: set WARREN_PASSWORD_CAROL"},
		{"permission for an unknown user", []string{"--permission", "dave@/"}, `no user "dave"; add it with --user`},
		{"permission on an unknown vhost", []string{"--user", "a:b", "--permission", "a@shop"}, `no vhost "shop"; add it with --vhost`},
		{"permission with two regexps", []string{"--user", "a:b", "--permission", "a@/=x:y"}, "want three regular expressions"},
		{"permission with a bad regexp", []string{"--user", "a:b", "--permission", "a@/=(:.*:.*"}, "missing closing )"},
		{"permission without a vhost", []string{"--user", "a:b", "--permission", "a@"}, "want user@vhost"},
		{"users file line", []string{"--users-file", writeFile(t, dir, "u", "nocolon\n")}, "u:1: want name:password"},
		{"users file missing", []string{"--users-file", dir + "/none"}, "--users-file: open"},
		{"user twice", []string{"--user", "a:b", "--users-file", writeFile(t, dir, "u2", "a:c\n")}, `user "a" is given twice`},
		{"definitions", []string{"--definitions", writeFile(t, dir, "d.json", `{"queues": [{"name": 1}]}`)}, "--definitions: " + dir + "/d.json:1: queues.name: a number where a string was expected"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := warren(t, append([]string{"broker", "--listen", "127.0.0.1:0"}, tc.args...)...)
			if code != exitBadInput || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, tc.want)
			}
		})
	}
}
