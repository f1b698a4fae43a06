package tui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/warrenmq/warren/sandbox"
	"github.com/warrenmq/warren/sandbox/routing"
	"github.com/warrenmq/warren/scenarios"
)

// Everything in this file runs on the worker goroutine: it may block on the
// network, it never touches a widget (it writes the model, or hands a
// closure to later), and it gives up when ctx is cancelled (quit).

const (
	settleTimeout = 3 * time.Second
	statsTimeout  = 2 * time.Second
	unsettledWait = 500 * time.Millisecond
)

// later runs f on the event loop at the next refresh: the worker's way to
// change a widget without ever blocking on the loop.
func (a *App) later(f func()) {
	a.m.mu.Lock()
	a.m.todo = append(a.m.todo, f)
	a.m.dirty = true
	a.m.mu.Unlock()
}

func (a *App) logf(color, format string, args ...any) {
	a.m.mu.Lock()
	a.m.logf(color, format, args...)
	a.m.mu.Unlock()
}

// doChoose declares a scenario and starts its consumers, after deleting
// what the previous one declared.
func (a *App) doChoose(ctx context.Context, sc *scenarios.Scenario) {
	a.m.mu.Lock()
	wasDeclared := a.m.declared
	a.m.mu.Unlock()
	if wasDeclared {
		if err := a.sess.Reset(ctx); err != nil {
			a.logf("red", "reset before choosing %s: %v", sc.Name, err)
		}
	}
	a.m.mu.Lock()
	a.m.setScenario(sc, false)
	a.m.consumers = nil
	a.m.logf("yellow", "scenario %s: %s", sc.Name, sc.Title)
	a.m.mu.Unlock()
	if err := a.sess.Declare(ctx, sc.Topology); err != nil {
		a.logf("red", "declare %s: %v", sc.Name, err)
		return
	}
	a.m.mu.Lock()
	a.m.setScenario(sc, true)
	a.m.mu.Unlock()
	for _, spec := range consumerSpecs(sc) {
		if err := a.sess.StartConsumer(ctx, spec); err != nil {
			a.logf("red", "start consumer %s on %s: %v", spec.Name, spec.Queue, err)
		}
	}
	a.snapshotConsumers()
	if len(sc.Steps) > 0 {
		p := publishingOf(sc.Steps[0].Publish)
		a.later(func() { a.ui.publish.fill(p) })
	}
	a.doStats(ctx)
	if sc.Name == flowScenario {
		a.later(a.flowOpen) // the services themselves, on a page of their own (userupdate.go)
	}
}

// consumerSpecs are the scenario's consumers, plus an auto-ack observer
// named after each queue no consumer is named for.
func consumerSpecs(sc *scenarios.Scenario) []sandbox.ConsumerSpec {
	var specs []sandbox.ConsumerSpec
	covered := map[string]bool{}
	for _, c := range sc.Consumers {
		ack := sandbox.AutoAck
		if c.Ack == string(sandbox.ManualAck) {
			ack = sandbox.ManualAck
		}
		specs = append(specs, sandbox.ConsumerSpec{Name: c.Name, Queue: c.Queue, Prefetch: c.Prefetch, Ack: ack})
		covered[c.Queue] = true
	}
	for _, q := range sc.Topology.Queues {
		if !covered[q.Name] {
			specs = append(specs, sandbox.ConsumerSpec{Name: q.Name, Queue: q.Name, Ack: sandbox.AutoAck})
		}
	}
	return specs
}

func publishingOf(p scenarios.Publish) sandbox.Publishing {
	return sandbox.Publishing{
		Exchange:   p.Exchange,
		RoutingKey: p.RoutingKey,
		Headers:    p.Headers,
		Body:       []byte(p.Body),
		Mandatory:  p.Mandatory,
		Persistent: p.Persistent,
	}
}

// doStep plays the scenario's next step: its narration, its publish, the
// explanation and the check against what the step expects.
func (a *App) doStep(ctx context.Context) {
	a.m.mu.Lock()
	sc, declared, i := a.m.scenario, a.m.declared, a.m.nextStep
	a.m.mu.Unlock()
	if sc == nil {
		a.logf("yellow", "choose a scenario first (Enter in the scenario list)")
		return
	}
	if !declared {
		a.doChoose(ctx, sc)
		a.m.mu.Lock()
		declared = a.m.declared
		i = a.m.nextStep
		a.m.mu.Unlock()
		if !declared {
			return
		}
	}
	if i >= len(sc.Steps) {
		a.logf("yellow", "%s: all %d steps played; publish your own with p", sc.Name, len(sc.Steps))
		return
	}
	st := sc.Steps[i]
	a.m.mu.Lock()
	a.m.nextStep = i + 1
	if st.Say != "" {
		a.m.narration = fmt.Sprintf("Step %d/%d: %s", i+1, len(sc.Steps), strings.TrimSpace(st.Say))
	} else {
		a.m.narration = fmt.Sprintf("Step %d/%d", i+1, len(sc.Steps))
	}
	a.m.dirty = true
	a.m.mu.Unlock()
	p := publishingOf(st.Publish)
	a.later(func() { a.ui.publish.fill(p) })
	a.doPublish(ctx, p, &st, i+1)
}

