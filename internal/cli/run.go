package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/warrenmq/warren/sandbox"
	"github.com/warrenmq/warren/sandbox/amqpuri"
	"github.com/warrenmq/warren/sandbox/routing"
	"github.com/warrenmq/warren/scenarios"
)

func newRunCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "run SCENARIO|FILE",
		Short: "Play a scenario's steps headless and check every expectation",
		Long: `Play a built-in scenario (see warren list) or a scenario file on a broker:
declare its topology, publish each step's message, observe which queues
receive it, compare with the step's expectations and with Warren's routing
model, then delete everything it declared (also on failure or Ctrl-C).

Exit status: 0 when every expectation held; 1 when one failed, or the
broker could not be used (unreachable, refused the login, vhost missing,
connection lost); 2 on bad input (an unknown flag, an unknown scenario, a
file with errors, a --url that is not an amqp:// or amqps:// URL).
With --json, stdout holds one JSON object whenever exit is 0 or 1 (a
broker that could not be used is "ok": false with its "error"); bad
input (exit 2) prints only a message on stderr.`,
		Example: `  warren run topic
  warren run topic --url ` + amqpuri.Default + ` --json
  warren run ./my-scenario.yaml`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return badInput("warren run takes one scenario name or file; the built-in scenarios are: %s",
					strings.Join(scenarios.BuiltinNames(), ", "))
			}
			return nil
		},
		RunE: e.runScenario,
	}
	cmd.Flags().Bool("json", false, "print one JSON object (the contract in README.md) instead of a table")
	cmd.Flags().Bool("narrate", false, "classroom mode: tell each step as it plays (narration, every binding's verdict, what was delivered)")
	cmd.Flags().Bool("pause", false, "classroom mode, waiting for Enter before each step (implies --narrate)")
	cmd.Flags().Bool("quiz", false, "predict, then reveal: read one line of predicted queues per step from stdin before it is published; ends with \"score: K/N\", exit 0 only when all are right")
	cmd.Flags().String("name-suffix", "", nameSuffixHelp)
	return cmd
}

