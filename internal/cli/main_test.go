package cli

import (
	"bytes"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// Every command stops what it started (the embedded broker, a Session)
// before it returns.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// warren runs the command line in-process as a user would, with $AMQP_URL
// unset and nothing on stdin, and returns stdout, stderr and the exit code.
func warren(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return warrenWithStdin(t, "", args...)
}

// warrenWithStdin is warren with stdin holding the given text.
func warrenWithStdin(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	noEnv := func(string) string { return "" }
	code := run(t.Context(), args, strings.NewReader(stdin), &stdout, &stderr, noEnv)
	return stdout.String(), stderr.String(), code
}

// writeFile writes body to the file name in dir and returns its path.
func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Main itself, as main calls it: the exit code it returns and the streams
// it writes to.
func TestMainReturnsTheExitCode(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"list"}, strings.NewReader(""), &stdout, &stderr); code != exitOK ||
		!strings.Contains(stdout.String(), "Topic exchange - routing by pattern") || stderr.Len() != 0 {
		t.Errorf("warren list: exit %d\nstdout:\n%s\nstderr:\n%s", code, &stdout, &stderr)
	}
	stdout.Reset()
	stderr.Reset()
	if code := Main([]string{"run", "topic", "--jsn"}, strings.NewReader(""), &stdout, &stderr); code != exitBadInput ||
		!strings.Contains(stderr.String(), "warren: unknown flag: --jsn") || stdout.Len() != 0 {
		t.Errorf("warren run topic --jsn: exit %d\nstdout:\n%s\nstderr:\n%s", code, &stdout, &stderr)
	}
}

// What a user meets when they type something wrong, end to end through the
// command line: the exit code of the contract (2 bad input, 1 a run that
// could not be done or failed) and a message that says what to fix. None
// of these needs a live broker.
func TestBadInputByHand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, body string) string { return writeFile(t, dir, name, body) }
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
	t.Cleanup(func() { taken.Close() }) // not defer: the subtests run in parallel, after this function returns

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
		{"service, unparseable URL", []string{"profile-service", "--listen", "127.0.0.1:0", "--url", "amqp://guest:sec%ret@127.0.0.1:5672/"}, 2, "", "amqp://guest:*****@127.0.0.1:5672/", "sec%ret"},
		{"service, --db in a missing directory", []string{"user-service", "--listen", "127.0.0.1:0", "--db", filepath.Join(dir, "nope", "u.db")}, 2, "", "does not exist; create it", ""},
		{"service, --db a directory", []string{"profile-service", "--listen", "127.0.0.1:0", "--db", dir}, 2, "", "is a directory", ""},
		{"service, --db a SQLite URI", []string{"user-service", "--listen", "127.0.0.1:0", "--db", "file:u.db?mode=memory"}, 2, "", "give a plain file path", ""},
		{"list with an argument", []string{"list", "topic"}, 2, "", `unknown command "topic" for "warren list"`, ""},
		{"broker with an argument", []string{"broker", "5673"}, 2, "", `unknown command "5673" for "warren broker"`, ""},
		{"service with an argument", []string{"user-service", "3000"}, 2, "", `unknown command "3000" for "warren user-service"`, ""},
		{"broker, --user without a password", []string{"broker", "--listen", "127.0.0.1:0", "--user", "alice:"}, 2, "", `--user "alice:": the password is empty`, ""},
		{"broker on a taken port", []string{"broker", "--listen", taken.Addr().String()}, 2, "", "pick another with --listen", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			stdout, stderr, code := warren(t, tc.args...)
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
	t.Parallel()
	if got := interrupted(nil).Error(); !strings.Contains(got, "was deleted") {
		t.Errorf("clean-up done: %q", got)
	}
	got := interrupted(errors.New(`delete queue "Q1": context deadline exceeded`)).Error()
	if strings.Contains(got, "was deleted") || !strings.Contains(got, `delete queue "Q1"`) {
		t.Errorf("clean-up failed: %q, want the failure and no claim that it was deleted", got)
	}
}
