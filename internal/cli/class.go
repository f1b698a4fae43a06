package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/warrenmq/warren/classroom"
	"github.com/warrenmq/warren/sandbox"
	"github.com/warrenmq/warren/sandbox/amqpuri"
	"github.com/warrenmq/warren/sandbox/broker"
	"github.com/warrenmq/warren/scenarios"
	"github.com/warrenmq/warren/tui/classview"
)

func newClassCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "class (--students N | --roster FILE) [--scenario S ...] [--listen ADDR] [--json] [--headless]",
		Short: "A class on one broker: a vhost, user and password per student, and the teacher's view of their traffic",
		Long: `Start the embedded broker for a class (or, with --url, provision a live
RabbitMQ through its management API): for each student a vhost, a user
and a generated password, the user allowed only in that vhost (configure,
write and read ".*" there, nothing elsewhere), the chosen scenarios
declared in every vhost under their own names, and each vhost's firehose
on. It prints the roster (with --json exactly
[{"name","user","password","vhost","url"}]) and runs until Ctrl-C or
SIGTERM, showing for every student what any client of theirs published,
where it went and why, and the scores of the quizzes they play
(warren run SCENARIO --quiz --url THEIR_URL, or in the TUI
warren --url THEIR_URL --quiz).

The embedded broker listens on loopback unless --listen names another
address; it then says that it is reachable from the network. The class
ends with the command. On a live RabbitMQ the class stays (each run gives
the students new passwords) until warren class --url ... --remove.`,
		Example: `  warren class --students 30 --scenario topic --listen 0.0.0.0:5672
  warren class --roster students.txt --json --headless > roster.json
  warren class --url amqp://admin:pw@rabbit:5672/ --students 30 --scenario topic
  warren class --url amqp://admin:pw@rabbit:5672/ --students 30 --remove`,
		Args: noArgs,
		RunE: e.runClass,
	}
	f := cmd.Flags()
	f.Int("students", 0, "this many students, named student-01, student-02, ...")
	f.String("roster", "", "a file with one student's name a line (# comments): user and vhost are the name in lower case, dashes for spaces")
	f.StringArray("scenario", nil, "declare this scenario's topology in every student's vhost (repeat for several; a built-in name or a file)")
	f.String("listen", "127.0.0.1:0", "the embedded broker's address; anything but loopback makes the class reachable from the network")
	f.Bool("json", false, `print the roster as JSON, exactly [{"name","user","password","vhost","url"}]; what happens later goes to stderr`)
	f.Bool("headless", false, "no teacher's screen: print each student's messages and scores as they come")
	f.String("management-url", "", "with --url: the live RabbitMQ's management API (default: the --url host on port 15672, with its credentials)")
	f.Bool("remove", false, "with --url: delete the roster's vhosts and users from the live RabbitMQ, and exit")
	return cmd
}

// classOpts is what the flags ask for.
type classOpts struct {
	roster    []classroom.Student
	scenarios []*scenarios.Scenario
	asJSON    bool
	headless  bool
	remove    bool
}

func (e *env) classOptions(cmd *cobra.Command) (classOpts, error) {
	var o classOpts
	f := cmd.Flags()
	n, _ := f.GetInt("students")
	file, _ := f.GetString("roster")
	var err error
	switch {
	case n != 0 && file != "":
		return o, badInput("give --students N or --roster FILE, not both")
	case file != "":
		o.roster, err = classroom.ReadRosterFile(file)
	case f.Changed("students"):
		o.roster, err = classroom.Numbered(n)
	default:
		return o, badInput("say how many students (--students N) or who (--roster FILE)")
	}
	if err != nil {
		return o, badInput("%v", err)
	}
	names, _ := f.GetStringArray("scenario")
	for _, name := range names {
		sc, err := lookupScenario(name)
		if err != nil {
			return o, err
		}
		o.scenarios = append(o.scenarios, sc)
	}
	o.asJSON, _ = f.GetBool("json")
	o.headless, _ = f.GetBool("headless")
	o.remove, _ = f.GetBool("remove")
	if o.asJSON {
		o.headless = true // stdout holds the roster alone
	}
	return o, nil
}

