package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/warrenmq/warren/sandbox"
	"github.com/warrenmq/warren/sandbox/broker"
)

// startEmbeddedBroker is what openBroker (main.go) starts when no URL is
// given: the embedded broker on an ephemeral loopback port.
func startEmbeddedBroker() (*broker.Server, error) { return sandbox.StartEmbedded() }

var brokerCmd = &cobra.Command{
	Use:   "broker",
	Short: "Run the embedded AMQP 0-9-1 broker on its own, until SIGINT/SIGTERM",
	Long: `Run Warren's embedded broker as a standalone server, so that other clients
(pika, amqp-publish/amqp-consume, the RabbitMQ tutorials) can use it.
It keeps everything in memory and follows RabbitMQ 4.x semantics.`,
	Example: `  warren broker --listen 127.0.0.1:5673
  warren broker --listen 127.0.0.1:5673 --user alice:secret --user guest:guest`,
	Args: noArgs,
	RunE: func(cmd *cobra.Command, args []string) error {
		listen, _ := cmd.Flags().GetString("listen")
		userFlags, _ := cmd.Flags().GetStringArray("user")
		users := map[string]string{}
		for _, u := range userFlags {
			name, pass, ok := strings.Cut(u, ":")
			if !ok || name == "" {
				return badInput("--user %q: want name:password", u)
			}
			if pass == "" {
				// RabbitMQ refuses a blank password at login; a user no
				// client can log in as is a typing mistake.
				return badInput("--user %q: the password is empty; RabbitMQ refuses blank passwords: give name:password", u)
			}
			users[name] = pass
		}
		log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
		srv, err := broker.New(broker.Options{Listen: listen, Users: users, Logger: log})
		if err != nil {
			return badInput("%v", err)
		}
		if err := srv.Start(); err != nil {
			// A taken or malformed --listen is the user's to fix (exit 2,
			// as for the services); 5672 is usually RabbitMQ itself.
			var ae *net.AddrError
			if errors.As(err, &ae) {
				return badInput("%v: --listen wants host:port, e.g. 127.0.0.1:5673", err)
			}
			var oe *net.OpError
			if errors.As(err, &oe) && oe.Op == "listen" {
				return badInput("%v (is RabbitMQ or another broker on that port? pick another with --listen, e.g. 127.0.0.1:5673)", err)
			}
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "warren broker listening on %s (%s); Ctrl-C stops it\n", srv.Addr(), maskPassword(srv.URL()))
		<-cmd.Context().Done()
		srv.Shutdown()
		return nil
	},
}

// maskPassword hides the password of an amqp:// URL for printing.
func maskPassword(u string) string {
	at := strings.LastIndex(u, "@")
	scheme := strings.Index(u, "://")
	if at < 0 || scheme < 0 {
		return u
	}
	cred := u[scheme+3 : at]
	if name, _, ok := strings.Cut(cred, ":"); ok {
		return u[:scheme+3] + name + ":****" + u[at:]
	}
	return u
}

func init() {
	brokerCmd.Flags().String("listen", "127.0.0.1:5672", "TCP address to listen on (5672 is the live RabbitMQ's port on a dev machine: use 5673 there)")
	brokerCmd.Flags().StringArray("user", nil, "a user as name:password (repeatable; default guest:guest)")
	rootCmd.AddCommand(brokerCmd)
}
