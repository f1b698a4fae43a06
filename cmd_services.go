package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/spf13/cobra"

	"github.com/warrenmq/warren/scenarios/userupdate"
)

// The user-update demo's two services, runnable on their own (and in
// docker-compose): the article's user service and profile service.

const defaultServiceURL = "amqp://guest:guest@127.0.0.1:5672/"

func init() {
	userCmd := &cobra.Command{
		Use:   "user-service",
		Short: "Run the user-update demo's user service (POST /users/{id} full_name=...)",
		Long: `The user service of the user-update flow. POST /users/{id} with the form
field full_name (or a JSON body) updates the user in its own SQLite store and,
in the same transaction, queues a user.profile.update event in an outbox; a
relay publishes the outbox to the topic exchange user_updates with publisher
confirms. It also consumes user.profile.update.failed and rolls refused
changes back. It retries until the broker accepts connections.

  curl -d "full_name=usama" -X POST http://localhost:3000/users/1`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			listen, _ := cmd.Flags().GetString("listen")
			db, _ := cmd.Flags().GetString("db")
			url := serviceURL(cmd)
			if err := checkServiceFlags(url, db); err != nil {
				return err
			}
			svc, err := userupdate.NewUserService(url, db, logEvent(cmd))
			if err != nil {
				return err
			}
			return runService(cmd, "user-service", listen, url, svc)
		},
	}
	profileCmd := &cobra.Command{
		Use:   "profile-service",
		Short: "Run the user-update demo's profile service (GET /profiles/{id})",
		Long: `The profile service of the user-update flow. It consumes user.profile.*
events from its durable queue profile_service.user_updates (manual ack, a
prefetch) and applies each to its own SQLite store, once. It refuses an empty
name or one over 100 characters: the event is dead-lettered and a
user.profile.update.failed event asks the user service to roll back. It
retries until the broker accepts connections.

  curl http://localhost:3001/profiles/1`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			listen, _ := cmd.Flags().GetString("listen")
			db, _ := cmd.Flags().GetString("db")
			prefetch, _ := cmd.Flags().GetInt("prefetch")
			url := serviceURL(cmd)
			if err := checkServiceFlags(url, db); err != nil {
				return err
			}
			svc, err := userupdate.NewProfileService(url, db, logEvent(cmd), userupdate.WithPrefetch(prefetch))
			if err != nil {
				return err
			}
			return runService(cmd, "profile-service", listen, url, svc)
		},
	}
	userCmd.Flags().String("listen", "127.0.0.1:3000", "HTTP address to listen on (0.0.0.0:3000 in a container)")
	userCmd.Flags().String("db", "", "SQLite file for the user store (default: in memory, lost on exit)")
	profileCmd.Flags().String("listen", "127.0.0.1:3001", "HTTP address to listen on (0.0.0.0:3001 in a container)")
	profileCmd.Flags().String("db", "", "SQLite file for the profile store (default: in memory, lost on exit)")
	profileCmd.Flags().Int("prefetch", 10, "basic.qos prefetch count of the consumer")
	rootCmd.AddCommand(userCmd, profileCmd)
}

// serviceURL is --url, else $AMQP_URL, else the local RabbitMQ: a service
// is a separate process and cannot share an embedded broker.
func serviceURL(cmd *cobra.Command) string {
	if u := brokerURL(cmd); u != "" {
		return u
	}
	return defaultServiceURL
}

func logEvent(cmd *cobra.Command) func(userupdate.Event) {
	out := cmd.ErrOrStderr()
	return func(e userupdate.Event) { fmt.Fprintln(out, e.String()) }
}

// runnable is what both services offer the command.
type runnable interface {
	Start(ctx context.Context) error
	Serve(ctx context.Context, ln net.Listener) error
	Close() error
}

// runService starts svc and serves HTTP until SIGINT/SIGTERM (the root
// command's context), then shuts both down gracefully.
func runService(cmd *cobra.Command, name, listen, url string, svc runnable) error {
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Listen before anything starts: a port in use is bad input (exit 2),
	// and the address printed is the real one (--listen 127.0.0.1:0).
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		svc.Close()
		return badInput("%s: listen on %s: %v (is another service on that port? pick another with --listen)", name, listen, err)
	}
	if err := svc.Start(ctx); err != nil {
		ln.Close()
		svc.Close()
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "%s: HTTP on http://%s, broker %s\n", name, ln.Addr(), userupdate.MaskURL(url))
	serveErr := svc.Serve(ctx, ln)
	stop()
	if err := svc.Close(); err != nil && serveErr == nil {
		serveErr = err
	}
	return serveErr
}

// checkServiceFlags refuses, before anything starts, what retrying cannot
// fix: a --url that is not an AMQP URL (the service would otherwise retry it
// for ever) and a --db whose directory is missing or that is a directory.
func checkServiceFlags(url, db string) error {
	if _, err := amqp.ParseURI(url); err != nil {
		// The parser's message quotes the URL, password and all.
		why := strings.ReplaceAll(err.Error(), url, userupdate.MaskURL(url))
		return badInput("--url %s is not a valid AMQP URL (want amqp://user:password@host:5672/vhost): %s", userupdate.MaskURL(url), why)
	}
	if db == "" || db == ":memory:" || strings.HasPrefix(db, "file:") {
		return nil
	}
	if fi, err := os.Stat(db); err == nil && fi.IsDir() {
		return badInput("--db %s is a directory; give a file in it, e.g. --db %s", db, filepath.Join(db, "store.db"))
	}
	if fi, err := os.Stat(filepath.Dir(db)); err != nil || !fi.IsDir() {
		return badInput("--db %s: the directory %s does not exist; create it or pick another path", db, filepath.Dir(db))
	}
	return nil
}