func (e *env) runScenario(cmd *cobra.Command, args []string) error {
	asJSON, _ := cmd.Flags().GetBool("json")
	suffix := e.nameSuffix(cmd)
	quizMode, _ := cmd.Flags().GetBool("quiz")
	if quizMode && asJSON {
		return badInput("--quiz talks with a person (a line per step, then \"score: K/N\"); it cannot be combined with --json")
	}
	sc, err := lookupScenario(args[0])
	if err != nil {
		return err
	}
	if err := sandboxNameCheck(sc, suffix); err != nil {
		return err
	}
	if quizMode && sc.RestartsBroker() {
		return badInput("scenario %s restarts the broker in a step, which publishes nothing to predict: it has no quiz; play it without --quiz", sc.Name)
	}

	clientTLS, err := e.clientTLS(cmd)
	if err != nil {
		return err
	}
	ob, err := e.openBroker(cmd)
	if err != nil {
		return err
	}
	defer ob.stop()
	url, label := ob.url, ob.label
	ctx := cmd.Context()
	dialCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	// a restart_broker step closes the connection: the Session must come
	// back (on another broker the step is skipped, and a lost connection
	// ends the run as always)
	reconnect := sc.RestartsBroker() && ob.restart != nil
	s, err := sandbox.Dial(dialCtx, url, sandbox.Options{Label: label, ConnectionName: "warren run " + sc.Name, TLS: clientTLS, Reconnect: reconnect})
	cancel()
	if err != nil {
		if errors.Is(err, amqpuri.ErrInvalid) {
			return badInput("%v", err)
		}
		if asJSON {
			// The contract is one JSON object on stdout whenever the run
			// was attempted: a script reads why from "error".
			shown := label
			if shown == "" {
				shown = amqpuri.Mask(url)
			}
			rep := runReport{Scenario: sc.Name, Broker: shown, Error: err.Error(), Steps: []stepReport{}}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			if jerr := enc.Encode(rep); jerr != nil {
				return jerr
			}
			fmt.Fprintln(cmd.ErrOrStderr(), "warren:", err)
			return failedError{}
		}
		return err
	}
	defer s.Close()

	p := scenarios.NewPlayer(s, sc)
	p.Suffix = suffix
	p.AckManual = true
	p.RestartBroker = ob.restart
	rep := runReport{Scenario: sc.Name, Broker: s.Broker(), Server: strings.TrimSpace(s.ServerProduct() + " " + s.ServerVersion()), NameSuffix: suffix, Steps: []stepReport{}}

	// Whatever happens from here on, delete what was declared: with a
	// context of its own, as ctx may be the cancelled one (Ctrl-C).
	var results []scenarios.StepResult
	var quiz *scenarios.Quiz
	runErr := p.Setup(ctx)
	talk := quizMode || (!asJSON && (flagBool(cmd, "narrate") || flagBool(cmd, "pause")))
	if runErr == nil && talk && suffix != "" {
		fmt.Fprintf(cmd.OutOrStdout(), "%s\n\n", suffixNote(suffix))
	}
	if runErr == nil && quizMode {
		quiz = scenarios.NewQuiz(sc)
		z := &quizzer{narrator: narrator{out: cmd.OutOrStdout()}, in: newLineReader(cmd.InOrStdin()), interactive: isTerminal(cmd.InOrStdin()),
			scores: scenarios.NewScoreReporter(ctx, s), errOut: cmd.ErrOrStderr()}
		results, runErr = z.playQuiz(ctx, p, quiz)
	} else if runErr == nil {
		narrate, _ := cmd.Flags().GetBool("narrate")
		pause, _ := cmd.Flags().GetBool("pause")
		if (narrate || pause) && !asJSON { // --pause alone means narrate and pause
			n := narrator{out: cmd.OutOrStdout()}
			if pause {
				n.pause = readLines(cmd.InOrStdin())
			}
			results, runErr = n.playNarrated(ctx, p)
		} else {
			results, runErr = p.Run(ctx)
		}
	}
	cleanCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	cleanErr := p.Teardown(cleanCtx)
	cancel()
	if ctx.Err() != nil && runErr != nil {
		runErr = interrupted(cleanErr)
	}

	rep.OK = runErr == nil && len(results) == len(sc.Steps)
	for _, r := range results {
		rep.OK = rep.OK && r.OK
		rep.Steps = append(rep.Steps, newStepReport(r))
	}
	if runErr != nil {
		rep.Error = runErr.Error()
	}
	out := cmd.OutOrStdout()
	if quiz != nil {
		return quizEnd(cmd, quiz, results, runErr, cleanErr)
	}
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printTable(out, sc, rep, results)
	}
	if cleanErr != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "warren: cleaning up: %v\n", cleanErr)
	}
	switch {
	case runErr != nil && !asJSON:
		return runErr
	case !rep.OK:
		return failedError{}
	}
	return nil
}

// lookupScenario finds a built-in scenario or loads a file; what goes
// wrong is bad input (exit 2), with the file's errors listed.
func lookupScenario(name string) (*scenarios.Scenario, error) {
	sc, err := scenarios.Lookup(name)
	if err != nil {
		var le scenarios.LoadErrors
		if errors.As(err, &le) {
			return nil, badInput("the scenario file has errors:\n%v", err)
		}
		return nil, badInput("%v", err)
	}
	return sc, nil
}

// suffixNote tells the names a run declared under.
func suffixNote(suffix string) string {
	return fmt.Sprintf("names: the scenario's, each with %q appended on the broker (so that other runs of it there do not collide; --name-suffix chooses)", suffix)
}

func flagBool(cmd *cobra.Command, name string) bool {
	v, _ := cmd.Flags().GetBool(name)
	return v
}

