package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/warrenmq/warren/sandbox/bench"
)

// The bench command drives the same amqp091-go load against the embedded
// broker and a live RabbitMQ in one run and prints both side by side (issue
// 3, item 10). It measures; it never fails a run for being slow.
var benchCmd = &cobra.Command{
	Use:   "bench",
	Short: "Compare the embedded broker's throughput and latency with a live RabbitMQ",
	Long: `bench runs the same load against the embedded broker and against the live
RabbitMQ given by --url (default $AMQP_URL, else amqp://guest:guest@127.0.0.1:5672/),
scenario by scenario: 1 publisher/1 consumer and 4/4; 12-byte and 1 KiB bodies;
with and without publisher confirms (192 outstanding); consumers ack manually
with prefetch 200. It prints, per scenario, each broker's consumed rate, the
p50/p99 publish-to-consume latency and the ratio embedded/RabbitMQ.

Only loopback brokers are measured. Each scenario uses its own durable queue
(warren-bench-...) and deletes it afterwards.`,
	Args: cobra.NoArgs,
	RunE: runBench,
}

func init() {
	benchCmd.Flags().Duration("duration", 5*time.Second, "how long each scenario runs on each broker")
	benchCmd.Flags().String("only", "", "measure only one broker: embedded or rabbitmq")
	benchCmd.Flags().Bool("json", false, "print the results as JSON")
	rootCmd.AddCommand(benchCmd)
}

const defaultRabbitURL = "amqp://guest:guest@127.0.0.1:5672/"

func runBench(cmd *cobra.Command, _ []string) error {
	duration, _ := cmd.Flags().GetDuration("duration")
	only, _ := cmd.Flags().GetString("only")
	asJSON, _ := cmd.Flags().GetBool("json")
	if duration <= 0 || duration > 10*time.Minute {
		return badInput("--duration %v: give a duration between 1ms and 10m, e.g. 5s", duration)
	}
	switch only {
	case "", "embedded", "rabbitmq":
	default:
		return badInput("--only %q: use embedded or rabbitmq", only)
	}
	liveURL := brokerURL(cmd)
	if liveURL == "" {
		liveURL = defaultRabbitURL
	}

	var targets []bench.Target
	if only != "rabbitmq" {
		url, stop, err := startEmbeddedForBench()
		if err != nil {
			return fmt.Errorf("start the embedded broker: %w (use --only rabbitmq to measure RabbitMQ alone)", err)
		}
		defer stop()
		targets = append(targets, bench.Target{Name: "embedded", URL: url})
	}
	if only != "embedded" {
		if err := bench.CheckLoopback(liveURL); err != nil {
			return badInput("--url: %v", err)
		}
		targets = append(targets, bench.Target{Name: "rabbitmq", URL: liveURL})
	}

	cfg := bench.Config{Targets: targets, Duration: duration}
	if !asJSON {
		n := len(bench.DefaultScenarios()) * len(targets)
		fmt.Fprintf(cmd.ErrOrStderr(), "warren bench: %d measurements of %v each\n", n, duration)
		cfg.Progress = func(s bench.Scenario, target string) {
			fmt.Fprintf(cmd.ErrOrStderr(), "  %-28s on %s\n", s.Name(), target)
		}
	}
	results, err := bench.Run(cmd.Context(), cfg)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if asJSON {
		return bench.WriteJSON(out, results)
	}
	names := make([]string, len(targets))
	for i, t := range targets {
		names[i] = t.Name
	}
	if err := bench.WriteTable(out, names, results); err != nil {
		return err
	}
	for _, r := range results {
		if r.Err != "" {
			fmt.Fprintln(os.Stderr, "warren bench: some measurements failed (see above)")
			return failedError{}
		}
	}
	return nil
}

// startEmbeddedForBench starts the embedded broker the way openBroker
// does (startEmbeddedBroker, cmd_broker.go), whatever --url says: the
// bench always wants both brokers.
func startEmbeddedForBench() (url string, stop func(), err error) {
	srv, err := startEmbeddedBroker()
	if err != nil {
		return "", nil, err
	}
	return srv.URL(), srv.Shutdown, nil
}
