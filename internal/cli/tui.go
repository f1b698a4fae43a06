package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/warrenmq/warren/sandbox"
	"github.com/warrenmq/warren/sandbox/amqpuri"
	"github.com/warrenmq/warren/scenarios"
	"github.com/warrenmq/warren/tui"
)

// With no subcommand, warren opens the terminal UI. Positional arguments
// are scenario files to add to the list.
func (e *env) addTUI(root *cobra.Command) {
	root.Use = "warren [SCENARIO-FILE...]"
	root.Flags().String("scenario", "", "open the TUI with this scenario chosen: a built-in name (see warren list) or a file")
	root.Flags().String("name-suffix", "", nameSuffixHelp)
	root.Flags().Bool("quiz", false, "open the TUI in quiz mode (Q switches it): s asks where each step's message goes before it is published, then reveals; in a class's vhost the score goes to the teacher")
	addManagementFlags(root) // for the embedded broker (openBroker)
	root.Args = cobra.ArbitraryArgs
	root.RunE = e.runTUI
}

func (e *env) runTUI(cmd *cobra.Command, args []string) error {
	list := scenarios.Builtins()
	names := func() []string {
		var n []string
		for _, sc := range list {
			n = append(n, sc.Name)
		}
		return n
	}
	add := func(path string) (string, error) {
		sc, err := scenarios.LoadFile(path)
		if err != nil {
			var le scenarios.LoadErrors
			if errors.As(err, &le) {
				return "", badInput("the scenario file has errors:\n%v", err)
			}
			if errors.Is(err, os.ErrNotExist) {
				return "", badInput("%s: no such scenario file (and not a warren subcommand; see warren --help)", path)
			}
			return "", badInput("%v", err)
		}
		if slices.Contains(names(), sc.Name) {
			// Keep names unique: --scenario and the log refer to them.
			sc.Name = fmt.Sprintf("%s (%s)", sc.Name, filepath.Base(path))
		}
		list = append(list, *sc)
		return sc.Name, nil
	}
	for _, path := range args {
		if _, err := add(path); err != nil {
			return err
		}
	}
	initial, _ := cmd.Flags().GetString("scenario")
	quiz, _ := cmd.Flags().GetBool("quiz")
	if initial != "" && !slices.Contains(names(), initial) {
		if _, err := os.Stat(initial); err != nil {
			return badInput("no scenario named %q and no such file; the built-in scenarios are: %s", initial, strings.Join(scenarios.BuiltinNames(), ", "))
		}
		name, err := add(initial)
		if err != nil {
			return err
		}
		initial = name
	}

	suffix := e.nameSuffix(cmd)
	for i := range list {
		if err := sandboxNameCheck(&list[i], suffix); err != nil {
			return err
		}
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
	dialCtx, cancel := context.WithTimeout(cmd.Context(), 15*time.Second)
	sess, err := sandbox.Dial(dialCtx, url, sandbox.Options{Label: label, Reconnect: true, ConnectionName: "warren tui", EventBuffer: 8192, TLS: clientTLS})
	cancel()
	if errors.Is(err, amqpuri.ErrInvalid) {
		return badInput("%v", err)
	}
	if err != nil {
		return fmt.Errorf("connect to %s: %w", amqpuri.Mask(url), err)
	}
	app, err := tui.New(tui.Config{Session: sess, Scenarios: list, Initial: initial, URL: url, NameSuffix: suffix, Animation: time.Second, Quiz: quiz, RestartBroker: ob.restart})
	if err != nil {
		sess.Close()
		return badInput("%v", err)
	}
	// A closed terminal (SIGHUP) quits like q does: what Warren declared
	// is deleted, not left behind on a live broker.
	ctx, stopSignals := signal.NotifyContext(cmd.Context(), syscall.SIGHUP)
	defer stopSignals()
	return app.Run(ctx)
}
