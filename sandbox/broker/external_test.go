package broker

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// These tests drive the broker with clients that are not amqp091-go:
// Debian's python3-pika and amqp-tools. They skip when those are not
// installed (apt-get install python3-pika amqp-tools).

const pikaScript = `
import pika, sys
conn = pika.BlockingConnection(pika.URLParameters(sys.argv[1]))
ch = conn.channel()
ch.confirm_delivery()
ch.exchange_declare("pika-x", "topic", auto_delete=True)
q = ch.queue_declare("", exclusive=True).method.queue
ch.queue_bind(q, "pika-x", "a.*")
for i in range(3):
    ch.basic_publish("pika-x", "a.b", ("msg %d" % i).encode(), pika.BasicProperties(content_type="text/plain", headers={"n": i}), mandatory=True)
try:
    ch.basic_publish("pika-x", "zzz", b"unroutable", mandatory=True)
    print("unroutable: not returned")
except pika.exceptions.UnroutableError as e:
    print("returned", e.messages[0].method.reply_code, e.messages[0].method.reply_text)
got = []
for method, props, body in ch.consume(q, inactivity_timeout=3):
    if method is None:
        break
    got.append("%s n=%s" % (body.decode(), props.headers["n"]))
    ch.basic_ack(method.delivery_tag)
    if len(got) == 3:
        break
print("received", ", ".join(got))
ch.cancel()
conn.close()
`

func findPython(t *testing.T) string {
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		path, err := exec.LookPath(p)
		if err != nil {
			continue
		}
		if exec.Command(path, "-c", "import pika").Run() == nil {
			return path
		}
	}
	t.Skip("python3 with pika not installed (apt-get install python3-pika)")
	return ""
}

func debugLogger(t *testing.T) *slog.Logger {
	if os.Getenv("WARREN_BROKER_DEBUG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func TestPikaPublishConsume(t *testing.T) {
	py := findPython(t)
	s := startBroker(t, Options{Logger: debugLogger(t)})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, py, "-c", pikaScript, s.URL()).CombinedOutput()
	if err != nil {
		t.Fatalf("pika: %v\n%s", err, out)
	}
	want := "returned 312 NO_ROUTE\nreceived msg 0 n=0, msg 1 n=1, msg 2 n=2\n"
	if string(out) != want {
		t.Fatalf("pika said:\n%s\nwant:\n%s", out, want)
	}
}

func TestAmqpToolsPublishConsume(t *testing.T) {
	pub, err1 := exec.LookPath("amqp-publish")
	con, err2 := exec.LookPath("amqp-consume")
	decl, err3 := exec.LookPath("amqp-declare-queue")
	if err1 != nil || err2 != nil || err3 != nil {
		t.Skip("amqp-tools not installed (apt-get install amqp-tools)")
	}
	s := startBroker(t, Options{Logger: debugLogger(t)})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// amqp-tools read "/" at the end of a URL as the vhost "" (RabbitMQ
	// refuses that one too); without it they use the vhost "/"
	url := strings.TrimSuffix(s.URL(), "/")
	if out, err := exec.CommandContext(ctx, decl, "--url", url, "-q", "tools-q").CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "tools-q" {
		t.Fatalf("amqp-declare-queue: %v\n%s", err, out)
	}
	for _, body := range []string{"one", "two"} {
		if out, err := exec.CommandContext(ctx, pub, "--url", url, "-r", "tools-q", "-b", body).CombinedOutput(); err != nil {
			t.Fatalf("amqp-publish: %v\n%s", err, out)
		}
	}
	// -c 2: exit after two messages; each is printed by cat
	cmd := exec.CommandContext(ctx, con, "--url", url, "-q", "tools-q", "-c", "2", "cat")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("amqp-consume: %v\n%s", err, stderr.String())
	}
	if stdout.String() != "onetwo" {
		t.Fatalf("amqp-consume printed %q, want %q", stdout.String(), "onetwo")
	}
}
