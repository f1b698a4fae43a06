package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/warrenmq/warren/sandbox"
	"github.com/warrenmq/warren/scenarios"
)

var runCmd = &cobra.Command{
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
  warren run topic --url amqp://guest:guest@127.0.0.1:5672/ --json
  warren run ./my-scenario.yaml`,
	Args: func(cmd *cobra.Command, args []string) error {
		if len(args) != 1 {
			return badInput("warren run takes one scenario name or file; the built-in scenarios are: %s",
				strings.Join(scenarios.BuiltinNames(), ", "))
		}
		return nil
	},
	RunE: runScenario,
}

func init() {
	runCmd.Flags().Bool("json", false, "print one JSON object (the contract in DESIGN.md) instead of a table")
	runCmd.Flags().Bool("narrate", false, "classroom mode: tell each step as it plays (narration, every binding's verdict, what was delivered)")
	runCmd.Flags().Bool("pause", false, "classroom mode, waiting for Enter before each step (implies --narrate)")
	runCmd.Flags().String("name-suffix", "", "append this to every exchange and queue name declared, to share a broker with other runs (results keep the scenario's names)")
	rootCmd.AddCommand(runCmd)
}

func runScenario(cmd *cobra.Command, args []string) error {
	asJSON, _ := cmd.Flags().GetBool("json")
	suffix, _ := cmd.Flags().GetString("name-suffix")
	sc, err := scenarios.Lookup(args[0])
	if err != nil {
		var ue *scenarios.UnknownScenarioError
		var le scenarios.LoadErrors
		switch {
		case errors.As(err, &ue):
			return badInput("%v", err)
		case errors.As(err, &le):
			return badInput("the scenario file has errors:\n%v", err)
		default:
			return badInput("%v", err)
		}
	}
	if err := sandboxNameCheck(sc, suffix); err != nil {
		return err
	}

	url, label, stop, err := openBroker(cmd)
	if err != nil {
		return err
	}
	defer stop()
	ctx := cmd.Context()
	dialCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	s, err := sandbox.Dial(dialCtx, url, sandbox.Options{Label: label, ConnectionName: "warren run " + sc.Name})
	cancel()
	if err != nil {
		if errors.Is(err, sandbox.ErrBadURL) {
			return badInput("%v", err)
		}
		if asJSON {
			// The contract is one JSON object on stdout whenever the run
			// was attempted: a script reads why from "error".
			broker := label
			if broker == "" {
				broker = sandbox.MaskURL(url)
			}
			rep := runReport{Scenario: sc.Name, Broker: broker, Error: err.Error(), Steps: []stepReport{}}
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
	rep := runReport{Scenario: sc.Name, Broker: s.Broker(), Server: strings.TrimSpace(s.ServerProduct() + " " + s.ServerVersion()), Steps: []stepReport{}}

	// Whatever happens from here on, delete what was declared: with a
	// context of its own, as ctx may be the cancelled one (Ctrl-C).
	var results []scenarios.StepResult
	runErr := p.Setup(ctx)
	if runErr == nil {
		narrate, _ := cmd.Flags().GetBool("narrate")
		pause, _ := cmd.Flags().GetBool("pause")
		if (narrate || pause) && !asJSON { // --pause alone means narrate and pause
			n := narrator{out: cmd.OutOrStdout()}
			if pause {
				n.pause = bufio.NewReader(cmd.InOrStdin())
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

// runReport is the JSON contract of `warren run --json` (DESIGN.md):
// scenario, broker, ok and steps keep their meaning; more fields may come.
type runReport struct {
	Scenario string       `json:"scenario"`
	Broker   string       `json:"broker"`
	Server   string       `json:"server,omitempty"`
	OK       bool         `json:"ok"`
	Error    string       `json:"error,omitempty"`
	Steps    []stepReport `json:"steps"`
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
		Model: modelReport{Queues: mq, Fate: string(r.Model.Fate), Agrees: r.ModelAgrees},
		Why:   r.Why,
	}
}

func printTable(out io.Writer, sc *scenarios.Scenario, rep runReport, results []scenarios.StepResult) {
	if sc.Title != "" {
		fmt.Fprintf(out, "%s: %s\n", sc.Name, sc.Title)
	} else {
		fmt.Fprintln(out, sc.Name)
	}
	broker := rep.Broker
	if rep.Server != "" {
		broker += " (" + rep.Server + ")"
	}
	fmt.Fprintf(out, "broker: %s\n\n", broker)
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "STEP\tEXCHANGE\tROUTING KEY\tEXPECTED\tDELIVERED\tRESULT")
	passed := 0
	var notes []string
	for _, r := range results {
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
	if rep.Error != "" {
		fmt.Fprintf(out, "; stopped: %s", rep.Error)
	}
	fmt.Fprintln(out)
}

func queuesText(qs []string) string {
	if len(qs) == 0 {
		return "-"
	}
	return strings.Join(qs, " ")
}

func headerText(h map[string]any) string {
	if len(h) == 0 {
		return ""
	}
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + valueText(h[k])
	}
	return "{" + strings.Join(parts, " ") + "}"
}

// valueText shows a header value so that its AMQP type can be told apart:
// the scenario file's tags for explicit widths, quotes for a string that
// would read as something else.
func valueText(v any) string {
	switch x := v.(type) {
	case nil:
		return "~"
	case string:
		if _, err := strconv.ParseFloat(x, 64); err == nil || x == "" || x == "true" || x == "false" || x == "~" {
			return strconv.Quote(x)
		}
		return x
	case int8:
		return fmt.Sprintf("!byte %d", x)
	case int16:
		return fmt.Sprintf("!short %d", x)
	case int32:
		return fmt.Sprintf("!int %d", x)
	case float32:
		return fmt.Sprintf("!float %v", x)
	case time.Time:
		return "!timestamp " + x.Format(time.RFC3339)
	case []byte:
		return fmt.Sprintf("!binary %q", x)
	}
	return fmt.Sprint(v)
}
