package diagram

import (
	"fmt"
	"strings"

	"github.com/warrenmq/warren/sandbox/routing"
)

// Explain says in words what the diagram marks for in.Route: the message,
// each binding the model considered with ✓ or ✗ and its reason, the
// model's notes, and where the message went. It is nil without a Route.
func Explain(in *Input) []string {
	r := in.Route
	if r == nil {
		return nil
	}
	m := r.Message
	var out []string
	head := "published to "
	if m.Exchange == "" {
		head += "the default exchange"
	} else {
		head += "exchange " + printable(m.Exchange)
	}
	head += " with routing key " + (&labeler{}).key(m.RoutingKey)
	if len(m.Headers) > 0 {
		head += " and headers " + printable(routing.FormatTable(m.Headers))
	}
	if m.Mandatory {
		head += ", mandatory"
	}
	out = append(out, head)
	types := map[string]routing.ExchangeType{}
	for _, x := range in.Topology.Exchanges {
		types[x.Name] = x.Type
	}
	lab := &labeler{}
	for _, v := range r.Result.Verdicts {
		mark := "✗"
		if v.Matched {
			mark = "✓"
		}
		key, _ := lab.binding(v.Binding, types[v.Binding.Source])
		if v.Binding.Source == "" {
			key = lab.key(v.Binding.RoutingKey)
		}
		if key == "" {
			key = "(no key)"
		}
		dest := printable(v.Binding.Destination)
		if v.Binding.DestinationType == routing.ToExchange {
			dest = "exchange " + dest
		}
		src := printable(v.Binding.Source)
		if src == "" {
			src = "(AMQP default)"
		}
		out = append(out, fmt.Sprintf("  %s %s → %s [%s]: %s", mark, src, dest, key, printable(v.Reason)))
	}
	for _, n := range r.Result.Notes {
		out = append(out, "  "+printable(n))
	}
	out = append(out, outcome(r))
	return out
}

// outcome is the last line of an explanation: where the message went.
func outcome(r *Route) string {
	res := r.Result
	var s string
	switch {
	case res.Err != nil:
		s = "refused: " + printable(res.Err.Error())
	case res.Fate == routing.Returned:
		s = "returned to the publisher (312 NO_ROUTE)"
	case res.Fate == routing.Dropped:
		s = "dropped: no queue got it"
	default:
		qs := make([]string, len(res.Queues))
		for i, q := range res.Queues {
			qs[i] = printable(q)
		}
		s = "→ " + strings.Join(qs, ", ")
		if res.Fate == routing.Alternate {
			s += " (through the alternate exchange " + printable(strings.Join(res.AlternateExchanges, ", ")) + ")"
		}
	}
	if r.Delivered != nil {
		s += "; the broker delivered to " + listOrNone(r.Delivered)
	}
	return s
}

func listOrNone(qs []string) string {
	if len(qs) == 0 {
		return "no queue"
	}
	out := make([]string, len(qs))
	for i, q := range qs {
		out[i] = printable(q)
	}
	return strings.Join(out, ", ")
}
