package scenarios

import (
	"go.yaml.in/yaml/v3"

	"github.com/warrenmq/warren/sandbox"
	"github.com/warrenmq/warren/sandbox/routing"
)

func (d *decoder) steps(n *yaml.Node, sc *Scenario, xs map[string]*routing.Exchange, qs map[string]bool) {
	consumerQueue := map[string]string{} // consumer name -> its queue
	watched := map[string]bool{}
	for _, c := range sc.Consumers {
		consumerQueue[c.Name] = c.Queue
		watched[c.Queue] = true
	}
	for _, q := range sc.Unobserved {
		watched[q] = true
	}
	for q := range qs {
		if !watched[q] {
			consumerQueue[q] = q // the observer
		}
	}
	named := map[string]bool{} // the scenario's own consumers
	replies := false           // a consumer reads direct reply-to's pseudo-queue
	for _, c := range sc.Consumers {
		named[c.Name] = true
		replies = replies || c.Queue == sandbox.DirectReplyTo
	}
	nodes := d.seq(n, "steps")
	if n != nil && len(nodes) == 0 && len(d.errs) == 0 {
		d.fail(n, "steps is empty: add at least one step with publish and expect")
	}
	for i, sn := range nodes {
		sf := d.mapping(sn, "step", "say", "quiz", "hint", "stop", "pause", "resume", "publish", "expect", "expect_returned", "expect_consumers", "expect_waiting", "expect_received", "expect_before", "restart_broker", "expect_ready", "expect_gone")
		st := Step{Say: terminalText(d.str(sf["say"], "say")), Quiz: terminalText(d.str(sf["quiz"], "quiz")), Hint: terminalText(d.str(sf["hint"], "hint")), Line: sn.Line}
		num := i + 1
		actions := func(key string) []string {
			var out []string
			for _, cn := range d.seq(sf[key].value, key) {
				if cn.Kind != yaml.ScalarNode || !named[cn.Value] {
					d.fail(cn, "step %d: %s names %q, which is not a consumer of this scenario; name one under consumers", num, key, cn.Value)
				}
				out = append(out, cn.Value)
			}
			return out
		}
		st.Stop, st.Pause, st.Resume = actions("stop"), actions("pause"), actions("resume")

		if _, has := sf["restart_broker"]; has {
			st.RestartBroker = d.boolean(sf["restart_broker"], "restart_broker")
			if !st.RestartBroker {
				d.fail(sf["restart_broker"].value, "step %d: restart_broker: false does nothing; drop it, or write restart_broker: true", num)
			}
		}
		if st.RestartBroker {
			d.restartStep(sf, &st, num, qs, consumerQueue)
			sc.Steps = append(sc.Steps, st)
			continue
		}
		for _, k := range []string{"expect_ready", "expect_gone"} {
			if f, has := sf[k]; has {
				d.fail(f.value, "step %d: %s is checked after a broker restart; add restart_broker: true to the step (without publish)", num, k)
			}
		}

		pn := sf["publish"].value
		if pn == nil {
			d.fail(sn, "step %d has no publish: say what message to publish (publish: {exchange: ..., routing_key: ...})", num)
		}
		pf := d.mapping(pn, "publish", "exchange", "routing_key", "headers", "body", "mandatory", "persistent", "priority", "reply_to", "correlation_id")
		st.Publish = Publish{
			Exchange:      d.str(pf["exchange"], "exchange"),
			RoutingKey:    d.str(pf["routing_key"], "routing_key"),
			Headers:       d.table(pf["headers"].value, "headers"),
			Body:          d.str(pf["body"], "body"),
			Mandatory:     d.boolean(pf["mandatory"], "mandatory"),
			Persistent:    d.boolean(pf["persistent"], "persistent"),
			Priority:      d.integer(pf["priority"], "priority"),
			ReplyTo:       d.str(pf["reply_to"], "reply_to"),
			CorrelationID: d.str(pf["correlation_id"], "correlation_id"),
		}
		if st.Publish.ReplyTo == sandbox.DirectReplyTo && !replies {
			d.fail(pf["reply_to"].value, "step %d: reply_to %s needs a consumer of %s (auto ack) to receive the replies; add one under consumers", num, sandbox.DirectReplyTo, sandbox.DirectReplyTo)
		}
		if st.Publish.Priority < 0 || st.Publish.Priority > 255 {
			d.fail(pf["priority"].value, "step %d: priority %d; use 0 to 255 (0 to 9 by convention)", num, st.Publish.Priority)
		}
		if x := st.Publish.Exchange; x != "" && xs[x] == nil {
			if _, pre := predeclared[x]; !pre {
				at := pf["exchange"].value
				d.fail(at, "step %d publishes to exchange %q, which is not declared (404 NOT_FOUND); declare it under topology.exchanges, or use \"\" for the default exchange", num, x)
			}
		}
		if rk := pf["routing_key"].value; rk != nil {
			d.name(rk, st.Publish.RoutingKey, "routing key")
		}

		en, has := sf["expect"]
		if !has {
			d.fail(sn, "step %d has no expect: list the queues that should receive the message, or write expect: [] for none", num)
		}
		seen := map[string]bool{}
		st.Expect = []string{}
		for _, qn := range d.seq(en.value, "expect") {
			q := qn.Value
			switch {
			case qn.Kind != yaml.ScalarNode:
				d.fail(qn, "expect lists queue names")
			case q == sandbox.DirectReplyTo && replies:
				// the reply to this request, through direct reply-to
			case !qs[q]:
				d.fail(qn, "step %d expects queue %q, which is not declared; declare it under topology.queues or fix the name", num, q)
			}
			// a queue listed twice: two deliveries of the message from it
			seen[q] = true
			st.Expect = append(st.Expect, q)
		}

		if rf, has := sf["expect_returned"]; has {
			r := d.boolean(rf, "expect_returned")
			st.ExpectReturned = &r
			if r && !st.Publish.Mandatory {
				d.fail(rf.value, "step %d expects a return, but only a mandatory message is returned; add mandatory: true to publish", num)
			}
			if r && len(st.Expect) > 0 {
				d.fail(rf.value, "step %d expects both deliveries and a return; a message is returned only when no queue gets it", num)
			}
		}

		if cf, has := sf["expect_consumers"]; has {
			cn := resolve(cf.value)
			if cn.Kind != yaml.MappingNode {
				d.fail(cn, "expect_consumers maps a queue to the consumer that should get the message: {tasks: worker-1}")
			} else {
				st.ExpectConsumers = map[string]string{}
				for j := 0; j+1 < len(cn.Content); j += 2 {
					kq, vc := cn.Content[j], cn.Content[j+1]
					q, c := kq.Value, vc.Value
					switch {
					case !seen[q]:
						d.fail(kq, "step %d: expect_consumers names queue %q, which is not in this step's expect; add it there", num, q)
					case consumerQueue[c] == "":
						d.fail(vc, "step %d: %q is not a consumer of this scenario; name one under consumers", num, c)
					case consumerQueue[c] != q:
						d.fail(vc, "step %d: consumer %q consumes from %q, not %q", num, c, consumerQueue[c], q)
					}
					st.ExpectConsumers[q] = c
				}
			}
		}
		for _, qn := range d.seq(sf["expect_waiting"].value, "expect_waiting") {
			switch {
			case qn.Kind != yaml.ScalarNode || !qs[qn.Value]:
				d.fail(qn, "step %d: expect_waiting names %q, which is not a declared queue", num, qn.Value)
			case seen[qn.Value]:
				d.fail(qn, "step %d: queue %q is in both expect and expect_waiting; a message waiting there is not delivered", num, qn.Value)
			}
			st.ExpectWaiting = append(st.ExpectWaiting, qn.Value)
		}
		if rf, has := sf["expect_received"]; has {
			rn := resolve(rf.value)
			if rn.Kind != yaml.MappingNode {
				d.fail(rn, "expect_received maps a consumer to the bodies it has received so far, in order: {shop: [urgent, routine]}")
			} else {
				st.ExpectReceived = map[string][]string{}
				for j := 0; j+1 < len(rn.Content); j += 2 {
					kc, vl := rn.Content[j], rn.Content[j+1]
					if consumerQueue[kc.Value] == "" {
						d.fail(kc, "step %d: expect_received names %q, which is not a consumer of this scenario", num, kc.Value)
					}
					bodies := []string{}
					for _, bn := range d.seq(vl, "expect_received") {
						bodies = append(bodies, bn.Value)
					}
					st.ExpectReceived[kc.Value] = bodies
				}
			}
		}
		st.ExpectBefore = d.expectBefore(sf["expect_before"].value, num, qs)
		sc.Steps = append(sc.Steps, st)
	}
}

