package warrentest

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/warrenmq/warren/sandbox/broker"
	"github.com/warrenmq/warren/sandbox/routing"
)

// The Check helpers fail the test (t.Errorf) with what the broker holds,
// what happened to the messages concerned, and Warren's routing
// explanation: for every binding the routing model considered, whether it
// matched and why, on the vhost's topology as it is when the check runs.

// explainLimit is how many messages a failure explains at most.
const explainLimit = 5

// CheckQueueLen checks that a queue holds n messages, ready and unacked.
func (v *VHost) CheckQueueLen(t testing.TB, queue string, n int) {
	t.Helper()
	ms, err := v.Messages(queue)
	if err != nil {
		t.Errorf("warrentest: queue %q: %v", queue, err)
		return
	}
	got := 0
	for _, m := range ms {
		if m.State != "held" {
			got++
		}
	}
	if got == n {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "queue %q in vhost %q holds %d message(s), want %d", queue, v.name, got, n)
	for _, m := range ms {
		fmt.Fprintf(&b, "\n  %s %q (routing key %q", m.State, abbreviate(m.Body), m.RoutingKey)
		if m.Redelivered {
			b.WriteString(", redelivered")
		}
		b.WriteString(")")
	}
	if got < n {
		v.explainMissing(&b, queue)
	} else {
		v.explainArrived(&b, queue)
	}
	t.Errorf("%s", b.String())
}

// explainMissing tells what became of the latest messages that reached
// the queue, and why the latest ones that did not were routed elsewhere.
func (v *VHost) explainMissing(b *strings.Builder, queue string) {
	recs := v.History()
	var reached, missed []Record
	for i := len(recs) - 1; i >= 0; i-- {
		r := recs[i]
		if reachedQueue(r, queue) {
			if len(reached) < explainLimit && !heldIn(r, queue) {
				reached = append(reached, r)
			}
		} else if len(missed) < explainLimit {
			missed = append(missed, r)
		}
	}
	if len(reached) > 0 {
		b.WriteString("\nmessages that reached it and left:")
		for _, r := range reached {
			b.WriteString("\n" + indent(r.String(), "  "))
		}
	}
	if len(missed) == 0 {
		if len(recs) == 0 {
			b.WriteString("\nno message has been published in this vhost")
		}
		return
	}
	b.WriteString("\nthe latest messages that did not reach it, and why:")
	for _, r := range missed {
		b.WriteString("\n" + indent(r.String(), "  "))
		b.WriteString("\n" + indent(v.explain(r.Exchange, r.RoutingKey, r.Properties.Headers), "    "))
	}
}

// explainArrived tells the story of the messages in a queue that holds
// more than it should.
func (v *VHost) explainArrived(b *strings.Builder, queue string) {
	recs := v.History()
	n := 0
	for i := len(recs) - 1; i >= 0 && n < explainLimit; i-- {
		if reachedQueue(recs[i], queue) {
			b.WriteString("\n" + indent(recs[i].String(), "  "))
			n++
		}
	}
}

// reachedQueue reports whether a message was routed (or dead-lettered)
// to queue.
func reachedQueue(r Record, queue string) bool {
	for _, e := range r.Events {
		if (e.Kind == broker.EventPublished || e.Kind == broker.EventDeadLettered) && slices.Contains(e.Queues, queue) {
			return true
		}
	}
	return false
}

// heldIn reports whether the message's last event leaves it in queue.
func heldIn(r Record, queue string) bool {
	if len(r.Events) == 0 {
		return false
	}
	last := r.Events[len(r.Events)-1]
	switch last.Kind {
	case broker.EventPublished, broker.EventDeadLettered:
		return slices.Contains(last.Queues, queue)
	case broker.EventDelivered, broker.EventRequeued:
		return last.Queue == queue
	case broker.EventNacked:
		return last.Queue == queue && last.Requeue
	}
	return false
}

// explain is the routing model's account of a publish to exchange on the
// vhost's topology now: each binding considered, matched or not and why,
// and where the message goes.
func (v *VHost) explain(exchange, routingKey string, headers Table) string {
	topo, err := v.s.Broker().Topology(v.name)
	if err != nil {
		return err.Error()
	}
	res := v.s.model().Route(&topo, routing.Message{Exchange: exchange, RoutingKey: routingKey, Headers: headers})
	var b strings.Builder
	fmt.Fprintf(&b, "routing %s with routing key %q on the topology as it is now:", exchangeName(exchange), routingKey)
	if res.Err != nil {
		fmt.Fprintf(&b, "\n  refused: %v", res.Err)
		return b.String()
	}
	for _, vd := range res.Verdicts {
		b.WriteString("\n  " + vd.Line(func(t routing.Table) string { return fmt.Sprint(t) }))
	}
	if len(res.Verdicts) == 0 && exchange != "" {
		fmt.Fprintf(&b, "\n  exchange %q has no bindings", exchange)
	}
	for _, n := range res.Notes {
		b.WriteString("\n  " + n)
	}
	to := "no queue: " + string(res.Fate)
	if len(res.Queues) > 0 {
		to = strings.Join(res.Queues, ", ")
	}
	b.WriteString("\n  → " + to)
	return b.String()
}

