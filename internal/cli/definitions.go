package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"github.com/warrenmq/warren/sandbox/broker/management"
	"github.com/warrenmq/warren/sandbox/definitions"
	"github.com/warrenmq/warren/scenarios"
)

// warren definitions export|import: RabbitMQ's definitions files, read
// from and loaded into a broker through its management API (warren broker
// --management, or RabbitMQ's plugin), and a scenario's topology written
// as one.

func newDefinitionsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "definitions",
		Short: "Export or import RabbitMQ definitions (exchanges, queues, bindings, users, vhosts, permissions)",
		Long: `warren definitions reads and writes RabbitMQ's definitions.json through a
management API: warren broker --management or a RabbitMQ with its management
plugin (--management-url, else $WARREN_MANAGEMENT_URL, else --url's host on
15672). The whole broker, or one vhost with --vhost. A definitions file also
opens in the TUI and in warren diagram as a scenario, and warren explain
routes messages through one.`,
	}
	cmd.PersistentFlags().String("management-url", "", "the management API: http://user:password@host:port")
	cmd.PersistentFlags().String("vhost", "", "one vhost's definitions instead of the whole broker's")
	export := &cobra.Command{
		Use:   "export FILE",
		Short: "Write a broker's definitions (or, with --scenario, a scenario's topology) to FILE (- for stdout)",
		Example: `  warren definitions export defs.json --management-url http://guest:guest@127.0.0.1:15672
  warren definitions export - --vhost shop
  warren definitions export topic.json --scenario topic`,
		Args: exactArgs(1),
		RunE: e.runDefinitionsExport,
	}
	export.Flags().String("scenario", "", "export this scenario's topology (a built-in's name or a file) instead of a broker's")
	imp := &cobra.Command{
		Use:     "import FILE",
		Short:   "Load a definitions file (- for stdin) into a broker",
		Example: `  warren definitions import defs.json --management-url http://guest:guest@127.0.0.1:15673`,
		Args:    exactArgs(1),
		RunE:    e.runDefinitionsImport,
	}
	cmd.AddCommand(export, imp)
	return cmd
}

// exactArgs is cobra.ExactArgs as bad input (exit 2).
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(n)(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}

func (e *env) runDefinitionsExport(cmd *cobra.Command, args []string) error {
	vhost, _ := cmd.Flags().GetString("vhost")
	var data []byte
	if name, _ := cmd.Flags().GetString("scenario"); name != "" {
		sc, err := lookupScenario(name)
		if err != nil {
			return err
		}
		d := scenarios.ToDefinitions(sc)
		if vhost != "" {
			// a whole broker's shape, the topology in that vhost
			all := definitions.Empty()
			all.VHosts = []definitions.VHost{{Name: vhost}}
			all.Exchanges, all.Queues, all.Bindings = definitions.FromTopology(vhost, sc.Topology)
			if data, err = json.MarshalIndent(all, "", "  "); err != nil {
				return err
			}
		} else if data, err = json.MarshalIndent(d, "", "  "); err != nil {
			return err
		}
	} else {
		c, err := e.managementClient(cmd)
		if err != nil {
			return err
		}
		defer c.Close()
		path := "/api/definitions"
		if vhost != "" {
			path += management.Path(vhost)
		}
		var raw []byte
		if err := c.Do(cmd.Context(), "GET", path, nil, &raw); err != nil {
			return err
		}
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, raw, "", "  "); err != nil {
			return fmt.Errorf("%s answered something that is not JSON: %v", c.URL(), err)
		}
		data = pretty.Bytes()
	}
	data = append(data, '\n')
	if args[0] == "-" {
		_, err := cmd.OutOrStdout().Write(data)
		return err
	}
	if err := os.WriteFile(args[0], data, 0o600); err != nil { // it holds password hashes
		return badInput("%v", err)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s\n", args[0])
	return nil
}

func (e *env) runDefinitionsImport(cmd *cobra.Command, args []string) error {
	var data []byte
	var err error
	if args[0] == "-" {
		data, err = io.ReadAll(io.LimitReader(cmd.InOrStdin(), 64<<20))
	} else {
		data, err = os.ReadFile(args[0])
	}
	if err != nil {
		return badInput("%v", err)
	}
	// refuse a broken file here, with its line, rather than as the
	// broker's 400
	if _, err := definitions.Parse(args[0], data); err != nil {
		return badInput("%v", err)
	}
	c, err := e.managementClient(cmd)
	if err != nil {
		return err
	}
	defer c.Close()
	vhost, _ := cmd.Flags().GetString("vhost")
	path := "/api/definitions"
	if vhost != "" {
		path += management.Path(vhost)
	}
	if err := c.Do(cmd.Context(), "POST", path, data, nil); err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "imported %s into %s\n", args[0], c.URL())
	return nil
}