// expectBefore reads a step's expect_before: {"3.13": [queue, ...]}, the
// queues that get the message on servers older than that version.
func (d *decoder) expectBefore(n *yaml.Node, num int, qs map[string]bool) map[string][]string {
	if n == nil {
		return nil
	}
	n = resolve(n)
	if n.Kind != yaml.MappingNode || len(n.Content) == 0 {
		d.fail(n, "step %d: expect_before maps a RabbitMQ version to what is expected on servers older than it: {\"3.13\": [queue]}", num)
		return nil
	}
	out := map[string][]string{}
	for j := 0; j+1 < len(n.Content); j += 2 {
		kn, vn := n.Content[j], n.Content[j+1]
		if _, ok := routing.ParseVersion(kn.Value); !ok {
			d.fail(kn, "step %d: expect_before: %q is not a RabbitMQ version; write major.minor, e.g. \"3.13\"", num, kn.Value)
		}
		queues := []string{}
		for _, qn := range d.seq(vn, "expect_before") {
			if qn.Kind != yaml.ScalarNode || !qs[qn.Value] {
				d.fail(qn, "step %d: expect_before names %q, which is not a declared queue", num, qn.Value)
			}
			queues = append(queues, qn.Value)
		}
		out[kn.Value] = queues
	}
	return out
}