func (e *env) runClass(cmd *cobra.Command, _ []string) error {
	o, err := e.classOptions(cmd)
	if err != nil {
		return err
	}
	if e.brokerURL(cmd) != "" {
		if cmd.Flags().Changed("listen") {
			return badInput("--listen is the embedded broker's address; with --url the class is on that broker")
		}
		return e.runLiveClass(cmd, o)
	}
	if o.remove {
		return badInput("--remove removes a class from a live RabbitMQ (--url); on the embedded broker a class ends with the command")
	}
	return e.runEmbeddedClass(cmd, o)
}

// teacherUser is the embedded class broker's administrator: not guest,
// whose well-known password would open every vhost to every student.
const teacherUser = "teacher"

func (e *env) runEmbeddedClass(cmd *cobra.Command, o classOpts) error {
	listen, _ := cmd.Flags().GetString("listen")
	if _, _, err := net.SplitHostPort(listen); err != nil {
		return badInput("--listen %q: want host:port, e.g. 0.0.0.0:5672 or 127.0.0.1:5673", listen)
	}
	teacherPass := classroom.NewPassword()
	srv, err := broker.Start(broker.Options{Listen: listen, Users: map[string]string{teacherUser: teacherPass}})
	if err != nil {
		return fmt.Errorf("start the class's broker on %s: %w", listen, err)
	}
	defer srv.Shutdown()
	addr := srv.Addr().String()
	hostPort, network, err := classroom.ReachableHost(addr)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	classroom.Complete(o.roster, "amqp", hostPort)
	if err := classroom.Provision(ctx, embeddedAdmin{srv}, teacherUser, o.roster); err != nil {
		return err
	}
	_, port, _ := net.SplitHostPort(addr)
	local := net.JoinHostPort("127.0.0.1", port)
	status := e.classStatus(cmd, o)
	if network {
		fmt.Fprintf(status, "warren class: listening on %s, REACHABLE FROM THE NETWORK: anyone who can reach this machine can try the credentials below\n", addr)
	} else {
		fmt.Fprintf(status, "warren class: listening on %s, loopback only (--listen 0.0.0.0:5672 lets students on other machines in)\n", addr)
	}
	fmt.Fprintf(status, "warren class: teacher's login %s:%s (administrator; keep it to yourself)\n", teacherUser, teacherPass)
	return e.teach(cmd, o, embeddedAdmin{srv}, func(s classroom.Student) string {
		return (&url.URL{Scheme: "amqp", User: url.UserPassword(teacherUser, teacherPass), Host: local, Path: "/" + s.VHost, RawPath: "/" + url.PathEscape(s.VHost)}).String()
	}, "embedded", fmt.Sprintf("warren class · %d students · %s", len(o.roster), addr))
}

func (e *env) runLiveClass(cmd *cobra.Command, o classOpts) error {
	raw := e.brokerURL(cmd)
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "amqp" && u.Scheme != "amqps") || u.Host == "" {
		return badInput("--url %q: want amqp://user:password@host:port/", amqpuri.Mask(raw))
	}
	teacher := "guest"
	teacherPass := "guest"
	if u.User != nil {
		teacher = u.User.Username()
		teacherPass, _ = u.User.Password()
	}
	mc, err := e.managementClient(cmd)
	if err != nil {
		return err
	}
	defer mc.Close()
	admin := managementAdmin{mc}
	ctx := cmd.Context()
	if o.remove {
		if err := classroom.Remove(ctx, admin, o.roster); err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "removed %d students' vhosts and users from %s\n", len(o.roster), mc.URL())
		return nil
	}
	classroom.Complete(o.roster, u.Scheme, u.Host)
	if err := classroom.Provision(ctx, admin, teacher, o.roster); err != nil {
		return err
	}
	status := e.classStatus(cmd, o)
	fmt.Fprintf(status, "warren class: provisioned on %s (management API %s); the class stays there until warren class --url ... --remove\n", amqpuri.Mask(raw), mc.URL())
	return e.teach(cmd, o, admin, func(s classroom.Student) string {
		t := *u
		t.User = url.UserPassword(teacher, teacherPass)
		t.Path, t.RawPath = "/"+s.VHost, "/"+url.PathEscape(s.VHost)
		return t.String()
	}, "", fmt.Sprintf("warren class · %d students · %s", len(o.roster), amqpuri.Mask(raw)))
}

