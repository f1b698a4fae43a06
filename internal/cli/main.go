package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/warrenmq/warren/sandbox/amqpuri"
	"github.com/warrenmq/warren/sandbox/broker"
)

// Exit codes of the contract: 0 every expectation held, 1 one failed,
// 2 bad input (a flag, a file, a scenario name).
const (
	exitOK       = 0
	exitFailed   = 1
	exitBadInput = 2
)

// Main runs the warren command line on args (without the program's name)
// and returns its exit code. SIGINT and SIGTERM cancel the command, which
// then stops what it started and returns.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, args, stdin, stdout, stderr, os.Getenv)
}

// run is Main with the context and the environment given, so that tests
// can run commands in parallel without touching the process's own.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	root := newRootCmd(&env{getenv: getenv})
	if args == nil {
		args = []string{} // cobra reads os.Args for nil
	}
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	return exitCode(root.ExecuteContext(ctx), stderr)
}

// env is what the commands read from outside their flags.
type env struct {
	getenv func(string) string
}

// newRootCmd builds the whole command tree, afresh for each run.
func newRootCmd(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "warren",
		Short: "A learning sandbox for RabbitMQ and AMQP 0-9-1 routing",
		Long: `Warren shows what an exchange does with a message, and why.

With no subcommand it opens the terminal UI on a broker embedded in the
process (nothing to install); --url (or AMQP_URL) points it at a live
RabbitMQ instead.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().String("data-dir", "", "keep the embedded broker's durable exchanges, queues, bindings and persistent messages in this directory across restarts (default: in memory only)")
	root.PersistentFlags().String("url", "", "AMQP URL of a live broker, e.g. "+amqpuri.Default+" (default: $AMQP_URL, else the embedded broker)")
	addTLSClientFlags(root)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	e.addTUI(root)
	root.AddCommand(
		newListCmd(),
		newRunCmd(e),
		newClassCmd(e),
		newBrokerCmd(e),
		newCtlCmd(e),
		newExplainCmd(),
		newDefinitionsCmd(e),
		newDiagramCmd(e),
		newBenchCmd(e),
		newUserServiceCmd(e),
		newProfileServiceCmd(e),
	)
	return root
}

// usageError marks an error caused by what the user typed (exit 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func badInput(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// noArgs is cobra.NoArgs as bad input (exit 2): a stray argument is a
// typing mistake, not a failed run.
func noArgs(cmd *cobra.Command, args []string) error {
	if err := cobra.NoArgs(cmd, args); err != nil {
		return usageError{err}
	}
	return nil
}

// failedError marks a run that worked but whose expectations did not hold
// (exit 1). Its message has already been printed.
type failedError struct{}

func (failedError) Error() string { return "expectations failed" }

func exitCode(err error, stderr io.Writer) int {
	var ue usageError
	var fe failedError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &fe):
		return exitFailed
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "warren:", err)
		return exitBadInput
	default:
		fmt.Fprintln(stderr, "warren:", err)
		return exitFailed
	}
}

// brokerURL is the URL given with --url, else $AMQP_URL, else "" (meaning:
// use the embedded broker).
func (e *env) brokerURL(cmd *cobra.Command) string {
	flagURL, _ := cmd.Flags().GetString("url")
	return amqpuri.Resolve(flagURL, e.getenv, "")
}

// openedBroker is what openBroker gives: the URL to dial and the label to
// show for it, stop (call it once), and restart, the embedded broker's
// Restart (in place, same port: for restart_broker steps and the TUI's
// key), nil for a live broker.
type openedBroker struct {
	url, label string
	stop       func()
	restart    func(context.Context) error
}

// openBroker returns the --url/AMQP_URL broker ("" label: the Session
// masks the URL), or a broker started in this process on an ephemeral
// loopback port (label "embedded").
func (e *env) openBroker(cmd *cobra.Command) (openedBroker, error) {
	none := openedBroker{stop: func() {}}
	dataDir, _ := cmd.Flags().GetString("data-dir")
	if u := e.brokerURL(cmd); u != "" {
		if dataDir != "" {
			return none, badInput("--data-dir is for the embedded broker; a live broker (--url or $AMQP_URL) keeps its own data: drop one of the two")
		}
		none.url = u
		return none, nil
	}
	srv, err := broker.Start(broker.Options{DataDir: dataDir})
	if err != nil {
		return none, fmt.Errorf("start the embedded broker: %w", err)
	}
	// the TUI's --management: the embedded broker's management API, its
	// address in the label the status line shows
	mgmtURL, stopMgmt, err := startManagement(cmd, srv, nil)
	if err != nil {
		srv.Shutdown()
		return none, err
	}
	label := "embedded"
	if mgmtURL != "" {
		label = "embedded, management API " + mgmtURL
	}
	return openedBroker{url: srv.URL(), label: label, stop: func() { stopMgmt(); srv.Shutdown() },
		restart: func(context.Context) error { return srv.Restart() }}, nil
}
