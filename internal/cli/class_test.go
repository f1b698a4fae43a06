package cli

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/warrenmq/warren/classroom"
	"github.com/warrenmq/warren/internal/brokertest"
	"github.com/warrenmq/warren/sandbox"
	"github.com/warrenmq/warren/sandbox/broker"
	"github.com/warrenmq/warren/sandbox/broker/management"
	"github.com/warrenmq/warren/scenarios"
)

// classRun is `warren class` running in-process until end.
type classRun struct {
	out, errs *transcript
	done      chan struct{}
	code      int
	stop      context.CancelFunc
}

// end interrupts the command (as SIGINT does) and returns its exit code.
func (r *classRun) end() int {
	r.stop()
	<-r.done
	return r.code
}

func startClass(t *testing.T, args ...string) *classRun {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	r := &classRun{out: newTranscript(), errs: newTranscript(), done: make(chan struct{}), stop: cancel}
	go func() {
		defer close(r.done)
		r.code = run(ctx, append([]string{"class"}, args...), strings.NewReader(""), r.out, r.errs, func(string) string { return "" })
	}()
	t.Cleanup(func() { r.end() })
	return r
}

// roster waits for the JSON roster on stdout and checks it has exactly
// the contract's keys.
func (r *classRun) roster(t *testing.T) []classroom.Student {
	t.Helper()
	r.out.waitCount(t, "\n]\n", 1)
	var raw []map[string]any
	if err := json.Unmarshal([]byte(r.out.String()), &raw); err != nil {
		t.Fatalf("stdout is not one JSON array: %v\n%s\nstderr:\n%s", err, r.out, r.errs)
	}
	for _, o := range raw {
		keys := make([]string, 0, len(o))
		for k := range o {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, []string{"name", "password", "url", "user", "vhost"}) {
			t.Fatalf("roster entry %v: want exactly name, user, password, vhost, url", o)
		}
	}
	var out []classroom.Student
	_ = json.Unmarshal([]byte(r.out.String()), &out)
	return out
}