func (a *App) doAllSteps(ctx context.Context) {
	for ctx.Err() == nil {
		a.m.mu.Lock()
		sc, i := a.m.scenario, a.m.nextStep
		a.m.mu.Unlock()
		if sc == nil || i >= len(sc.Steps) {
			if sc == nil {
				a.logf("yellow", "choose a scenario first (Enter in the scenario list)")
			}
			return
		}
		a.doStep(ctx)
	}
}

// doPublish publishes one message, explains it with the routing model and
// compares the model with the deliveries the broker made; for a scenario
// step (st, step > 0) it also judges the step as `warren run` does.
func (a *App) doPublish(ctx context.Context, p sandbox.Publishing, st *scenarios.Step, step int) {
	p.MessageID = fmt.Sprintf("warren-tui-%d", a.msgSeq.Add(1))
	a.m.mu.Lock()
	topo := a.m.topology
	queues := slices.Clone(a.m.order)
	a.m.mu.Unlock()

	view := &routeView{
		Msg:      routing.Message{Exchange: p.Exchange, RoutingKey: p.RoutingKey, Headers: p.Headers, Mandatory: p.Mandatory},
		Step:     step,
		Disagree: map[string]string{},
	}
	if a.cfg.Route != nil {
		view.Result = a.cfg.Route(&topo, view.Msg)
	}
	// Settle proves, for each queue with one running auto-ack consumer,
	// that every delivery has arrived; only there can a missing delivery
	// be called a disagreement. Elsewhere (paused, manual ack, several
	// consumers) wait a little for what the model predicts or the step
	// expects, no more: the message may be waiting for the user.
	await := slices.Clone(view.Result.Queues)
	if st != nil {
		await = append(await, st.Expect...)
	}
	obs, err := scenarios.Observe(ctx, a.sess, p, scenarios.Watch{
		Queues: queues, Await: await, Wait: unsettledWait, SettleTimeout: settleTimeout,
	})
	if err != nil {
		a.m.mu.Lock()
		a.m.last = view
		a.m.logf("red", "publish %q to %s: %v", p.RoutingKey, exchangeName(p.Exchange), err)
		a.m.mu.Unlock()
		return
	}
	// The panes should show the deliveries by the time the explanation does.
	a.syncPump(ctx)

	view.Returned = obs.Returned()
	view.Observed = obs.Queues()
	view.Checked = obs.Err == nil
	if a.cfg.Route != nil && view.Result.Err == nil {
		c := obs.Compare(view.Result)
		view.Disagree, view.Unchecked = c.Disagree, c.Unchecked
	}
	if st != nil {
		r := scenarios.Judge(step, *st, obs, view.Result)
		view.Verdict = &r
	}
	a.m.mu.Lock()
	defer a.m.mu.Unlock()
	a.m.last = view
	a.logPublish(view, p, obs.Err)
}

// logPublish writes the outcome of a publish to the log. Callers hold m.mu.
func (a *App) logPublish(v *routeView, p sandbox.Publishing, settleErr error) {
	where := "nowhere"
	if len(v.Observed) > 0 {
		where = strings.Join(v.Observed, ", ")
	}
	prefix := "published"
	if v.Step > 0 {
		prefix = fmt.Sprintf("step %d", v.Step)
	}
	a.m.logf("white", "%s: %q to %s -> delivered to %s", prefix, p.RoutingKey, exchangeName(p.Exchange), where)
	if a.cfg.Route != nil {
		r := v.Result
		if r.Err != nil {
			a.m.logf("yellow", "model: %v", r.Err)
		} else {
			a.m.logf("white", "model: %s", fateText(r, v.Msg))
		}
	}
	if v.Returned {
		a.m.logf("yellow", "the broker returned it: 312 NO_ROUTE")
	}
	if settleErr != nil {
		a.m.logf("gray", "deliveries not confirmed: %v", settleErr)
	}
	if len(v.Unchecked) > 0 {
		a.m.logf("gray", "not seen yet on %s (its consumer is paused, holding messages or shared): the message waits there", strings.Join(v.Unchecked, ", "))
	}
	for _, q := range sortedKeys(v.Disagree) {
		name := q
		if name == "" {
			name = "return"
		}
		a.m.logf("red", "DISAGREE %s: %s", name, v.Disagree[q])
	}
	if r := v.Verdict; r != nil && r.Step.HasExpectations() {
		if len(r.Failures) == 0 {
			a.m.logf("green", "step %d as expected: %s", r.Index, expectedText(r))
		}
		for _, f := range r.Failures {
			a.m.logf("red", "step %d: %s", r.Index, f)
		}
	}
}

