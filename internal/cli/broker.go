package cli

import (
	"errors"
	"fmt"
	"log/slog"
	"net"

	"github.com/spf13/cobra"
	"github.com/warrenmq/warren/sandbox/amqpuri"
	"github.com/warrenmq/warren/sandbox/broker"
)

func newBrokerCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "broker",
		Short: "Run the embedded AMQP 0-9-1 broker on its own, until SIGINT/SIGTERM",
		Long: `Run Warren's embedded broker as a standalone server, so that other clients
(pika, amqp-publish/amqp-consume, the RabbitMQ tutorials) can use it.
It follows RabbitMQ 4.x semantics. By default it keeps everything in memory;
with --data-dir, durable exchanges, queues and bindings and the persistent
messages (delivery mode 2) of durable queues survive a restart, clean or
kill -9, and a publisher confirm for such a message is sent once it is on disk.`,
		Example: `  warren broker --listen 127.0.0.1:5673
  warren broker --listen 127.0.0.1:5673 --data-dir ./warren-data
  warren broker --listen 127.0.0.1:5673 --user alice:secret --user guest:guest
  WARREN_PASSWORD_ALICE=secret warren broker --listen 127.0.0.1:5673 --user alice --vhost shop --permission alice@shop
  warren broker --listen 127.0.0.1:5673 --definitions definitions.json`,
		Args: noArgs,
		RunE: e.runBroker,
	}
	cmd.Flags().String("listen", "127.0.0.1:5672", "TCP address to listen on (5672 is the live RabbitMQ's port on a dev machine: use 5673 there)")
	addAccessFlags(cmd)
	cmd.Flags().String("memory-high-watermark", "0.4", "block publishers (connection.blocked) above this memory use: a fraction of the memory limit (the cgroup's, else the RAM), a size such as 512MiB or 2GB, or off")
	addManagementFlags(cmd)
	addTLSServerFlags(cmd)
	return cmd
}

func (e *env) runBroker(cmd *cobra.Command, _ []string) error {
	listen, _ := cmd.Flags().GetString("listen")
	defs, users, err := e.accessDefinitions(cmd)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelInfo}))
	dataDir, _ := cmd.Flags().GetString("data-dir")
	wmFlag, _ := cmd.Flags().GetString("memory-high-watermark")
	watermark, err := parseWatermark(wmFlag)
	if err != nil {
		return badInput("--memory-high-watermark %q: %v", wmFlag, err)
	}
	tlsConfig, tlsListen, err := serverTLS(cmd, listen)
	if err != nil {
		return err
	}
	softLimit()
	srv, err := broker.Start(broker.Options{Listen: listen, Users: users, Definitions: defs, Logger: log, DataDir: dataDir,
		VMMemoryHighWatermark: watermark, TLS: tlsConfig, TLSListen: tlsListen})
	if err != nil {
		// What stops the broker from starting came from the flags: an
		// option it refuses or an address it cannot listen on (exit 2, as
		// for the services); 5672 is usually RabbitMQ itself.
		var ae *net.AddrError
		if errors.As(err, &ae) {
			return badInput("%v: --listen wants host:port, e.g. 127.0.0.1:5673", err)
		}
		var oe *net.OpError
		if errors.As(err, &oe) && oe.Op == "listen" {
			return badInput("%v (is RabbitMQ or another broker on that port? pick another with --listen, e.g. 127.0.0.1:5673)", err)
		}
		return badInput("%v", err)
	}
	mgmtURL, stopMgmt, err := startManagement(cmd, srv, log)
	if err != nil {
		srv.Shutdown()
		return err
	}
	// what survives a restart, and the management API, before the
	// listening line that scripts wait for
	printManagement(cmd, mgmtURL)
	if u := srv.TLSURL(); u != "" {
		fmt.Fprintf(cmd.OutOrStdout(), "amqps on %s (%s)\n", srv.TLSAddr(), amqpuri.Mask(u))
	}
	if dataDir != "" {
		fmt.Fprintf(cmd.OutOrStdout(), "data dir %s: durable exchanges, queues and persistent messages survive a restart\n", dataDir)
	} else {
		fmt.Fprintln(cmd.OutOrStdout(), "no --data-dir: everything is in memory and gone when the broker stops")
	}
	fmt.Fprintf(cmd.OutOrStdout(), "warren broker listening on %s (%s); Ctrl-C stops it\n", srv.Addr(), amqpuri.Mask(srv.URL()))
	<-cmd.Context().Done()
	stopMgmt()
	srv.Shutdown()
	return nil
}
