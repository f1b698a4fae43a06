package cli

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/warrenmq/warren/sandbox/amqpuri"
	"github.com/warrenmq/warren/sandbox/bench"
	"github.com/warrenmq/warren/sandbox/broker"
)

// The bench command drives the same amqp091-go load against the embedded
// broker and a live RabbitMQ in one run and prints both side by side (issue
// 3, item 10). It measures; it never fails a run for being slow.
func newBenchCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Compare the embedded broker's throughput and latency with a live RabbitMQ",
		Long: `bench runs the same load against the embedded broker and against the live
RabbitMQ given by --url (default $AMQP_URL, else ` + amqpuri.Default + `),
scenario by scenario: 1 publisher/1 consumer and 4/4; 12-byte and 1 KiB bodies;
with and without publisher confirms (192 outstanding); consumers ack manually
with prefetch 200. It prints, per scenario, each broker's consumed rate, the
p50/p99 publish-to-consume latency and the ratio embedded/RabbitMQ.
Publishers pause while 20000 messages wait in the queue (so neither broker is
measured filling its memory); without confirms the latency mostly shows that
backlog.

--cpuprofile/--memprofile profile the whole process, the embedded broker
included: go tool pprof -top -focus=sandbox/broker warren cpu.prof

Only loopback brokers are measured. Each scenario uses its own durable queue
(warren-bench-...) and deletes it afterwards.`,
		Args: noArgs,
		RunE: e.runBench,
	}
	cmd.Flags().Duration("duration", 5*time.Second, "how long each scenario runs on each broker")
	cmd.Flags().String("only", "", "measure only one broker: embedded or rabbitmq")
	cmd.Flags().Bool("json", false, "print the results as JSON")
	cmd.Flags().String("scenario", "", `run only the scenarios whose name contains this, e.g. "4p/4c" or "1KiB confirms"`)
	cmd.Flags().String("cpuprofile", "", "write a CPU profile of the whole run (client and embedded broker) to this file, for go tool pprof")
	cmd.Flags().String("memprofile", "", "write an allocation profile of the whole run to this file, for go tool pprof -sample_index=alloc_space")
	return cmd
}

func (e *env) runBench(cmd *cobra.Command, _ []string) error {
	duration, _ := cmd.Flags().GetDuration("duration")
	only, _ := cmd.Flags().GetString("only")
	asJSON, _ := cmd.Flags().GetBool("json")
	filter, _ := cmd.Flags().GetString("scenario")
	var chosen []bench.Scenario
	for _, s := range bench.DefaultScenarios() {
		if strings.Contains(s.Name(), filter) {
			chosen = append(chosen, s)
		}
	}
	if len(chosen) == 0 {
		return badInput("--scenario %q matches none of: %s", filter, scenarioNames())
	}
	if duration <= 0 || duration > 10*time.Minute {
		return badInput("--duration %v: give a duration between 1ms and 10m, e.g. 5s", duration)
	}
	switch only {
	case "", "embedded", "rabbitmq":
	default:
		return badInput("--only %q: use embedded or rabbitmq", only)
	}
	flagURL, _ := cmd.Flags().GetString("url")
	liveURL := amqpuri.Resolve(flagURL, e.getenv, amqpuri.Default)

	// Check the live broker first: no point starting anything if it is not
	// there.
	var targets []bench.Target
	if only != "embedded" {
		if err := bench.CheckLoopback(liveURL); err != nil {
			return badInput("--url: %v", err)
		}
		if err := bench.Ping(liveURL); err != nil {
			return fmt.Errorf("RabbitMQ at %s is unreachable: %v (start it, point --url at it, or use --only embedded)", amqpuri.Mask(liveURL), err)
		}
	}
	if only != "rabbitmq" {
		// Whatever --url says: the bench always wants both brokers.
		// a data dir of its own, so that persistent messages are on disk
		// before their confirm, as in RabbitMQ
		dataDir, err := os.MkdirTemp("", "warren-bench-")
		if err != nil {
			return fmt.Errorf("a data dir for the embedded broker: %w", err)
		}
		defer os.RemoveAll(dataDir)
		srv, err := broker.Start(broker.Options{DataDir: dataDir})
		if err != nil {
			return fmt.Errorf("start the embedded broker: %w (use --only rabbitmq to measure RabbitMQ alone)", err)
		}
		defer srv.Shutdown()
		targets = append(targets, bench.Target{Name: "embedded", URL: srv.URL()})
	}
	if only != "embedded" {
		targets = append(targets, bench.Target{Name: "rabbitmq", URL: liveURL})
	}

	stopProfiles, err := startProfiles(cmd)
	if err != nil {
		return err
	}
	defer stopProfiles()

	cfg := bench.Config{Targets: targets, Scenarios: chosen, Duration: duration}
	if !asJSON {
		n := len(chosen) * len(targets)
		fmt.Fprintf(cmd.ErrOrStderr(), "warren bench: %d measurements of %v each\n", n, duration)
		cfg.Progress = func(s bench.Scenario, target string) {
			fmt.Fprintf(cmd.ErrOrStderr(), "  %-28s on %s\n", s.Name(), target)
		}
	}
	results, runErr := bench.Run(cmd.Context(), cfg)
	interrupted := runErr != nil && errors.Is(runErr, cmd.Context().Err())
	if runErr != nil && !interrupted {
		return runErr
	}
	// When interrupted, show what was measured before saying so.
	out := cmd.OutOrStdout()
	if asJSON {
		err = bench.WriteJSON(out, results)
	} else {
		names := make([]string, len(targets))
		for i, t := range targets {
			names[i] = t.Name
		}
		err = bench.WriteTable(out, names, results)
	}
	if err != nil {
		return err
	}
	if interrupted {
		return fmt.Errorf("interrupted after %d of %d measurements", len(results), len(chosen)*len(targets))
	}
	for _, r := range results {
		if r.Err != "" {
			fmt.Fprintln(cmd.ErrOrStderr(), "warren bench: some measurements failed (see the error of each)")
			return failedError{}
		}
	}
	return nil
}

func scenarioNames() string {
	var names []string
	for _, s := range bench.DefaultScenarios() {
		names = append(names, strconv.Quote(s.Name()))
	}
	return strings.Join(names, ", ")
}

// startProfiles starts the profiles asked for with --cpuprofile and
// --memprofile; the returned function writes them.
func startProfiles(cmd *cobra.Command) (func(), error) {
	cpuPath, _ := cmd.Flags().GetString("cpuprofile")
	memPath, _ := cmd.Flags().GetString("memprofile")
	var cpuFile *os.File
	if cpuPath != "" {
		f, err := os.Create(cpuPath)
		if err != nil {
			return nil, badInput("--cpuprofile: %v", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, fmt.Errorf("start the CPU profile: %w", err)
		}
		cpuFile = f
	}
	return func() {
		if cpuFile != nil {
			pprof.StopCPUProfile()
			cpuFile.Close()
		}
		if memPath != "" {
			f, err := os.Create(memPath)
			if err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), "warren bench: --memprofile:", err)
				return
			}
			defer f.Close()
			runtime.GC()
			if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), "warren bench: write the allocation profile:", err)
			}
		}
	}, nil
}