// model is the routing model of the version the Server follows.
func (s *Server) model() routing.Model { return routing.Model{Version: s.Version()} }

// CheckRoutedTo checks that a message published now to exchange with
// routingKey and headers would reach exactly queues (in any order; none:
// unroutable). It asks the broker's own router and, on failure, shows the
// routing model's explanation binding by binding.
func (v *VHost) CheckRoutedTo(t testing.TB, exchange, routingKey string, headers Table, queues ...string) {
	t.Helper()
	got, err := v.broker().RouteNow(v.name, exchange, routingKey, headers)
	if err != nil {
		t.Errorf("warrentest: route to %s: %v", exchangeName(exchange), err)
		return
	}
	want := slices.Clone(queues)
	sort.Strings(want)
	if slices.Equal(got, want) {
		return
	}
	why := v.explain(exchange, routingKey, headers)
	msg := fmt.Sprintf("a message to %s with routing key %q and headers %v reaches %s, want %s\n%s",
		exchangeName(exchange), routingKey, headers, list(got), list(want), indent(why, "  "))
	t.Errorf("%s", msg)
}

func list(qs []string) string {
	if len(qs) == 0 {
		return "no queue"
	}
	return "[" + strings.Join(qs, ", ") + "]"
}

// CheckDeadLettered checks that some message was dead-lettered from queue
// from and, when to is not "", that a dead-lettered copy reached queue
// to. On failure it tells what became of the messages that were in from,
// and how the dead-letter exchange routes.
func (v *VHost) CheckDeadLettered(t testing.TB, from, to string) {
	t.Helper()
	recs := v.History()
	var deadHere []Record
	for _, r := range recs {
		for _, e := range r.Events {
			if e.Kind == broker.EventDeadLettered && e.Queue == from {
				if to == "" || slices.Contains(e.Queues, to) {
					return
				}
				deadHere = append(deadHere, r)
				break
			}
		}
	}
	var b strings.Builder
	if to == "" {
		fmt.Fprintf(&b, "no message was dead-lettered from queue %q", from)
	} else {
		fmt.Fprintf(&b, "no message dead-lettered from queue %q reached queue %q", from, to)
	}
	if len(deadHere) > 0 {
		b.WriteString("\ndead letters from it went elsewhere:")
		for _, r := range last(deadHere) {
			b.WriteString("\n" + indent(r.String(), "  "))
			for _, e := range r.Events {
				if e.Kind == broker.EventDeadLettered && e.Queue == from {
					b.WriteString("\n" + indent(v.explain(e.Exchange, e.RoutingKey, r.Properties.Headers), "    "))
					break
				}
			}
		}
	} else {
		var been []Record
		for _, r := range recs {
			if reachedQueue(r, from) {
				been = append(been, r)
			}
		}
		if len(been) == 0 {
			fmt.Fprintf(&b, "\nno message ever reached queue %q", from)
		} else {
			b.WriteString("\nwhat became of the messages that reached it:")
			for _, r := range last(been) {
				b.WriteString("\n" + indent(r.String(), "  "))
			}
		}
		v.describeDeadLettering(&b, from)
	}
	t.Errorf("%s", b.String())
}

// describeDeadLettering says how queue dead-letters, from its arguments.
func (v *VHost) describeDeadLettering(b *strings.Builder, queue string) {
	topo, err := v.s.Broker().Topology(v.name)
	if err != nil {
		return
	}
	for _, q := range topo.Queues {
		if q.Name != queue {
			continue
		}
		dlx, ok := q.Arguments["x-dead-letter-exchange"]
		if !ok {
			fmt.Fprintf(b, "\nqueue %q has no x-dead-letter-exchange: what it lets go is dropped", queue)
			return
		}
		fmt.Fprintf(b, "\nqueue %q dead-letters to exchange %q", queue, dlx)
		if _, ok := q.Arguments["x-message-ttl"]; !ok {
			b.WriteString(" (it has no x-message-ttl: only rejected, expiring or overflowing messages go there)")
		}
		return
	}
	fmt.Fprintf(b, "\nthere is no queue %q in vhost %q", queue, v.name)
}

func last(rs []Record) []Record {
	if len(rs) > explainLimit {
		return rs[len(rs)-explainLimit:]
	}
	return rs
}

func indent(s, by string) string {
	return by + strings.ReplaceAll(s, "\n", "\n"+by)
}
