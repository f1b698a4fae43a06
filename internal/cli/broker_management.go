package cli

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"
	"github.com/warrenmq/warren/sandbox/broker"
	"github.com/warrenmq/warren/sandbox/broker/management"
)

func addManagementFlags(cmd *cobra.Command) {
	cmd.Flags().String("management", "", "serve RabbitMQ's management HTTP API on this address (host:port; :PORT is loopback), for rabbitmqadmin, rabbit-hole and warren ctl; 15672 is the live RabbitMQ's, e.g. use 127.0.0.1:15673")
}

// startManagement starts the management API when --management asks for
// it; stop is a no-op otherwise.
// A command without the flag (warren run) starts none.
func startManagement(cmd *cobra.Command, srv *broker.Server, log *slog.Logger) (url string, stop func(), err error) {
	f := cmd.Flags().Lookup("management")
	if f == nil || f.Value.String() == "" {
		return "", func() {}, nil
	}
	addr := f.Value.String()
	if strings.HasPrefix(addr, ":") {
		addr = "127.0.0.1" + addr // loopback unless a host is named
	}
	m := management.New(srv, management.Options{Listen: addr, Logger: log})
	if err := m.Start(); err != nil {
		return "", func() {}, badInput("--management: %v (is RabbitMQ's management plugin on that port? pick another, e.g. 127.0.0.1:15673)", err)
	}
	return m.URL(), m.Shutdown, nil
}

func printManagement(cmd *cobra.Command, url string) {
	if url != "" {
		fmt.Fprintf(cmd.OutOrStdout(), "management API on %s (rabbitmqadmin -P %s, warren ctl --management-url %s)\n", url, url[strings.LastIndex(url, ":")+1:], url)
	}
}
