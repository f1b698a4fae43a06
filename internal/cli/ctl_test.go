package cli

import (
	"bytes"
	"net/url"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/warrenmq/warren/internal/brokertest"
)

// the seed's four rabbitmqctl commands, as warren ctl takes them
var seedCommands = [][]string{
	{"list_exchanges"},
	{"list_queues"},
	{"list_bindings"},
	{"list_queues", "name", "messages_ready", "messages_unacknowledged"},
}

// ctlTopology declares, on the broker at amqpURL, a topic exchange, two
// queues bound to it, three messages in q1 and one of them held unacked
// by a consumer (open until the test ends).
func ctlTopology(t *testing.T, amqpURL string) {
	t.Helper()
	c, err := amqp.Dial(amqpURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ch, err := c.Channel()
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(ch.ExchangeDeclare("animals", "topic", true, false, false, false, nil))
	for _, q := range []string{"q1", "q2"} {
		_, err := ch.QueueDeclare(q, true, false, false, false, amqp.Table{"x-max-length": int32(10)})
		must(err)
	}
	must(ch.QueueBind("q1", "*.orange.*", "animals", false, nil))
	must(ch.QueueBind("q2", "lazy.#", "animals", false, amqp.Table{"note": "lazy"}))
	must(ch.Confirm(false))
	confirms := ch.NotifyPublish(make(chan amqp.Confirmation, 3))
	for range 3 {
		must(ch.Publish("animals", "quick.orange.rabbit", false, false, amqp.Publishing{Body: []byte("m")}))
	}
	for range 3 {
		if c := <-confirms; !c.Ack {
			t.Fatal("a publish was nacked")
		}
	}
	must(ch.Qos(1, 0, false))
	ds, err := ch.Consume("q1", "holder", false, false, false, false, nil)
	must(err)
	select {
	case <-ds: // held, unacked, until the connection closes
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery")
	}
}

func sortedLines(s string) []string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if len(lines) > 1 {
		slices.Sort(lines[1:])
	}
	return lines
}

// warrenCtl runs warren ctl with args and returns stdout, failing on a
// non-zero exit.
func warrenCtl(t *testing.T, args ...string) string {
	t.Helper()
	stdout, stderr, code := warren(t, append([]string{"ctl"}, args...)...)
	if code != 0 {
		t.Fatalf("warren ctl %v: exit %d\n%s", args, code, stderr)
	}
	return stdout
}

func TestCtlOnWarrenBroker(t *testing.T) {
	_, stdout := startBrokerCmd(t, nil, "--listen", "127.0.0.1:0", "--management", ":0")
	amqpAddr := listeningRE.FindStringSubmatch(stdout.String())[1]
	mgmt := regexp.MustCompile(`management API on (\S+) `).FindStringSubmatch(stdout.String())[1]
	ctlTopology(t, "amqp://guest:guest@"+amqpAddr+"/")
	mu := strings.Replace(mgmt, "http://", "http://guest:guest@", 1)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"list_queues", "name", "messages_ready", "messages_unacknowledged"},
			"Timeout: 60.0 seconds ...\nListing queues for vhost / ...\nname\tmessages_ready\tmessages_unacknowledged\nq1\t2\t1\nq2\t0\t0\n"},
		{[]string{"-q", "list_queues"}, "name\tmessages\nq1\t3\nq2\t0\n"},
		{[]string{"-q", "list_queues", "name", "durable", "arguments", "consumers"}, "name\tdurable\targuments\tconsumers\nq1\ttrue\t[{\"x-max-length\",10}]\t1\nq2\ttrue\t[{\"x-max-length\",10}]\t0\n"},
		{[]string{"-q", "list_exchanges"}, "name\ttype\n\tdirect\namq.direct\tdirect\namq.fanout\tfanout\namq.headers\theaders\namq.match\theaders\namq.rabbitmq.trace\ttopic\namq.topic\ttopic\nanimals\ttopic\n"},
		{[]string{"-q", "list_bindings"}, "source_name\tsource_kind\tdestination_name\tdestination_kind\trouting_key\targuments\n" +
			"\texchange\tq1\tqueue\tq1\t[]\n\texchange\tq2\tqueue\tq2\t[]\n" +
			"animals\texchange\tq1\tqueue\t*.orange.*\t[]\nanimals\texchange\tq2\tqueue\tlazy.#\t[{\"note\",\"lazy\"}]\n"},
		{[]string{"-q", "--no-table-headers", "list_consumers", "queue_name", "consumer_tag", "ack_required", "prefetch_count", "active"}, "q1\tholder\ttrue\t1\ttrue\n"},
		{[]string{"-q", "list_connections", "user", "vhost", "state", "channels"}, "user\tvhost\tstate\tchannels\nguest\t/\trunning\t1\n"},
	} {
		if got := warrenCtl(t, append(tc.args, "--management-url", mu)...); got != tc.want {
			t.Errorf("warren ctl %v:\n%s\nwant\n%s", tc.args, got, tc.want)
		}
	}
}