func amqpDial(t *testing.T, u string) *amqp.Connection {
	t.Helper()
	c, err := amqp.Dial(u)
	if err != nil {
		t.Fatalf("dial %s: %v", u, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// inVHost is u with its vhost replaced.
func inVHost(t *testing.T, u, vhost string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	p.Path, p.RawPath = "/"+vhost, "/"+url.PathEscape(vhost)
	return p.String()
}

// checkIsolation: each student's URL works; all declare the same queue
// and see only their own message in it; each is refused in another
// student's vhost; the class's scenario is declared in every vhost.
func checkIsolation(t *testing.T, roster []classroom.Student) {
	t.Helper()
	chans := make([]*amqp.Channel, len(roster))
	for i, s := range roster {
		ch, err := amqpDial(t, s.URL).Channel()
		if err != nil {
			t.Fatal(err)
		}
		chans[i] = ch
		if _, err := ch.QueueDeclare("inbox", true, false, false, false, nil); err != nil {
			t.Fatalf("%s declares inbox: %v", s.Name, err)
		}
		if err := ch.ExchangeDeclarePassive("animals", "topic", false, false, false, false, nil); err != nil {
			t.Fatalf("%s: the class's scenario topic is not declared in %s: %v", s.Name, s.VHost, err)
		}
	}
	for i, s := range roster {
		if err := chans[i].PublishWithContext(t.Context(), "", "inbox", false, false, amqp.Publishing{Body: []byte("from " + s.Name)}); err != nil {
			t.Fatal(err)
		}
	}
	for i, s := range roster {
		// a basic.get round trip after the publishes on the same channel
		m, ok, err := chans[i].Get("inbox", true)
		if err != nil || !ok || string(m.Body) != "from "+s.Name {
			t.Errorf("%s's inbox: %q, %v, %v; want their own message", s.Name, m.Body, ok, err)
		}
		if m, ok, _ := chans[i].Get("inbox", true); ok {
			t.Errorf("%s's inbox holds %q too: another student's message", s.Name, m.Body)
		}
	}
	other := inVHost(t, roster[0].URL, roster[1].VHost)
	c, err := amqp.Dial(other)
	var ae *amqp.Error
	if err == nil {
		c.Close()
		t.Errorf("%s logged in to %s's vhost %s", roster[0].User, roster[1].Name, roster[1].VHost)
	} else if !errors.As(err, &ae) || ae.Code != amqp.NotAllowed || !strings.Contains(ae.Reason, "access to vhost '"+roster[1].VHost+"' refused for user '"+roster[0].User+"'") {
		t.Errorf("%s in %s's vhost: %v; want 530 NOT_ALLOWED, access to vhost refused", roster[0].User, roster[1].Name, err)
	}
}

func TestClassStudentsJSON(t *testing.T) {
	t.Parallel()
	r := startClass(t, "--students", "3", "--json", "--scenario", "topic")
	roster := r.roster(t)
	if len(roster) != 3 || roster[0].Name != "student-01" || roster[2].VHost != "student-03" {
		t.Fatalf("roster %+v", roster)
	}
	if s := r.errs.String(); !strings.Contains(s, "loopback only") || strings.Contains(s, "REACHABLE FROM THE NETWORK") {
		t.Errorf("stderr %q: want it to say loopback only", s)
	}
	checkIsolation(t, roster)

	// The teacher sees a plain client's publishes, explained.
	r.errs.waitCount(t, `student-02: student-02 published to (default), routing key "inbox"`, 1)
	r.errs.waitCount(t, "  went to inbox", 3)

	// A student's quiz reports its score to the teacher.
	out, stderr, code := warrenWithStdin(t, topicAnswers, "run", "topic", "--quiz", "--url", roster[1].URL)
	if code != exitOK || !strings.Contains(out, "This vhost belongs to a class") || lastLine(out) != "score: 9/9" {
		t.Fatalf("the student's quiz: exit %d\n%s\n%s", code, out, stderr)
	}
	r.errs.waitCount(t, "student-02: quiz topic: 9 of 9 right (final; 9 of 9 steps answered)", 1)

	if code := r.end(); code != exitOK || !strings.Contains(r.errs.String(), "warren class: ended") {
		t.Errorf("warren class ended with %d after SIGINT\n%s", code, r.errs)
	}
}

func TestClassListenBeyondLoopbackSaysSo(t *testing.T) {
	t.Parallel()
	r := startClass(t, "--students", "1", "--json", "--listen", "0.0.0.0:0")
	roster := r.roster(t)
	if s := r.errs.String(); !strings.Contains(s, "REACHABLE FROM THE NETWORK") {
		t.Errorf("stderr %q: want it to say the class is reachable from the network", s)
	}
	if strings.Contains(roster[0].URL, "0.0.0.0") {
		t.Errorf("URL %s: students cannot dial 0.0.0.0", roster[0].URL)
	}
}

func TestClassBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		says string
	}{
		{nil, "say how many students (--students N) or who (--roster FILE)"},
		{[]string{"--students", "2", "--roster", "x"}, "not both"},
		{[]string{"--students", "0"}, "--students 0: give 1 to 500"},
		{[]string{"--roster", writeFile(t, dir, "r.txt", "ada\nAda\n")}, `r.txt:2: "Ada" makes the user ada, as line 1 does`},
		{[]string{"--students", "2", "--remove"}, "--remove removes a class from a live RabbitMQ"},
		{[]string{"--students", "2", "--scenario", "nope"}, `no scenario named "nope"`},
		{[]string{"--students", "2", "--listen", "nope"}, `--listen "nope": want host:port`},
		{[]string{"--students", "2", "--url", "amqp://127.0.0.1:1/", "--listen", "127.0.0.1:0"}, "--listen is the embedded broker's address"},
	} {
		_, stderr, code := warren(t, append([]string{"class"}, tc.args...)...)
		if code != exitBadInput || !strings.Contains(stderr, tc.says) {
			t.Errorf("warren class %v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr, tc.says)
		}
	}
}

// On the live RabbitMQ: provisioned through the management API, isolated
// the same way, the teacher sees a plain client's message explained, and
// --remove takes the vhosts and users away.
func TestClassOnRabbitMQ(t *testing.T) {
	t.Parallel()
	live := brokertest.LiveOrSkip(t)
	brokertest.LiveManagementOrSkip(t)
	dir := t.TempDir()
	a, b := brokertest.Unique("warren-class-a"), brokertest.Unique("warren-class-b")
	rosterFile := writeFile(t, dir, "roster.txt", a+"\n"+b+"\n")
	t.Cleanup(func() {
		// t.Context() is cancelled by now: a context of its own
		var out, errs strings.Builder
		if code := run(context.Background(), []string{"class", "--url", live, "--roster", rosterFile, "--remove"}, strings.NewReader(""), &out, &errs, func(string) string { return "" }); code != exitOK {
			t.Errorf("removing the test's class: exit %d: %s", code, errs.String())
		}
	})

	r := startClass(t, "--url", live, "--roster", rosterFile, "--json", "--scenario", "topic")
	roster := r.roster(t)
	if len(roster) != 2 || roster[0].VHost != a || !strings.Contains(roster[0].URL, "@127.0.0.1:5672/"+a) {
		t.Fatalf("roster %+v", roster)
	}
	checkIsolation(t, roster)
	ch, err := amqpDial(t, roster[0].URL).Channel()
	if err != nil {
		t.Fatal(err)
	}
	q, err := ch.QueueDeclare("", false, true, true, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.QueueBind(q.Name, "*.orange.*", "animals", false, nil); err != nil {
		t.Fatal(err)
	}
	if err := ch.PublishWithContext(t.Context(), "animals", "quick.orange.rabbit", false, false, amqp.Publishing{Body: []byte("hi")}); err != nil {
		t.Fatal(err)
	}
	r.errs.waitCount(t, a+": "+a+` published to animals, routing key "quick.orange.rabbit"`, 1)
	r.errs.waitCount(t, "went to "+strings.Join(sortedCopy("Q1", "Q2", q.Name), ", "), 1)
	r.errs.waitCount(t, "✓ animals -[\"*.orange.*\"]-> "+q.Name+": '*' matched 'quick', '*' matched 'rabbit'", 1)

	// b plays a quiz with one wrong answer: the teacher gets 8 of 9.
	out, stderr, code := warrenWithStdin(t, strings.Replace(topicAnswers, "Q1\n", "Q2\n", 1), "run", "topic", "--quiz", "--url", roster[1].URL)
	if code != exitFailed || lastLine(out) != "score: 8/9" {
		t.Fatalf("the student's quiz: exit %d\n%s\n%s", code, out, stderr)
	}
	r.errs.waitCount(t, b+": quiz topic: 8 of 9 right (final; 9 of 9 steps answered)", 1)
	r.end()

	// The class stays on the broker until --remove.
	amqpDial(t, roster[0].URL).Close()
	out, stderr, code = warren(t, "class", "--url", live, "--roster", rosterFile, "--remove")
	if code != exitOK || !strings.Contains(out, "removed 2 students' vhosts and users") {
		t.Fatalf("--remove: exit %d\n%s\n%s", code, out, stderr)
	}
	if c, err := amqp.Dial(roster[0].URL); err == nil {
		c.Close()
		t.Errorf("%s still logs in after --remove", roster[0].User)
	}
}

func sortedCopy(xs ...string) []string {
	out := slices.Clone(xs)
	slices.Sort(out)
	return out
}

// The teacher's view model itself, on both brokers: a publish from a
// plain amqp091-go client in a student's vhost appears with where it went
// and every binding's reason.
func TestTeacherViewModel(t *testing.T) {
	t.Parallel()
	type target struct {
		name    string
		admin   classroom.Admin
		teacher string
		dial    func(classroom.Student) string
		host    string
	}
	var targets []target

	srv, err := broker.Start(broker.Options{Users: map[string]string{"teacher": "pw"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	embedded := srv.Addr().String()
	targets = append(targets, target{"embedded", embeddedAdmin{srv}, "teacher", func(s classroom.Student) string {
		return "amqp://teacher:pw@" + embedded + "/" + url.PathEscape(s.VHost)
	}, embedded})

	if live, ok := brokertest.Live(t); ok {
		if m, ok := brokertest.LiveManagement(t); ok {
			mc, err := management.NewClient(m.URL, m.User, m.Pass, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(mc.Close)
			lu, _ := url.Parse(live)
			targets = append(targets, target{"rabbitmq", managementAdmin{mc}, m.User, func(s classroom.Student) string {
				return inVHost(t, live, s.VHost)
			}, lu.Host})
		}
	}
	topic, err := scenarios.Lookup("topic")
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			name := brokertest.Unique("warren-view")
			roster := []classroom.Student{{Name: name, User: name, VHost: name}}
			classroom.Complete(roster, "amqp", tg.host)
			ctx := t.Context()
			t.Cleanup(func() { _ = classroom.Remove(context.WithoutCancel(ctx), tg.admin, roster) })
			if err := classroom.Provision(ctx, tg.admin, tg.teacher, roster); err != nil {
				t.Fatal(err)
			}
			class, err := classroom.Watch(ctx, roster, classroom.Config{
				Dial: func(ctx context.Context, s classroom.Student) (*sandbox.Session, error) {
					return sandbox.Dial(ctx, tg.dial(s), sandbox.Options{})
				},
				Topology:  tg.admin.Topology,
				Scenarios: []*scenarios.Scenario{topic},
			})
			if err != nil {
				t.Fatal(err)
			}
			defer class.Close()

			ch, err := amqpDial(t, roster[0].URL).Channel()
			if err != nil {
				t.Fatal(err)
			}
			err = ch.PublishWithContext(ctx, "animals", "lazy.orange.elephant", false, false, amqp.Publishing{
				Headers: amqp.Table{"colour": "orange"}, Body: []byte("from my own code")})
			if err != nil {
				t.Fatal(err)
			}
			var got classroom.Traffic
			deadline := time.After(30 * time.Second)
			for got.Exchange == "" {
				select {
				case <-class.Changed():
					if v := class.Snapshot()[0]; len(v.Traffic) > 0 {
						got = v.Traffic[0]
					}
				case <-deadline:
					t.Fatalf("no traffic in the teacher's view after 30s: %+v", class.Snapshot())
				}
			}
			lines := strings.Join(classroom.Describe(got), "\n")
			if got.User != name || got.RoutingKey != "lazy.orange.elephant" || string(got.Body) != "from my own code" ||
				got.Headers["colour"] != "orange" || !slices.Equal(got.Routed, []string{"Q1", "Q2"}) || !got.Agrees {
				t.Errorf("traffic %+v\n%s", got, lines)
			}
			for _, want := range []string{
				`✓ animals -["*.orange.*"]-> Q1: '*' matched 'lazy', '*' matched 'elephant'`,
				`✗ animals -["*.*.rabbit"]-> Q2: 'rabbit' != 'elephant' at word 3`,
				`✓ animals -["lazy.#"]-> Q2: '#' matched 'orange.elephant'`,
			} {
				if !strings.Contains(lines, want) {
					t.Errorf("the explanation lacks %q:\n%s", want, lines)
				}
			}
		})
	}
}
