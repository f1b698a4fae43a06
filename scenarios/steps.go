package scenarios

import (
	"go.yaml.in/yaml/v3"

	"github.com/warrenmq/warren/sandbox/routing"
)

func (d *decoder) steps(n *yaml.Node, sc *Scenario, xs map[string]*routing.Exchange, qs map[string]bool) {
	consumerQueue := map[string]string{} // consumer name -> its queue
	watched := map[string]bool{}
	for _, c := range sc.Consumers {
		consumerQueue[c.Name] = c.Queue
		watched[c.Queue] = true
	}
	for q := range qs {
		if !watched[q] {
			consumerQueue[q] = q // the observer
		}
	}
	nodes := d.seq(n, "steps")
	if n != nil && len(nodes) == 0 && len(d.errs) == 0 {
		d.fail(n, "steps is empty: add at least one step with publish and expect")
	}
	for i, sn := range nodes {
		sf := d.mapping(sn, "step", "say", "publish", "expect", "expect_returned", "expect_consumers")
		st := Step{Say: d.str(sf["say"], "say"), Line: sn.Line}
		num := i + 1

		pn := sf["publish"].value
		if pn == nil {
			d.fail(sn, "step %d has no publish: say what message to publish (publish: {exchange: ..., routing_key: ...})", num)
		}
		pf := d.mapping(pn, "publish", "exchange", "routing_key", "headers", "body", "mandatory", "persistent")
		st.Publish = Publish{
			Exchange:   d.str(pf["exchange"], "exchange"),
			RoutingKey: d.str(pf["routing_key"], "routing_key"),
			Headers:    d.table(pf["headers"].value, "headers"),
			Body:       d.str(pf["body"], "body"),
			Mandatory:  d.boolean(pf["mandatory"], "mandatory"),
			Persistent: d.boolean(pf["persistent"], "persistent"),
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
			case !qs[q]:
				d.fail(qn, "step %d expects queue %q, which is not declared; declare it under topology.queues or fix the name", num, q)
			case seen[q]:
				d.fail(qn, "step %d expects queue %q twice; a queue gets at most one copy of a message", num, q)
			}
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
		sc.Steps = append(sc.Steps, st)
	}
}