func TestCtlFindsTheManagementAPI(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{nil, nil, "http://127.0.0.1:15672 guest"},
		{[]string{"--url", "amqp://bob:pw@rabbit.example:5673/shop"}, nil, "http://rabbit.example:15672 bob"},
		{[]string{"--url", "amqps://bob:pw@rabbit.example/"}, nil, "https://rabbit.example:15672 bob"},
		{nil, map[string]string{"AMQP_URL": "amqp://carol:pw@10.1.2.3:5672/"}, "http://10.1.2.3:15672 carol"},
		{nil, map[string]string{"WARREN_MANAGEMENT_URL": "http://dave:pw@h:15673", "AMQP_URL": "amqp://carol:pw@x/"}, "http://h:15673 dave"},
		{[]string{"--management-url", "http://erin:pw@h:1"}, map[string]string{"WARREN_MANAGEMENT_URL": "http://dave:pw@h:15673"}, "http://h:1 erin"},
	} {
		e := &env{getenv: func(k string) string { return tc.env[k] }}
		root := newRootCmd(e)
		ctl, _, err := root.Find([]string{"ctl", "list_queues"})
		if err != nil {
			t.Fatal(err)
		}
		if err := ctl.ParseFlags(tc.args); err != nil {
			t.Fatal(err)
		}
		c, err := e.managementClient(ctl)
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if got := c.URL() + " " + c.User(); got != tc.want {
			t.Errorf("%v %v: %s, want %s", tc.args, tc.env, got, tc.want)
		}
	}
}

func TestCtlBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"list_queues", "nosuchcol"}, "Info key(s) nosuchcol are not supported; list_queues takes: arguments,"},
		{[]string{"list_queues", "--management-url", "ftp://x"}, `management URL "ftp://x": want http://host:port`},
		{[]string{"list_exchanges", "--management-url", "http://127.0.0.1:1"}, "does not answer"},
	} {
		_, stderr, code := warren(t, append([]string{"ctl"}, tc.args...)...)
		if code == 0 || !strings.Contains(stderr, tc.want) {
			t.Errorf("warren ctl %v: exit %d %q; want %q", tc.args, code, stderr, tc.want)
		}
	}
}

// The seed's four rabbitmqctl commands, run by rabbitmqctl itself and by
// warren ctl on the same live vhost, print the same lines (rabbitmqctl
// orders rows as it likes: compared sorted).
func TestCtlMatchesRabbitmqctl(t *testing.T) {
	m := brokertest.LiveManagementOrSkip(t)
	rabbitmqctl, err := exec.LookPath("rabbitmqctl")
	if err != nil {
		if brokertest.Required() {
			t.Fatal("rabbitmqctl is not on PATH")
		}
		t.Skip("no rabbitmqctl")
	}
	vh, _ := m.TempVHostUser(t, "unused")
	m.SetPermissions(t, vh, m.User, ".*", ".*", ".*")
	u, _ := url.Parse(brokertest.URL())
	u.Path, u.RawPath = "/"+vh, "/"+url.PathEscape(vh)
	ctlTopology(t, u.String())
	mu, _ := url.Parse(m.URL)
	mu.User = url.UserPassword(m.User, m.Pass)
	for _, cmd := range seedCommands {
		var out bytes.Buffer
		c := exec.Command(rabbitmqctl, append([]string{"-q", cmd[0], "-p", vh}, cmd[1:]...)...)
		c.Stdout = &out
		if err := c.Run(); err != nil {
			t.Fatalf("rabbitmqctl %v: %v", cmd, err)
		}
		want := sortedLines(out.String())
		var got []string
		// the API counts messages from statistics a few seconds late
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); <-time.After(250 * time.Millisecond) {
			if got = sortedLines(warrenCtl(t, append(append([]string{"-q", cmd[0], "-p", vh}, cmd[1:]...), "--management-url", mu.String())...)); slices.Equal(got, want) {
				break
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%v:\nwarren ctl: %q\nrabbitmqctl: %q", cmd, got, want)
		}
	}
}
