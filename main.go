package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes of the contract: 0 every expectation held, 1 one failed,
// 2 bad input (a flag, a file, a scenario name).
const (
	exitOK       = 0
	exitFailed   = 1
	exitBadInput = 2
)

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

var rootCmd = &cobra.Command{
	Use:   "warren",
	Short: "A learning sandbox for RabbitMQ and AMQP 0-9-1 routing",
	Long: `Warren shows what an exchange does with a message, and why.

With no subcommand it opens the terminal UI on a broker embedded in the
process (nothing to install); --url (or AMQP_URL) points it at a live
RabbitMQ instead.`,
	SilenceUsage:  true,
	SilenceErrors: true,
}

func init() {
	rootCmd.PersistentFlags().String("url", "", "AMQP URL of a live broker, e.g. amqp://guest:guest@127.0.0.1:5672/ (default: $AMQP_URL, else the embedded broker)")
	rootCmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
}

// brokerURL is the URL given with --url, else $AMQP_URL, else "" (meaning:
// use the embedded broker).
func brokerURL(cmd *cobra.Command) string {
	if u, _ := cmd.Flags().GetString("url"); u != "" {
		return u
	}
	return os.Getenv("AMQP_URL")
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := rootCmd.ExecuteContext(ctx)
	stop()
	os.Exit(exitCode(err))
}

func exitCode(err error) int {
	var ue usageError
	var fe failedError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &fe):
		return exitFailed
	case errors.As(err, &ue):
		fmt.Fprintln(os.Stderr, "warren:", err)
		return exitBadInput
	default:
		fmt.Fprintln(os.Stderr, "warren:", err)
		return exitFailed
	}
}

// openBroker returns the URL to dial and the label to show for it: the
// --url/AMQP_URL broker ("" label: the Session masks the URL), or a broker
// started in this process on an ephemeral loopback port (label
// "embedded"). stop releases what openBroker started; call it once.
func openBroker(cmd *cobra.Command) (url, label string, stop func(), err error) {
	if u := brokerURL(cmd); u != "" {
		return u, "", func() {}, nil
	}
	srv, err := startEmbeddedBroker()
	if err != nil {
		return "", "", func() {}, fmt.Errorf("start the embedded broker: %w", err)
	}
	return srv.URL(), "embedded", srv.Shutdown, nil
}
