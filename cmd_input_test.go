package main

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// What a user meets when they type something wrong, end to end through the
// built binary: the exit code of the contract (2 bad input, 1 a run that
// could not be done or failed) and a message that says what to fix. None
// of these needs a live broker.
func TestBadInputByHand(t *testing.T) {
	bin := warrenBinary(t)
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	empty := write("empty.yaml", "")
	long := strings.Repeat("q", 250)
	longq := write("longq.yaml", `name: lq
topology:
  exchanges: [{name: ex, type: direct}]
  queues: [{name: `+long+`}]
  bindings: [{source: ex, destination: `+long+`, routing_key: a}]
steps:
  - publish: {exchange: ex, routing_key: a}
    expect: [`+long+`]
`)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()

	for _, tc := range []struct {
		name      string
		args      []string
		code      int
		stdout    string
		stderr    string
		notStderr string
	}{
		{"wrong URL scheme", []string{"run", "topic", "--url", "http://127.0.0.1:5672/"}, 2, "", "not a valid AMQP URL", ""},
		{"unparseable URL hides the password", []string{"run", "topic", "--url", "amqp://guest:sec%ret@127.0.0.1:5672/"}, 2, "", "amqp://guest:*****@127.0.0.1:5672/", "sec%ret"},
		{"TUI, wrong URL scheme", []string{"--url", "http://127.0.0.1:5672/"}, 2, "", "not a valid AMQP URL", ""},
		{"unreachable broker", []string{"run", "topic", "--url", "amqp://guest:guest@127.0.0.1:1/"}, 1, "", "connection refused", ""},
		{"unreachable broker, JSON", []string{"run", "topic", "--url", "amqp://guest:guest@127.0.0.1:1/", "--json"}, 1, `"error": "cannot connect to amqp://guest:*****@127.0.0.1:1/`, "", ""},
		{"suffix makes a name too long", []string{"run", longq, "--name-suffix", "-abcdefghij"}, 2, "", `--name-suffix "-abcdefghij" makes queue`, ""},
		{"empty file", []string{"run", empty}, 2, "", "empty.yaml: the file is empty", ""},
		{"service, wrong URL scheme", []string{"user-service", "--listen", "127.0.0.1:0", "--url", "http://127.0.0.1:5672/"}, 2, "", "not a valid AMQP URL", ""},
		{"service, unparseable URL", []string{"profile-service", "--listen", "127.0.0.1:0", "--url", "amqp://guest:sec%ret@127.0.0.1:5672/"}, 2, "", "amqp://guest:xxxxx@127.0.0.1:5672/", "sec%ret"},
		{"service, --db in a missing directory", []string{"user-service", "--listen", "127.0.0.1:0", "--db", filepath.Join(dir, "nope", "u.db")}, 2, "", "does not exist; create it", ""},
		{"service, --db a directory", []string{"profile-service", "--listen", "127.0.0.1:0", "--db", dir}, 2, "", "is a directory", ""},
		{"list with an argument", []string{"list", "topic"}, 2, "", `unknown command "topic" for "warren list"`, ""},
		{"broker with an argument", []string{"broker", "5673"}, 2, "", `unknown command "5673" for "warren broker"`, ""},
		{"service with an argument", []string{"user-service", "3000"}, 2, "", `unknown command "3000" for "warren user-service"`, ""},
		{"broker, --user without a password", []string{"broker", "--listen", "127.0.0.1:0", "--user", "alice:"}, 2, "", `--user "alice:": the password is empty`, ""},
		{"broker on a taken port", []string{"broker", "--listen", taken.Addr().String()}, 2, "", "pick another with --listen", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := run(t, bin, tc.args...)
			if code != tc.code || !strings.Contains(stdout, tc.stdout) || !strings.Contains(stderr, tc.stderr) ||
				(tc.notStderr != "" && strings.Contains(stdout+stderr, tc.notStderr)) {
				t.Fatalf("exit %d (want %d)\nstdout:\n%s\nstderr:\n%s\nwant stdout containing %q, stderr containing %q and neither containing %q",
					code, tc.code, stdout, stderr, tc.stdout, tc.stderr, tc.notStderr)
			}
		})
	}
}

// After Ctrl-C the run said "what the run declared was deleted" even when
// the clean-up had failed (a broker gone, or a clean-up over its 10s).
func TestInterruptedSaysWhetherCleanupWorked(t *testing.T) {
	if got := interrupted(nil).Error(); !strings.Contains(got, "was deleted") {
		t.Errorf("clean-up done: %q", got)
	}
	got := interrupted(errors.New(`delete queue "Q1": context deadline exceeded`)).Error()
	if strings.Contains(got, "was deleted") || !strings.Contains(got, `delete queue "Q1"`) {
		t.Errorf("clean-up failed: %q, want the failure and no claim that it was deleted", got)
	}
}