// classStatus is where the command's own lines go: stderr when stdout
// holds the JSON roster.
func (e *env) classStatus(cmd *cobra.Command, o classOpts) io.Writer {
	if o.asJSON {
		return cmd.ErrOrStderr()
	}
	return cmd.OutOrStdout()
}

// teach prints the roster, watches the class until the command is
// interrupted, and stops.
func (e *env) teach(cmd *cobra.Command, o classOpts, admin classroom.Admin, teacherURL func(classroom.Student) string, label, title string) error {
	ctx := cmd.Context()
	out := cmd.OutOrStdout()
	status := e.classStatus(cmd, o)
	var mu sync.Mutex
	notify := func(u classroom.Update) {
		mu.Lock()
		defer mu.Unlock()
		printUpdate(status, u)
	}
	cfg := classroom.Config{
		Dial: func(ctx context.Context, s classroom.Student) (*sandbox.Session, error) {
			dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
			defer cancel()
			return sandbox.Dial(dctx, teacherURL(s), sandbox.Options{Label: label, Reconnect: true, ConnectionName: "warren class (teacher)", EventBuffer: 4096})
		},
		Topology:  admin.Topology,
		Scenarios: o.scenarios,
	}
	if o.headless {
		cfg.Notify = notify
	}
	class, err := classroom.Watch(ctx, o.roster, cfg)
	if err != nil {
		return err
	}
	defer class.Close()
	if o.asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(o.roster); err != nil {
			return err
		}
	} else {
		printRoster(out, o.roster)
	}
	if len(o.scenarios) > 0 {
		var names []string
		for _, sc := range o.scenarios {
			names = append(names, sc.Name)
		}
		fmt.Fprintf(status, "warren class: declared in every vhost: %s\n", strings.Join(names, ", "))
	}
	if !o.headless {
		return e.runClassTUI(ctx, class, title)
	}
	fmt.Fprintln(status, "warren class: watching; Ctrl-C ends the class")
	<-ctx.Done()
	fmt.Fprintln(status, "warren class: ended")
	return nil
}

func printRoster(w io.Writer, roster []classroom.Student) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tUSER\tPASSWORD\tVHOST\tURL")
	for _, s := range roster {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.Name, s.User, s.Password, s.VHost, s.URL)
	}
	_ = tw.Flush()
}

// printUpdate is the headless teacher's log: one message or score.
func printUpdate(w io.Writer, u classroom.Update) {
	stamp := time.Now().Format("15:04:05")
	switch {
	case u.Traffic != nil:
		lines := classroom.Describe(*u.Traffic)
		fmt.Fprintf(w, "%s %s: %s\n", stamp, u.Student.Name, lines[0])
		for _, l := range lines[1:] {
			fmt.Fprintf(w, "  %s\n", l)
		}
	case u.Score != nil:
		s := u.Score
		state := "so far"
		if s.Final {
			state = "final"
		}
		fmt.Fprintf(w, "%s %s: quiz %s: %d of %d right (%s; %d of %d steps answered)\n", stamp, u.Student.Name, s.Scenario, s.Right, s.Steps, state, s.Answered, s.Steps)
	}
}

// runClassTUI opens the teacher's screen on the class.
func (e *env) runClassTUI(ctx context.Context, class *classroom.Class, title string) error {
	return classview.New(classview.Config{Class: class, Title: title}).Run(ctx)
}
