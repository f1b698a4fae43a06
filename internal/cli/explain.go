package cli

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/warrenmq/warren/sandbox/definitions"
	"github.com/warrenmq/warren/sandbox/routing"
	"github.com/warrenmq/warren/tui/diagram"
)

// warren explain: where a message would go in a real broker's topology,
// read from its definitions, and why, binding by binding - with no
// broker at all. The "why is my message unroutable" tool.

func newExplainCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "explain --definitions FILE --exchange X --routing-key K [--header k=v ...]",
		Short: "Where a message would go in a RabbitMQ topology (a definitions export), and why, per binding",
		Long: `warren explain routes a message through the exchanges, queues and bindings
of a RabbitMQ definitions file (rabbitmqadmin export FILE, GET /api/definitions,
warren definitions export) with Warren's model of RabbitMQ's routing, and says
for every binding it considered whether it matched and why. No broker is used.`,
		Example: `  warren explain --definitions defs.json --exchange shop --routing-key order.created
  warren explain --definitions defs.json --exchange docs --routing-key "" --header format=pdf --header n:int=5
  warren explain --definitions defs.json --vhost shop --exchange events --routing-key a.b --json`,
		Args: noArgs,
		RunE: runExplain,
	}
	f := cmd.Flags()
	f.String("definitions", "", "the definitions file to route through (required)")
	f.String("vhost", "", "the vhost to route in (needed when the file has entities in several)")
	f.String("exchange", "", `the exchange published to ("" is the default exchange)`)
	f.String("routing-key", "", "the message's routing key")
	f.StringArray("header", nil, "a header of the message, key=value (typed: n:int=5); repeat for more")
	f.Bool("mandatory", false, "publish as mandatory: an unroutable message comes back (312 NO_ROUTE)")
	f.Bool("json", false, "print one JSON object")
	return cmd
}

func runExplain(cmd *cobra.Command, _ []string) error {
	f := cmd.Flags()
	file, _ := f.GetString("definitions")
	if file == "" {
		return badInput("--definitions FILE: give the definitions to route through (rabbitmqadmin export FILE, or warren definitions export FILE)")
	}
	d, err := definitions.ParseFile(file)
	if err != nil {
		return badInput("%v", err)
	}
	vhost, _ := f.GetString("vhost")
	if vhost, err = d.PickVHost(vhost); err != nil {
		return badInput("%s: %v", file, err)
	}
	top := d.Topology(vhost)
	m := routing.Message{}
	m.Exchange, _ = f.GetString("exchange")
	m.RoutingKey, _ = f.GetString("routing-key")
	m.Mandatory, _ = f.GetBool("mandatory")
	if !f.Changed("exchange") {
		return badInput("--exchange: say which exchange the message is published to (\"\" for the default exchange); %s has %s", file, exchangeNames(top))
	}
	if m.Exchange != "" && !hasExchange(top, m.Exchange) && !definitions.Predeclared(m.Exchange) {
		return badInput("no exchange %q in vhost %q of %s; it has %s", m.Exchange, vhost, file, exchangeNames(top))
	}
	if err := messageFlags(cmd, &m); err != nil {
		return err
	}
	// the amq.* exchanges every vhost has, unless the file lists them
	for name, typ := range definitions.PredeclaredExchanges {
		if !hasExchange(top, name) {
			top.Exchanges = append(top.Exchanges, routing.Exchange{Name: name, Type: routing.ExchangeType(typ), Durable: true})
		}
	}
	res := routing.Route(&top, m)
	asJSON, _ := f.GetBool("json")
	out := cmd.OutOrStdout()
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(explainJSON(file, vhost, m, res))
	}
	listed := d.Topology(vhost)
	fmt.Fprintf(out, "vhost %s of %s (%s): %d exchanges, %d queues, %d bindings\n", vhost, file, exportedBy(d),
		len(listed.Exchanges), len(listed.Queues), len(listed.Bindings))
	for _, x := range top.Exchanges {
		if !routing.IsKnownExchangeType(x.Type) {
			fmt.Fprintf(out, "note: exchange %s has type %s, a plugin's, which Warren does not model: it routes nothing here\n", x.Name, x.Type)
		}
	}
	in := diagram.Input{Topology: top, Route: &diagram.Route{Message: m, Result: res}}
	for _, line := range diagram.Explain(&in) {
		fmt.Fprintln(out, line)
	}
	return nil
}

func exportedBy(d *definitions.Definitions) string {
	p := d.ProductName
	if p == "" {
		p = "RabbitMQ"
	}
	if v := d.ProductVersion; v != "" {
		return p + " " + v
	}
	if v := d.RabbitVersion; v != "" {
		return p + " " + v
	}
	return p
}

func hasExchange(t routing.Topology, name string) bool {
	for _, x := range t.Exchanges {
		if x.Name == name {
			return true
		}
	}
	return false
}

func exchangeNames(t routing.Topology) string {
	var names []string
	for _, x := range t.Exchanges {
		names = append(names, x.Name)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return "no exchanges of its own (publish to \"\", the default exchange, or an amq.* one)"
	}
	return "exchanges " + strings.Join(names, ", ")
}

func explainJSON(file, vhost string, m routing.Message, res routing.Result) map[string]any {
	bindings := []map[string]any{}
	for _, v := range res.Verdicts {
		bindings = append(bindings, map[string]any{"source": v.Binding.Source, "destination": v.Binding.Destination,
			"destination_type": v.Binding.DestinationType, "routing_key": v.Binding.RoutingKey,
			"arguments": definitions.TableToJSON(v.Binding.Arguments), "matched": v.Matched, "reason": v.Reason})
	}
	out := map[string]any{"definitions": file, "vhost": vhost, "exchange": m.Exchange, "routing_key": m.RoutingKey,
		"headers": definitions.TableToJSON(m.Headers), "mandatory": m.Mandatory,
		"queues": nonNilStrings(res.Queues), "fate": res.Fate, "exchanges": nonNilStrings(res.Exchanges),
		"alternate_exchanges": nonNilStrings(res.AlternateExchanges), "bindings": bindings, "notes": nonNilStrings(res.Notes)}
	if res.Err != nil {
		out["error"] = res.Err.Error()
	}
	return out
}

func nonNilStrings(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}
