package difftest

import (
	"fmt"
	"sort"
	"strings"

	"github.com/warrenmq/warren/sandbox/routing"
)

// Predict is what the model says a broker will do with the case: every
// message routed in publish order, so each queue holds the ids of the
// messages routed to it in that order.
func Predict(m routing.Model, c Case) (Observed, error) {
	obs := Observed{Queues: map[string][]string{}}
	for _, q := range c.Topology.Queues {
		obs.Queues[q.Name] = []string{}
	}
	for _, msg := range c.Messages {
		res := m.Route(&c.Topology, msg.Message)
		if res.Err != nil {
			return obs, fmt.Errorf("message %s: the publish itself would fail: %v", msg.ID, res.Err)
		}
		if res.Fate == routing.Returned {
			obs.Returned = append(obs.Returned, msg.ID)
		}
		for _, q := range res.Queues {
			obs.Queues[q] = append(obs.Queues[q], msg.ID)
		}
	}
	sort.Strings(obs.Returned)
	return obs, nil
}

// Diff lists how got differs from want ("" when they agree): per queue the
// ids in order, then the returned ids.
func Diff(wantName string, want Observed, gotName string, got Observed) string {
	var b strings.Builder
	queues := map[string]bool{}
	for q := range want.Queues {
		queues[q] = true
	}
	for q := range got.Queues {
		queues[q] = true
	}
	names := make([]string, 0, len(queues))
	for q := range queues {
		names = append(names, q)
	}
	sort.Strings(names)
	for _, q := range names {
		w, g := want.Queues[q], got.Queues[q]
		if strings.Join(w, ",") != strings.Join(g, ",") {
			fmt.Fprintf(&b, "  queue %s: %s %v, %s %v\n", q, wantName, w, gotName, g)
		}
	}
	if strings.Join(want.Returned, ",") != strings.Join(got.Returned, ",") {
		fmt.Fprintf(&b, "  returned: %s %v, %s %v\n", wantName, want.Returned, gotName, got.Returned)
	}
	return b.String()
}

// Describe prints the case for a person, names without the run prefix:
// the topology, then each message with the model's route and verdicts, so
// that a disagreement can be judged by reading it.
func Describe(m routing.Model, c Case) string {
	short := func(s string) string { return strings.ReplaceAll(s, c.Prefix, "") }
	var b strings.Builder
	fmt.Fprintf(&b, "case seed %d (model version %q; names without prefix %q)\n", c.Seed, m.Version, c.Prefix)
	for _, x := range c.Topology.Exchanges {
		fmt.Fprintf(&b, "  exchange %s type=%s", short(x.Name), x.Type)
		if x.Internal {
			b.WriteString(" internal")
		}
		if ae := x.AlternateExchange(); ae != "" {
			fmt.Fprintf(&b, " alternate-exchange=%s", short(ae))
		}
		b.WriteString("\n")
	}
	for _, q := range c.Topology.Queues {
		fmt.Fprintf(&b, "  queue %s\n", short(q.Name))
	}
	for _, bd := range c.Topology.Bindings {
		fmt.Fprintf(&b, "  binding %s -> %s %s key=%q", short(bd.Source), bd.DestinationType, short(bd.Destination), bd.RoutingKey)
		if len(bd.Arguments) > 0 {
			fmt.Fprintf(&b, " args=%s", "{"+routing.FormatTable(bd.Arguments)+"}")
		}
		b.WriteString("\n")
	}
	for _, msg := range c.Messages {
		res := m.Route(&c.Topology, msg.Message)
		fmt.Fprintf(&b, "  message %s -> exchange %q key=%q", short(msg.ID), short(msg.Exchange), short(msg.RoutingKey))
		if len(msg.Headers) > 0 {
			fmt.Fprintf(&b, " headers=%s", "{"+routing.FormatTable(msg.Headers)+"}")
		}
		qs := make([]string, len(res.Queues))
		for n, q := range res.Queues {
			qs[n] = short(q)
		}
		fmt.Fprintf(&b, "\n    model: %s %v via %v\n", res.Fate, qs, shortAll(res.Exchanges, short))
		for _, v := range res.Verdicts {
			mark := "no "
			if v.Matched {
				mark = "YES"
			}
			fmt.Fprintf(&b, "      %s %s -> %s: %s\n", mark, short(v.Binding.Source), short(v.Binding.Destination), short(v.Reason))
		}
		for _, n := range res.Notes {
			fmt.Fprintf(&b, "      note: %s\n", short(n))
		}
	}
	return b.String()
}

func shortAll(xs []string, short func(string) string) []string {
	out := make([]string, len(xs))
	for n, x := range xs {
		out[n] = short(x)
	}
	return out
}