// quizEnd finishes a quiz: the steps whose expectations failed (the
// broker did not do what the scenario says), then the score line; exit 0
// only when every step was answered right, 2 for an answer that could not
// be read.
func quizEnd(cmd *cobra.Command, quiz *scenarios.Quiz, results []scenarios.StepResult, runErr, cleanErr error) error {
	out := cmd.OutOrStdout()
	for _, r := range results {
		if !r.OK {
			fmt.Fprintf(out, "step %d did not go as the scenario expects: %s\n", r.Index, r.Why)
		}
	}
	if runErr != nil {
		var ue usageError
		if !errors.As(runErr, &ue) {
			fmt.Fprintf(out, "stopped: %v\n", runErr)
		}
	}
	fmt.Fprintln(out, quiz.ScoreLine())
	if cleanErr != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "warren: cleaning up: %v\n", cleanErr)
	}
	if runErr != nil {
		var ue usageError
		if errors.As(runErr, &ue) {
			return runErr
		}
		fmt.Fprintln(cmd.ErrOrStderr(), "warren:", runErr)
		return failedError{}
	}
	if right, _ := quiz.Score(); right != len(quiz.Scenario.Steps) {
		return failedError{}
	}
	return nil
}

// interrupted is the run's error after Ctrl-C or SIGTERM: it says
// whether what the run declared is gone, for on a live broker a failed
// clean-up leaves exchanges and queues for the user to delete.
func interrupted(cleanErr error) error {
	if cleanErr != nil {
		return fmt.Errorf("interrupted; deleting what the run declared failed, delete it by hand: %v", cleanErr)
	}
	return errors.New("interrupted; what the run declared was deleted")
}

// sandboxNameCheck refuses a suffix that would make names invalid: over 64
// bytes, or pushing a scenario's exchange or queue name past AMQP's 255
// bytes (the loader checked the names without it; a name the broker
// cannot take would otherwise fail the run half-way, leaving what was
// already declared behind).
func sandboxNameCheck(sc *scenarios.Scenario, suffix string) error {
	if len(suffix) > 64 {
		return badInput("--name-suffix is %d bytes; keep it under 64", len(suffix))
	}
	if suffix == "" {
		return nil
	}
	check := func(kind, name string) error {
		if name == "" || strings.HasPrefix(name, "amq.") {
			return nil
		}
		if n := len(name) + len(suffix); n > 255 {
			return badInput("--name-suffix %q makes %s %.40q... %d bytes; AMQP 0-9-1 names are at most 255: use a shorter suffix", suffix, kind, name, n)
		}
		return nil
	}
	for _, x := range sc.Topology.Exchanges {
		if err := check("exchange", x.Name); err != nil {
			return err
		}
	}
	for _, q := range sc.Topology.Queues {
		if err := check("queue", q.Name); err != nil {
			return err
		}
	}
	return nil
}

// runReport is the JSON contract of `warren run --json` (README.md):
// scenario, broker, ok and steps keep their meaning; more fields may come.
type runReport struct {
	Scenario string `json:"scenario"`
	Broker   string `json:"broker"`
	Server   string `json:"server,omitempty"`
	// NameSuffix is what was appended to the names declared on the broker.
	NameSuffix string       `json:"name_suffix,omitempty"`
	OK         bool         `json:"ok"`
	Error      string       `json:"error,omitempty"`
	Steps      []stepReport `json:"steps"`
}

type stepReport struct {
	Index          int               `json:"index"`
	Say            string            `json:"say,omitempty"`
	Exchange       string            `json:"exchange"`
	RoutingKey     string            `json:"routing_key"`
	Headers        map[string]any    `json:"headers"`
	Mandatory      bool              `json:"mandatory,omitempty"`
	Expected       []string          `json:"expected"`
	Delivered      []string          `json:"delivered"`
	Returned       bool              `json:"returned"`
	ExpectReturned *bool             `json:"expect_returned,omitempty"`
	ConsumedBy     map[string]string `json:"consumed_by,omitempty"`
	OK             bool              `json:"ok"`
	Model          modelReport       `json:"model"`
	Why            string            `json:"why,omitempty"`
	// RestartBroker marks a restart_broker step; Survivors are what each
	// queue held before and after it.
	RestartBroker bool             `json:"restart_broker,omitempty"`
	Survivors     []survivorReport `json:"survivors,omitempty"`
	// Skipped: the step was not played (a restart on a broker Warren
	// cannot restart, or a step after one); Note says why.
	Skipped bool   `json:"skipped,omitempty"`
	Note    string `json:"note,omitempty"`
}