// restartStep reads a restart_broker step: what it expects of the queues
// after the restart. It publishes nothing, and it may stop, pause or
// resume consumers first, or check what a consumer has received once the
// Session is back (expect_received: a held message redelivered).
func (d *decoder) restartStep(sf map[string]field, st *Step, num int, qs map[string]bool, consumerQueue map[string]string) {
	for _, k := range []string{"publish", "expect", "expect_returned", "expect_consumers", "expect_waiting", "expect_before", "quiz", "hint"} {
		if f, has := sf[k]; has {
			at := f.value
			if at == nil {
				at = f.key
			}
			d.fail(at, "step %d restarts the broker: it cannot also have %s; put the %s in a step of its own before or after it", num, k, k)
		}
	}
	if rf, has := sf["expect_ready"]; has {
		rn := resolve(rf.value)
		if rn.Kind != yaml.MappingNode {
			d.fail(rn, "step %d: expect_ready maps a queue to the messages it holds ready after the restart: {orders: 1}", num)
		} else {
			st.ExpectReady = map[string]int{}
			for j := 0; j+1 < len(rn.Content); j += 2 {
				kq, vn := rn.Content[j], rn.Content[j+1]
				n := d.integer(field{key: kq, value: vn}, "expect_ready")
				switch {
				case !qs[kq.Value]:
					d.fail(kq, "step %d: expect_ready names %q, which is not a declared queue", num, kq.Value)
				case n < 0:
					d.fail(vn, "step %d: expect_ready %s: %d; a count is 0 or more", num, kq.Value, n)
				}
				st.ExpectReady[kq.Value] = n
			}
		}
	}
	for _, qn := range d.seq(sf["expect_gone"].value, "expect_gone") {
		switch {
		case qn.Kind != yaml.ScalarNode || !qs[qn.Value]:
			d.fail(qn, "step %d: expect_gone names %q, which is not a declared queue", num, qn.Value)
		case st.ExpectReady != nil && func() bool { _, ok := st.ExpectReady[qn.Value]; return ok }():
			d.fail(qn, "step %d: queue %q is in both expect_ready and expect_gone; a queue that is gone holds nothing", num, qn.Value)
		}
		st.ExpectGone = append(st.ExpectGone, qn.Value)
	}
	if rf, has := sf["expect_received"]; has {
		rn := resolve(rf.value)
		if rn.Kind != yaml.MappingNode {
			d.fail(rn, "expect_received maps a consumer to the bodies it has received so far, in order: {worker: [a, a]}")
			return
		}
		st.ExpectReceived = map[string][]string{}
		for j := 0; j+1 < len(rn.Content); j += 2 {
			kc, vl := rn.Content[j], rn.Content[j+1]
			if consumerQueue[kc.Value] == "" {
				d.fail(kc, "step %d: expect_received names %q, which is not a consumer of this scenario", num, kc.Value)
			}
			bodies := []string{}
			for _, bn := range d.seq(vl, "expect_received") {
				bodies = append(bodies, bn.Value)
			}
			st.ExpectReceived[kc.Value] = bodies
		}
	}
}
