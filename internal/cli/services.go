package cli

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/warrenmq/warren/sandbox/amqpuri"
	"github.com/warrenmq/warren/scenarios/userupdate"
)

// The user-update demo's two services, runnable on their own (and in
// docker-compose): the article's user service and profile service.

func newUserServiceCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user-service",
		Short: "Run the user-update demo's user service (POST /users/{id} full_name=...)",
		Long: `The user service of the user-update flow. POST /users/{id} with the form
field full_name (or a JSON body) updates the user in its own store (bbolt) and,
in the same transaction, queues a user.profile.update event in an outbox; a
relay publishes the outbox to the topic exchange user_updates with publisher
confirms. It also consumes user.profile.update.failed and rolls refused
changes back. It retries until the broker accepts connections.

  curl -d "full_name=usama" -X POST http://localhost:3000/users/1`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			listen, _ := cmd.Flags().GetString("listen")
			db, _ := cmd.Flags().GetString("db")
			url := e.serviceURL(cmd)
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
	cmd.Flags().String("listen", "127.0.0.1:3000", "HTTP address to listen on (0.0.0.0:3000 in a container)")
	cmd.Flags().String("db", "", "file for the user store, created if missing (default: in memory, lost on exit)")
	return cmd
}

func newProfileServiceCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "profile-service",
		Short: "Run the user-update demo's profile service (GET /profiles/{id})",
		Long: `The profile service of the user-update flow. It consumes user.profile.*
events from its durable queue profile_service.user_updates (manual ack, a
prefetch) and applies each to its own store (bbolt), once. It refuses an empty
name or one over 100 characters: the event is dead-lettered and a
user.profile.update.failed event asks the user service to roll back. It
retries until the broker accepts connections.

  curl http://localhost:3001/profiles/1`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			listen, _ := cmd.Flags().GetString("listen")
			db, _ := cmd.Flags().GetString("db")
			prefetch, _ := cmd.Flags().GetInt("prefetch")
			if prefetch < 1 || prefetch > 65535 {
				// basic.qos carries a 16-bit prefetch_count, and 0 means no
				// limit at all: 65536 went out as 0, 70000 as 4464
				return badInput("--prefetch %d: give 1 to 65535 (basic.qos prefetch_count is a 16-bit number; 0 would mean no limit)", prefetch)
			}
			url := e.serviceURL(cmd)
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
	cmd.Flags().String("listen", "127.0.0.1:3001", "HTTP address to listen on (0.0.0.0:3001 in a container)")
	cmd.Flags().String("db", "", "file for the profile store, created if missing (default: in memory, lost on exit)")
	cmd.Flags().Int("prefetch", 10, "basic.qos prefetch count of the consumer")
	return cmd
}

// serviceURL is --url, else $AMQP_URL, else the local RabbitMQ: a service
// is a separate process and cannot share an embedded broker.
func (e *env) serviceURL(cmd *cobra.Command) string {
	flagURL, _ := cmd.Flags().GetString("url")
	return amqpuri.Resolve(flagURL, e.getenv, amqpuri.Default)
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

// runService starts svc and serves HTTP until SIGINT/SIGTERM (which cancel
// the command's context), then shuts both down gracefully.
func runService(cmd *cobra.Command, name, listen, url string, svc runnable) error {
	ctx, stop := context.WithCancel(cmd.Context())
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
	fmt.Fprintf(cmd.ErrOrStderr(), "%s: HTTP on http://%s, broker %s\n", name, ln.Addr(), amqpuri.Mask(url))
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
	if err := amqpuri.Validate(url); err != nil {
		return badInput("--url %s is %v", amqpuri.Mask(url), err)
	}
	if db == "" || db == ":memory:" {
		return nil
	}
	if strings.HasPrefix(db, "file:") {
		return badInput("--db %s: give a plain file path, not a SQLite URI (the stores are bbolt files)", db)
	}
	if fi, err := os.Stat(db); err == nil && fi.IsDir() {
		return badInput("--db %s is a directory; give a file in it, e.g. --db %s", db, filepath.Join(db, "store.db"))
	}
	if fi, err := os.Stat(filepath.Dir(db)); err != nil || !fi.IsDir() {
		return badInput("--db %s: the directory %s does not exist; create it or pick another path", db, filepath.Dir(db))
	}
	return nil
}
