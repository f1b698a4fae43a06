package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/warrenmq/warren/sandbox/broker/management"
)

// warren ctl: rabbitmqctl's list commands, with its column names and its
// tab-separated output, read through a management API (warren broker
// --management, or RabbitMQ's plugin), so that the article's
// `rabbitmqctl list_queues name messages_ready messages_unacknowledged`
// works as `warren ctl list_queues name messages_ready ...`.

// ctlList is one list command: where its rows come from and its columns.
type ctlList struct {
	what     string // "exchanges": for the banner and errors
	path     string // the API's list, "/api/queues"; {vhost} appended when perVHost
	perVHost bool
	defaults []string
	// columns maps each rabbitmqctl column to its value in an API row
	columns map[string]func(row map[string]any) any
}

func field(path ...string) func(map[string]any) any {
	return func(row map[string]any) any {
		var cur any = row
		for _, p := range path {
			m, ok := cur.(map[string]any)
			if !ok {
				return nil
			}
			cur = m[p]
		}
		return cur
	}
}

func constant(v any) func(map[string]any) any { return func(map[string]any) any { return v } }

// same maps columns named as the API names its fields.
func same(cols map[string]func(map[string]any) any, names ...string) map[string]func(map[string]any) any {
	for _, n := range names {
		cols[n] = field(n)
	}
	return cols
}

// pidOf shows a process RabbitMQ would name <node.N.M.K> by what
// Warren calls it.
func pidOf(path ...string) func(map[string]any) any {
	f := field(path...)
	return func(row map[string]any) any {
		if v, ok := f(row).(string); ok && v != "" {
			return "<" + v + ">"
		}
		return nil
	}
}

var ctlLists = map[string]ctlList{
	"list_exchanges": {what: "exchanges", path: "/api/exchanges", perVHost: true, defaults: []string{"name", "type"},
		columns: same(map[string]func(map[string]any) any{}, "name", "type", "durable", "auto_delete", "internal", "arguments", "policy", "user_who_performed_action")},
	"list_queues": {what: "queues", path: "/api/queues", perVHost: true, defaults: []string{"name", "messages"},
		columns: same(map[string]func(map[string]any) any{
			"pid": pidOf("name"), "owner_pid": pidOf("owner_pid_details", "name"),
			"exclusive_consumer_pid": constant(nil), "disk_reads": constant(0), "disk_writes": constant(0),
			"slave_pids": constant(nil), "synchronised_slave_pids": constant(nil), "leader": field("node"), "members": constant(nil), "online": constant(nil),
		}, "name", "durable", "auto_delete", "arguments", "policy", "exclusive", "exclusive_consumer_tag",
			"messages_ready", "messages_unacknowledged", "messages", "messages_ready_ram", "messages_unacknowledged_ram", "messages_ram",
			"messages_persistent", "message_bytes", "message_bytes_ready", "message_bytes_unacknowledged", "message_bytes_ram",
			"message_bytes_persistent", "head_message_timestamp", "consumers", "consumer_utilisation", "consumer_capacity",
			"memory", "state", "type")},
	"list_bindings": {what: "bindings", path: "/api/bindings", perVHost: true,
		defaults: []string{"source_name", "source_kind", "destination_name", "destination_kind", "routing_key", "arguments"},
		columns: map[string]func(map[string]any) any{
			"source_name": field("source"), "source_kind": constant("exchange"), "destination_name": field("destination"),
			"destination_kind": field("destination_type"), "routing_key": field("routing_key"), "arguments": field("arguments"),
		}},
	"list_connections": {what: "connections", path: "/api/connections", defaults: []string{"user", "peer_host", "peer_port", "state"},
		columns: same(map[string]func(map[string]any) any{"pid": pidOf("name")}, "name", "port", "host", "peer_port", "peer_host",
			"ssl", "ssl_protocol", "ssl_key_exchange", "ssl_cipher", "ssl_hash", "peer_cert_subject", "peer_cert_issuer", "peer_cert_validity",
			"state", "channels", "protocol", "auth_mechanism", "user", "vhost", "timeout", "frame_max", "channel_max", "client_properties",
			"recv_oct", "recv_cnt", "send_oct", "send_cnt", "send_pend", "connected_at", "type", "user_provided_name")},
	"list_consumers": {what: "consumers", path: "/api/consumers", perVHost: true,
		defaults: []string{"queue_name", "channel_pid", "consumer_tag", "ack_required", "prefetch_count", "active", "arguments"},
		columns: same(map[string]func(map[string]any) any{"queue_name": field("queue", "name"), "channel_pid": pidOf("channel_details", "name")},
			"consumer_tag", "ack_required", "prefetch_count", "active", "activity_status", "arguments")},
}

func newCtlCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ctl",
		Short: "rabbitmqctl's list commands (list_queues, list_exchanges, ...) through a management API",
		Long: `warren ctl lists what a broker holds as rabbitmqctl does: the same commands,
column names and tab-separated output (a header line, then rows). It reads
the management HTTP API of warren broker --management or of a RabbitMQ with
its management plugin: --management-url, else $WARREN_MANAGEMENT_URL, else
the host of --url/$AMQP_URL on port 15672 with its credentials, else
http://127.0.0.1:15672 as guest.`,
		Example: `  warren ctl list_queues name messages_ready messages_unacknowledged
  warren ctl list_exchanges -p shop
  warren ctl list_bindings --management-url http://guest:guest@127.0.0.1:15673`,
	}
	cmd.PersistentFlags().String("management-url", "", "the management API: http://user:password@host:port")
	cmd.PersistentFlags().StringP("vhost", "p", "/", "the vhost to list")
	cmd.PersistentFlags().BoolP("quiet", "q", false, "no informational banner (as rabbitmqctl -q)")
	cmd.PersistentFlags().Bool("no-table-headers", false, "no header line")
	names := make([]string, 0, len(ctlLists))
	for n := range ctlLists {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		l := ctlLists[n]
		sub := &cobra.Command{
			Use:   n + " [COLUMN ...]",
			Short: fmt.Sprintf("list the %s (columns by default: %s)", l.what, strings.Join(l.defaults, " ")),
			RunE: func(cmd *cobra.Command, args []string) error {
				return e.runCtlList(cmd, n, l, args)
			},
		}
		cmd.AddCommand(sub)
	}
	return cmd
}

// managementClient is the client of the management API the flags and
// environment name.
func (e *env) managementClient(cmd *cobra.Command) (*management.Client, error) {
	mu, _ := cmd.Flags().GetString("management-url")
	if mu == "" {
		mu = e.getenv("WARREN_MANAGEMENT_URL")
	}
	if mu == "" {
		if au := e.brokerURL(cmd); au != "" {
			u, err := url.Parse(au)
			if err != nil || u.Hostname() == "" {
				return nil, badInput("--url %q: not an AMQP URL to find the management API from; give --management-url", au)
			}
			scheme := "http"
			if u.Scheme == "amqps" {
				scheme = "https"
			}
			m := url.URL{Scheme: scheme, Host: u.Hostname() + ":15672", User: u.User}
			mu = m.String()
		}
	}
	if mu == "" {
		mu = "http://guest:guest@127.0.0.1:15672"
	}
	c, err := management.NewClient(mu, "guest", "guest", nil)
	if err != nil {
		return nil, badInput("%v", err)
	}
	return c, nil
}

func (e *env) runCtlList(cmd *cobra.Command, name string, l ctlList, cols []string) error {
	if len(cols) == 0 {
		cols = l.defaults
	}
	var bad []string
	for _, c := range cols {
		if _, ok := l.columns[c]; !ok {
			bad = append(bad, c)
		}
	}
	if len(bad) > 0 {
		known := make([]string, 0, len(l.columns))
		for k := range l.columns {
			known = append(known, k)
		}
		sort.Strings(known)
		return badInput("Info key(s) %s are not supported; %s takes: %s", strings.Join(bad, ","), name, strings.Join(known, ", "))
	}
	c, err := e.managementClient(cmd)
	if err != nil {
		return err
	}
	defer c.Close()
	vhost, _ := cmd.Flags().GetString("vhost")
	quiet, _ := cmd.Flags().GetBool("quiet")
	noHeaders, _ := cmd.Flags().GetBool("no-table-headers")
	out := cmd.OutOrStdout()
	path := l.path
	if l.perVHost {
		path += management.Path(vhost)
	}
	if !quiet {
		switch {
		case name == "list_queues":
			fmt.Fprintf(out, "Timeout: 60.0 seconds ...\nListing queues for vhost %s ...\n", vhost)
		case name == "list_bindings":
			fmt.Fprintf(out, "Listing bindings for vhost %s...\n", vhost)
		case name == "list_consumers":
			fmt.Fprintf(out, "Listing consumers in vhost %s ...\n", vhost)
		case l.perVHost:
			fmt.Fprintf(out, "Listing %s for vhost %s ...\n", l.what, vhost)
		default:
			fmt.Fprintf(out, "Listing %s ...\n", l.what)
		}
	}
	var rows []map[string]any
	if err := c.Do(cmd.Context(), "GET", path, nil, &rows); err != nil {
		var se *management.StatusError
		if errors.As(err, &se) && se.Status == 404 && l.perVHost {
			return badInput("no vhost %q at %s: give one with -p", vhost, c.URL())
		}
		if errors.As(err, &se) && se.Status == 401 {
			return fmt.Errorf("the management API at %s refused the login (%s): give --management-url http://user:password@host:port", c.URL(), se.Reason)
		}
		return err
	}
	writeTSV(out, cols, l, rows, !noHeaders)
	return nil
}

func writeTSV(w io.Writer, cols []string, l ctlList, rows []map[string]any, headers bool) {
	if headers {
		fmt.Fprintln(w, strings.Join(cols, "\t"))
	}
	for _, row := range rows {
		vals := make([]string, len(cols))
		for i, c := range cols {
			vals[i] = ctlValue(l.columns[c](row))
		}
		fmt.Fprintln(w, strings.Join(vals, "\t"))
	}
}

// ctlValue formats a value as rabbitmqctl prints it: strings bare,
// tables as [{"key",value},...], nothing for undefined.
func ctlValue(v any) string { return erlangTerm(v, true) }

func erlangTerm(v any, top bool) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		if top {
			return x
		}
		return strconv.Quote(x)
	case bool:
		return strconv.FormatBool(x)
	case json.Number:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = erlangTerm(e, false)
		}
		return "[" + strings.Join(parts, ",") + "]"
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = "{" + strconv.Quote(k) + "," + erlangTerm(x[k], false) + "}"
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	return fmt.Sprint(v)
}
