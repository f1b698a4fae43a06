package cli

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/warrenmq/warren/sandbox/routing"
	"github.com/warrenmq/warren/scenarios"
	"github.com/warrenmq/warren/tui/diagram"
)

func newDiagramCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "diagram SCENARIO|FILE",
		Short: "Print a scenario's topology as a flow diagram, a message's path marked",
		Long: `Print the topology of a built-in scenario (see warren list) or a scenario
file as a diagram in box-drawing characters: the publisher, the exchanges,
each binding as an edge labelled with its routing key or header arguments,
the queues and their consumers; alternate-exchange and dead-letter edges
are dashed.

With --publish, the routing model follows one message: bindings that
matched are marked ✓, those it considered that did not ✗, the queues that
get a copy ✓; below the diagram, each verdict with its reason. Nothing is
declared on any broker.

The diagram is as compact as it must be to fit --width (shorter labels with
footnotes below, then shorter names). Colours only when stdout is a
terminal and NO_COLOR is not set.`,
		Example: `  warren diagram topic --publish quick.orange.rabbit
  warren diagram headers --header format=pdf --header type=report
  warren diagram unroutable --exchange orders_safe --publish refunded --mandatory
  warren diagram ./my-scenario.yaml --width 120`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return badInput("warren diagram takes one scenario name or file; the built-in scenarios are: %s",
					strings.Join(scenarios.BuiltinNames(), ", "))
			}
			return nil
		},
		RunE: e.printDiagram,
	}
	cmd.Flags().String("publish", "", "follow a message with this routing key")
	cmd.Flags().String("exchange", "", "the exchange it is published to (default: the first step's; \"\" is the default exchange)")
	cmd.Flags().StringArray("header", nil, "a header of the message, key=value (typed: n:int=5); repeat for more")
	cmd.Flags().Bool("mandatory", false, "publish it mandatory (unroutable: returned, not dropped)")
	cmd.Flags().Int("width", 80, "the columns the diagram must fit in")
	return cmd
}

func (e *env) printDiagram(cmd *cobra.Command, args []string) error {
	sc, err := lookupScenario(args[0])
	if err != nil {
		return err
	}
	width, _ := cmd.Flags().GetInt("width")
	if width < 20 {
		return badInput("--width %d is too narrow: give at least 20 columns", width)
	}
	if width > 1000 {
		return badInput("--width %d is wider than any terminal: give at most 1000 columns", width)
	}
	in := diagram.ScenarioInput(sc)
	f := cmd.Flags()
	if f.Changed("publish") || f.Changed("header") || f.Changed("exchange") || f.Changed("mandatory") {
		m, err := diagramMessage(cmd, sc)
		if err != nil {
			return err
		}
		in.Publishes = append(in.Publishes, diagram.Publish{Exchange: m.Exchange, RoutingKey: m.RoutingKey})
		in.Route = &diagram.Route{Message: m, Result: routing.Route(&in.Topology, m)}
	}
	l, canvas := diagram.Draw(&in, diagram.Options{Width: width})
	out := cmd.OutOrStdout()
	text := canvas.String()
	if colour(out, e.getenv) {
		text = canvas.ANSI()
	}
	if _, err := io.WriteString(out, text); err != nil {
		return err
	}
	if len(l.Notes) > 0 {
		fmt.Fprintln(out)
		for _, n := range l.Notes {
			fmt.Fprintln(out, n)
		}
	}
	if lines := diagram.Explain(&in); len(lines) > 0 {
		fmt.Fprintln(out)
		for _, s := range lines {
			fmt.Fprintln(out, s)
		}
	}
	if l.Width > width {
		fmt.Fprintf(cmd.ErrOrStderr(), "warren: the diagram is %d columns wide even at its most compact; it does not fit in --width %d\n", l.Width, width)
	}
	return nil
}

// messageFlags adds the --header tables to m and refuses a message AMQP
// cannot carry (an exchange name or routing key over 255 bytes, or not
// UTF-8), as a broker would: explain and diagram answer only for a
// message that could be published.
func messageFlags(cmd *cobra.Command, m *routing.Message) error {
	f := cmd.Flags()
	headers, _ := f.GetStringArray("header")
	for _, h := range headers {
		t, err := routing.ParseTable(h)
		if err != nil {
			return badInput("--header %q: %v", h, err)
		}
		if m.Headers == nil {
			m.Headers = routing.Table{}
		}
		for k, v := range t {
			m.Headers[k] = v
		}
	}
	if err := routing.ValidName(m.Exchange); err != nil {
		return badInput("--exchange: %v", err)
	}
	if err := routing.ValidName(m.RoutingKey); err != nil {
		return badInput("the routing key: %v", err)
	}
	return nil
}

// diagramMessage is the message --publish, --exchange, --header and
// --mandatory describe.
func diagramMessage(cmd *cobra.Command, sc *scenarios.Scenario) (routing.Message, error) {
	f := cmd.Flags()
	var m routing.Message
	m.RoutingKey, _ = f.GetString("publish")
	m.Mandatory, _ = f.GetBool("mandatory")
	if f.Changed("exchange") {
		m.Exchange, _ = f.GetString("exchange")
	} else if len(sc.Steps) > 0 {
		m.Exchange = sc.Steps[0].Publish.Exchange
	} else if len(sc.Topology.Exchanges) > 0 {
		m.Exchange = sc.Topology.Exchanges[0].Name
	}
	if err := messageFlags(cmd, &m); err != nil {
		return m, err
	}
	return m, nil
}

// colour says whether out is a terminal that wants colours: not when it
// is a file or a pipe, not when NO_COLOR is set (no-color.org).
func colour(out io.Writer, getenv func(string) string) bool {
	if getenv("NO_COLOR") != "" {
		return false
	}
	f, ok := out.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
