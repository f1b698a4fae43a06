package tui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/warrenmq/warren/sandbox/routing"
	"github.com/warrenmq/warren/tui/diagram"
)

// diagramDetails are up to three lines about the selected item: an
// exchange's type and arguments, a binding's whole key or arguments and
// its verdict for the latest message, a queue's arguments, counts and
// latest messages, a consumer's state. Callers hold m.mu.
func (a *App) diagramDetails(id string) []string {
	if id == "" || a.ui.diagram == nil || a.ui.diagram.layout == nil {
		return nil
	}
	var it diagram.Item
	found := false
	for _, x := range a.ui.diagram.layout.Items() {
		if x.ID() == id {
			it, found = x, true
		}
	}
	if !found {
		return nil
	}
	m := a.m
	t := &m.topology
	route := m.diag.route
	switch it.Kind {
	case diagram.ItemPublisher:
		if route == nil {
			return []string{"the publisher: a step (s), the form (p) or any client of the broker"}
		}
		return []string{"the publisher: latest message to " + exchangeName(route.Message.Exchange) + " with routing key " + strconv.Quote(route.Message.RoutingKey) + headersText(route.Message.Headers)}
	case diagram.ItemExchange:
		if it.Missing {
			return []string{fmt.Sprintf("exchange %q is named by an argument or a binding but not declared: RabbitMQ ignores it", it.Name)}
		}
		if it.Name == "" {
			return []string{"the default exchange (AMQP default): direct, every queue bound to it with its own name as the key"}
		}
		for _, x := range t.Exchanges {
			if x.Name == it.Name {
				s := fmt.Sprintf("exchange %s: %s", x.Name, x.Type)
				s += flags(x.Durable, "durable", x.AutoDelete, "auto-delete", x.Internal, "internal (no publishing to it)")
				out := []string{s}
				if len(x.Arguments) > 0 {
					out = append(out, "arguments: "+routing.FormatTable(x.Arguments))
				}
				if route != nil {
					out = append(out, visitedText(route, x.Name))
				}
				return out
			}
		}
	case diagram.ItemQueue:
		return a.queueDetails(it)
	case diagram.ItemConsumer:
		for _, c := range m.consumers {
			if c.Spec.Name == it.Name {
				pf := "unlimited prefetch"
				if c.Spec.Prefetch > 0 {
					pf = fmt.Sprintf("prefetch %d", c.Spec.Prefetch)
				}
				return []string{fmt.Sprintf("consumer %s on %s: %s ack, %s, %s, holds %d unacked", c.Spec.Name, c.Queue, c.Spec.Ack, pf, c.State, c.Unacked)}
			}
		}
	case diagram.ItemBinding:
		if it.Binding < 0 || it.Binding >= len(t.Bindings) {
			return nil
		}
		b := t.Bindings[it.Binding]
		dest := b.Destination
		if b.DestinationType == routing.ToExchange {
			dest = "exchange " + dest
		}
		s := fmt.Sprintf("binding %s → %s, routing key %q", b.Source, dest, b.RoutingKey)
		if len(b.Arguments) > 0 {
			s += ", arguments " + routing.FormatTable(b.Arguments)
		}
		return []string{s, verdictText(route, b)}
	case diagram.ItemDefaultBinding:
		return []string{fmt.Sprintf("the default exchange's binding to %s: routing key %q names the queue", it.Target, it.Target),
			verdictText(route, routing.Binding{Destination: it.Target, DestinationType: routing.ToQueue, RoutingKey: it.Target})}
	case diagram.ItemPublish:
		return []string{"the publisher publishes to " + exchangeName(it.Target)}
	case diagram.ItemAlternate:
		s := fmt.Sprintf("alternate exchange of %s: what it cannot route goes to %s", it.Name, it.Target)
		if route != nil && contains(route.Result.AlternateExchanges, it.Target) {
			s += " · the latest message went this way"
		}
		return []string{s}
	case diagram.ItemDeadLetter:
		s := fmt.Sprintf("queue %s dead-letters to %s what is rejected or nacked without requeue, expires or overflows", it.Name, exchangeName(it.Target))
		for _, q := range t.Queues {
			if k, ok := q.Arguments["x-dead-letter-routing-key"].(string); ok && q.Name == it.Name {
				s += fmt.Sprintf(", with routing key %q", k)
			}
		}
		return []string{s}
	case diagram.ItemConsume:
		return []string{fmt.Sprintf("%s consumes from %s", it.Target, it.Name)}
	}
	return nil
}

func (a *App) queueDetails(it diagram.Item) []string {
	m := a.m
	if it.Missing {
		return []string{fmt.Sprintf("queue %q is a binding's destination but not declared: nothing is delivered there", it.Name)}
	}
	var out []string
	for _, q := range m.topology.Queues {
		if q.Name != it.Name {
			continue
		}
		s := "queue " + q.Name
		if qm := m.queues[q.Name]; qm != nil && qm.statsOK {
			s += fmt.Sprintf(": %d ready, %d unacked (this session's consumers)", qm.stats.Ready, qm.stats.Unacked)
		}
		s += flags(q.Durable, "durable", q.AutoDelete, "auto-delete", q.Exclusive, "exclusive")
		out = append(out, s)
		if len(q.Arguments) > 0 {
			out = append(out, "arguments: "+routing.FormatTable(q.Arguments))
		}
	}
	if qm := m.queues[it.Name]; qm != nil && qm.rows.len() > 0 {
		var last []string
		for i := qm.rows.len() - 1; i >= 0 && len(last) < 3; i-- {
			r := qm.rows.at(i)
			last = append(last, fmt.Sprintf("%q %s", r.RoutingKey, r.Body))
		}
		out = append(out, "latest: "+strings.Join(last, " · "))
	}
	return out
}

func verdictText(route *diagram.Route, b routing.Binding) string {
	if route == nil {
		return "no message yet: s plays a step, p publishes"
	}
	key := routing.BindingKey(b)
	for _, v := range route.Result.Verdicts {
		if routing.BindingKey(v.Binding) == key {
			mark := "✗ did not match"
			if v.Matched {
				mark = "✓ matched"
			}
			return fmt.Sprintf("%s %q: %s", mark, route.Message.RoutingKey, v.Reason)
		}
	}
	return fmt.Sprintf("not considered for %q: its exchange was not on the message's way", route.Message.RoutingKey)
}

func visitedText(route *diagram.Route, x string) string {
	if contains(route.Result.Exchanges, x) {
		return fmt.Sprintf("the latest message (%q) went through it", route.Message.RoutingKey)
	}
	return fmt.Sprintf("the latest message (%q) did not come this way", route.Message.RoutingKey)
}

func headersText(h routing.Table) string {
	if len(h) == 0 {
		return ""
	}
	return ", headers " + routing.FormatTable(h)
}

// flags lists the words whose flag is set: ", durable, internal".
func flags(pairs ...any) string {
	var out []string
	for i := 0; i+1 < len(pairs); i += 2 {
		if on, _ := pairs[i].(bool); on {
			out = append(out, pairs[i+1].(string))
		}
	}
	if len(out) == 0 {
		return ""
	}
	return ", " + strings.Join(out, ", ")
}