// survivorReport is one queue across a restart_broker step.
type survivorReport struct {
	Queue         string `json:"queue"`
	ReadyBefore   int    `json:"ready_before"`
	UnackedBefore int    `json:"unacked_before"`
	Gone          bool   `json:"gone"`
	ReadyAfter    int    `json:"ready_after"`
	Redelivered   int    `json:"redelivered"`
}

type modelReport struct {
	Queues []string `json:"queues"`
	Fate   string   `json:"fate"`
	Agrees bool     `json:"agrees"`
}

func newStepReport(r scenarios.StepResult) stepReport {
	headers := map[string]any{}
	for k, v := range r.Step.Publish.Headers {
		headers[k] = v
	}
	mq := append([]string{}, r.Model.Queues...)
	sort.Strings(mq)
	return stepReport{
		Index: r.Index, Say: r.Step.Say, Exchange: r.Step.Publish.Exchange, RoutingKey: r.Step.Publish.RoutingKey,
		Headers: headers, Mandatory: r.Step.Publish.Mandatory,
		Expected: r.Expected, Delivered: r.Delivered, Returned: r.Returned, ExpectReturned: r.Step.ExpectReturned,
		ConsumedBy: r.ConsumedBy, OK: r.OK,
		Model:         modelReport{Queues: mq, Fate: string(r.Model.Fate), Agrees: r.ModelAgrees},
		Why:           r.Why,
		RestartBroker: r.Step.RestartBroker, Survivors: survivorReports(r.Survivors),
		Skipped: r.Skipped, Note: r.Note,
	}
}

func survivorReports(ss []scenarios.Survivor) []survivorReport {
	var out []survivorReport
	for _, s := range ss {
		out = append(out, survivorReport{Queue: s.Queue, ReadyBefore: s.ReadyBefore, UnackedBefore: s.UnackedBefore,
			Gone: s.Gone, ReadyAfter: s.ReadyAfter, Redelivered: s.Redelivered})
	}
	return out
}