// expectedText is what a step that held expected: its queues, each with
// the consumer expect_consumers named ("tasks (worker-1)").
func expectedText(r *scenarios.StepResult) string {
	qs := make([]string, len(r.Expected))
	for i, q := range r.Expected {
		qs[i] = q
		if c, ok := r.Step.ExpectConsumers[q]; ok {
			qs[i] += " (" + c + ")"
		}
	}
	for _, q := range sortedKeys(r.Step.ExpectConsumers) {
		if !slices.Contains(r.Expected, q) {
			qs = append(qs, q+" ("+r.Step.ExpectConsumers[q]+")")
		}
	}
	return listOrNone(qs)
}

// fateText sums up the model's answer in words.
func fateText(r routing.Result, m routing.Message) string {
	switch r.Fate {
	case routing.Routed:
		return "routed to " + strings.Join(r.Queues, ", ")
	case routing.Alternate:
		return fmt.Sprintf("unroutable on %s, caught by alternate exchange %s -> %s",
			exchangeName(m.Exchange), strings.Join(r.AlternateExchanges, ", "), listOrNone(r.Queues))
	case routing.Returned:
		return "unroutable, mandatory: returned to the publisher (312 NO_ROUTE)"
	case routing.Dropped:
		return "unroutable: dropped (publish with mandatory to get it back)"
	}
	return string(r.Fate)
}

func exchangeName(x string) string {
	if x == "" {
		return "the default exchange"
	}
	return "exchange " + x
}

func listOrNone(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ", ")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// doReset deletes what Warren declared; the scenario stays chosen, and s or
// Enter declares it afresh.
func (a *App) doReset(ctx context.Context) {
	err := a.sess.Reset(ctx)
	a.m.mu.Lock()
	defer a.m.mu.Unlock()
	if err != nil {
		a.m.logf("red", "reset: %v", err)
		return
	}
	sc := a.m.scenario
	a.m.setScenario(sc, false)
	a.m.consumers = nil
	a.m.logf("yellow", "reset: deleted the exchanges and queues Warren declared (s or Enter declares the scenario again)")
}

func (a *App) doFlood(ctx context.Context, p sandbox.Publishing, n int) {
	a.logf("yellow", "flood: publishing %d x %q to %s", n, p.RoutingKey, exchangeName(p.Exchange))
	start := time.Now()
	sent, err := a.sess.Flood(ctx, p, n)
	d := time.Since(start)
	rate := float64(sent) / max(d.Seconds(), 1e-9)
	if err != nil {
		a.logf("red", "flood: %d published in %s (%.0f/s), then: %v", sent, d.Round(time.Millisecond), rate, err)
		return
	}
	a.logf("yellow", "flood: %d published in %s (%.0f msg/s)", sent, d.Round(time.Millisecond), rate)
}

// doStats refreshes the queues' counts from the broker.
func (a *App) doStats(ctx context.Context) {
	defer a.statsQueued.Store(false)
	dropped := a.sess.Dropped()
	a.m.mu.Lock()
	if dropped != a.m.dropped {
		a.m.dropped = dropped
		a.m.dirty = true
	}
	queues := slices.Clone(a.m.order)
	ok := a.m.declared && a.m.state == sandbox.Connected
	a.m.mu.Unlock()
	a.snapshotConsumers()
	if !ok {
		return
	}
	for _, q := range queues {
		sctx, cancel := context.WithTimeout(ctx, statsTimeout)
		st, err := a.sess.QueueStats(sctx, q)
		cancel()
		a.m.mu.Lock()
		if qm := a.m.queues[q]; qm != nil {
			qm.stats, qm.statsOK = st, err == nil
			a.m.dirty = true
		}
		a.m.mu.Unlock()
	}
}

// snapshotConsumers copies the Session's consumers into the model.
func (a *App) snapshotConsumers() []consumerView {
	infos := a.sess.Consumers()
	views := make([]consumerView, len(infos))
	for i, c := range infos {
		views[i] = viewOf(c)
	}
	a.m.mu.Lock()
	a.m.consumers = views
	a.m.dirty = true
	a.m.mu.Unlock()
	return views
}