func printTable(out io.Writer, sc *scenarios.Scenario, rep runReport, results []scenarios.StepResult) {
	if sc.Title != "" {
		fmt.Fprintf(out, "%s: %s\n", sc.Name, sc.Title)
	} else {
		fmt.Fprintln(out, sc.Name)
	}
	shown := rep.Broker
	if rep.Server != "" {
		shown += " (" + rep.Server + ")"
	}
	fmt.Fprintf(out, "broker: %s\n", shown)
	if rep.NameSuffix != "" {
		fmt.Fprintln(out, suffixNote(rep.NameSuffix))
	}
	fmt.Fprintln(out)
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "STEP\tEXCHANGE\tROUTING KEY\tEXPECTED\tDELIVERED\tRESULT")
	passed, skipped := 0, 0
	var notes []string
	for _, r := range results {
		if r.Skipped || r.Step.RestartBroker {
			// no message: the table says what the step was, the notes
			// what it found
			what, result := "(restart the broker)", "PASS"
			switch {
			case r.Skipped:
				result = "SKIP"
				skipped++
				notes = append(notes, fmt.Sprintf("step %d %s", r.Index, r.Note))
			case !r.OK:
				result = "FAIL"
			default:
				passed++
			}
			if !r.Step.RestartBroker {
				what = r.Step.Publish.Exchange + " " + r.Step.Publish.RoutingKey
			}
			fmt.Fprintf(w, "%d\t%s\t\t%s\t%s\t%s\n", r.Index, what, restartExpected(r.Step), survivorsText(r.Survivors), result)
			if r.Step.RestartBroker && !r.Skipped {
				for _, s := range r.Survivors {
					notes = append(notes, fmt.Sprintf("step %d restart: %s: %s", r.Index, s.Queue, s))
				}
				if r.Note != "" {
					notes = append(notes, fmt.Sprintf("step %d restart: %s", r.Index, r.Note))
				}
				if r.Why != "" {
					notes = append(notes, fmt.Sprintf("step %d failed: %s", r.Index, r.Why))
				}
			}
			continue
		}
		key := r.Step.Publish.RoutingKey
		if h := headerText(r.Step.Publish.Headers); h != "" {
			key = strings.TrimSpace(key + " " + h)
		}
		if key == "" {
			key = `""`
		}
		ex := r.Step.Publish.Exchange
		if ex == "" {
			ex = `(default)`
		}
		expected := queuesText(r.Expected)
		if rt := r.Step.ExpectReturned; rt != nil && *rt {
			expected += " +returned"
		}
		delivered := queuesText(r.Delivered)
		if r.Returned {
			delivered += fmt.Sprintf(" +returned %d", r.Return.ReplyCode)
		}
		for q, c := range r.ConsumedBy {
			if _, want := r.Step.ExpectConsumers[q]; want {
				delivered = strings.Replace(delivered, q, q+"("+c+")", 1)
			}
		}
		result := "PASS"
		if !r.OK {
			result = "FAIL"
		} else {
			passed++
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", r.Index, ex, key, expected, delivered, result)
		if r.Why != "" {
			label := "failed"
			if r.OK {
				label = "model differs"
			}
			notes = append(notes, fmt.Sprintf("step %d %s: %s", r.Index, label, r.Why))
		}
	}
	_ = w.Flush()
	if len(notes) > 0 {
		fmt.Fprintf(out, "\n%s\n", strings.Join(notes, "\n"))
	}
	fmt.Fprintf(out, "\n%d of %d steps passed", passed, len(sc.Steps))
	if skipped > 0 {
		fmt.Fprintf(out, ", %d skipped", skipped)
	}
	if rep.Error != "" {
		fmt.Fprintf(out, "; stopped: %s", rep.Error)
	}
	fmt.Fprintln(out)
}

// restartExpected is a restart step's expectations in the table's
// EXPECTED column, counted ("2 with messages, 3 gone"); the notes under
// the table name the queues.
func restartExpected(st scenarios.Step) string {
	if !st.RestartBroker {
		return queuesText(st.Expect)
	}
	kept := 0
	for _, n := range st.ExpectReady {
		if n > 0 {
			kept++
		}
	}
	return survivalCounts(kept, len(st.ExpectGone))
}

// survivorsText is what a restart left, in the DELIVERED column, counted
// as restartExpected counts: queues holding messages, queues gone.
func survivorsText(ss []scenarios.Survivor) string {
	if len(ss) == 0 {
		return "-"
	}
	kept, gone := 0, 0
	for _, s := range ss {
		switch {
		case s.Gone:
			gone++
		case s.ReadyAfter > 0:
			kept++
		}
	}
	return survivalCounts(kept, gone)
}

func survivalCounts(kept, gone int) string {
	var parts []string
	if kept > 0 {
		parts = append(parts, fmt.Sprintf("%d with messages", kept))
	}
	if gone > 0 {
		parts = append(parts, fmt.Sprintf("%d gone", gone))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

func queuesText(qs []string) string {
	if len(qs) == 0 {
		return "-"
	}
	return strings.Join(qs, " ")
}

// headerText shows a table in the notation people type (n:int=5, s="5"),
// in braces; "" for none.
func headerText(h routing.Table) string {
	if len(h) == 0 {
		return ""
	}
	return "{" + routing.FormatTable(h) + "}"
}
