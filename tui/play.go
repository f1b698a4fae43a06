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

// Playing scenarios through scenarios.Player, the path `warren run` takes:
// the same topology and consumers, the same published properties, the
// routing model of the server's version and one judgment per step. The
// TUI adds only what a person at the keyboard needs: s plays one step and
// leaves manual acks to the user (a message that waits behind a full
// prefetch is "waiting", and is judged again once it is delivered); S
// plays the rest exactly as `warren run` does, the scenario's manual-ack
// consumers acking each message as it arrives.
//
// Everything here runs on the worker goroutine. a.player belongs to it.

const (
	// stepWait bounds the wait for an expected delivery from a queue that
	// cannot be settled when playing one step: the worker is not held up
	// longer, and what arrives later is judged then (recheck).
	stepWait = 750 * time.Millisecond
	// allStepsWait is the same bound for S, which plays as `warren run`.
	allStepsWait = 3 * time.Second
)

// newPlayer is the Player for sc (nil: an empty scenario, for messages
// published before any scenario is chosen).
func (a *App) newPlayer(sc *scenarios.Scenario) *scenarios.Player {
	if sc == nil {
		sc = &scenarios.Scenario{Name: "(none)"}
	}
	p := scenarios.NewPlayer(a.sess, sc)
	p.Suffix = a.cfg.NameSuffix
	p.Predictor = a.cfg.Predict
	p.Wait = stepWait
	p.RestartBroker = a.cfg.RestartBroker
	return p
}

// real is the broker's name for a scenario exchange or queue.
func (a *App) real(name string) string {
	if a.player == nil {
		return name
	}
	return a.player.Real(name)
}

// doChoose declares a scenario and starts its consumers, after deleting
// what the previous one declared.
func (a *App) doChoose(ctx context.Context, sc *scenarios.Scenario) {
	a.m.mu.Lock()
	wasDeclared := a.m.declared
	a.m.mu.Unlock()
	if wasDeclared {
		if err := a.sess.Reset(ctx); err != nil {
			a.logf(colWarn, "reset before choosing %s: %v", sc.Name, err)
		}
	}
	p := a.newPlayer(sc)
	a.player = p
	names := map[string]string{}
	for _, q := range sc.Topology.Queues {
		names[p.Real(q.Name)] = q.Name
	}
	a.m.mu.Lock()
	a.m.setScenario(sc, false)
	a.m.names = names
	a.m.consumers = nil
	a.m.logf(colHead, "scenario %s: %s", sc.Name, sc.Title)
	if a.m.quizOn {
		a.m.quiz = scenarios.NewQuiz(sc)
		a.m.logf(colHead, "quiz mode: s asks where each step's message goes before it is published (Q turns it off)")
		a.quizIntroLocked(sc)
	}
	a.m.mu.Unlock()
	if err := p.Declare(ctx); err != nil {
		a.logf(colBad, "declare: %v", err)
		return
	}
	a.m.mu.Lock()
	a.m.setScenario(sc, true)
	a.m.mu.Unlock()
	if err := p.StartConsumers(ctx); err != nil {
		a.logf(colBad, "start consumers: %v", err)
	}
	a.snapshotConsumers()
	if len(sc.Steps) > 0 {
		pub := sc.Steps[0].Publish
		a.later(func() { a.ui.publish.fill(pub) })
	}
	a.doStats(ctx)
	if sc.Name == flowScenario {
		a.later(a.flowOpen) // the services themselves, on a page of their own (userupdate.go)
	}
}

// ensureDeclared declares the chosen scenario if it is not (after a reset),
// and reports whether it is.
func (a *App) ensureDeclared(ctx context.Context) (*scenarios.Scenario, bool) {
	a.m.mu.Lock()
	sc, declared := a.m.scenario, a.m.declared
	a.m.mu.Unlock()
	if sc == nil {
		a.logf(colWarn, "choose a scenario first (l lists them)")
		return nil, false
	}
	if !declared || a.player == nil || a.player.Scenario != sc {
		a.doChoose(ctx, sc)
		a.m.mu.Lock()
		declared = a.m.declared
		a.m.mu.Unlock()
	}
	return sc, declared
}

// doStep plays the scenario's next step: one step, the user acking by hand.
func (a *App) doStep(ctx context.Context) { a.playNext(ctx, false) }

// doAllSteps plays every remaining step as `warren run` does, then ends
// the log with the verdict over all the scenario's steps (a contract).
func (a *App) doAllSteps(ctx context.Context) {
	sc, ok := a.ensureDeclared(ctx)
	if !ok {
		return
	}
	if manual := manualConsumers(sc); len(manual) > 0 {
		a.logf(colInfo, "S plays as warren run does: %s ack each message as it arrives", strings.Join(manual, " and "))
	}
	for ctx.Err() == nil && a.playNext(ctx, true) {
	}
	a.m.mu.Lock()
	defer a.m.mu.Unlock()
	if a.m.scenario != sc {
		return
	}
	n, k, skipped := len(sc.Steps), 0, 0
	for _, r := range a.m.results {
		if r != nil && r.OK {
			k++
		}
		if r != nil && r.Skipped {
			skipped++
		}
	}
	if skipped > 0 {
		a.m.logf(colWarn, "%d of the %d steps skipped (a broker restart Warren cannot do here); they count as expected", skipped, n)
	}
	if k == n {
		a.m.logf(colOK, "all %d steps as expected", n)
	} else {
		a.m.logf(colBad, "%d of %d steps as expected", k, n)
	}
}

func manualConsumers(sc *scenarios.Scenario) []string {
	var out []string
	for _, c := range sc.Consumers {
		if c.Ack == string(sandbox.ManualAck) {
			out = append(out, c.Name)
		}
	}
	return out
}

// playNext plays the next step and reports whether there may be another
// to play (false at the end, or when the step could not be played).
// asRun plays it as `warren run` does: what the scenario's manual-ack
// consumers hold is acked first, and what they receive is acked at once.
func (a *App) playNext(ctx context.Context, asRun bool) bool {
	sc, ok := a.ensureDeclared(ctx)
	if !ok {
		return false
	}
	a.m.mu.Lock()
	i := a.m.nextStep
	a.m.mu.Unlock()
	if i >= len(sc.Steps) {
		if !asRun {
			a.logf(colWarn, "%s: all %d steps played; publish your own with p, b to go back a step, or r and s to start again", sc.Name, len(sc.Steps))
		}
		return false
	}
	a.m.mu.Lock()
	a.m.narration = stepNarration(i, len(sc.Steps), sc.Steps[i].Say)
	if say := strings.Join(strings.Fields(sc.Steps[i].Say), " "); say != "" {
		// whole in the log: the top line shows at most a few lines of it
		a.m.logf(colText, "step %d: %s", i+1, say)
	}
	a.m.dirty = true
	a.m.mu.Unlock()
	return a.playAt(ctx, sc, i, playHow{asRun: asRun}) != nil && i+1 < len(sc.Steps)
}

// playHow is how playAt plays a step.
type playHow struct {
	// asRun: as `warren run` does (see playNext).
	asRun bool
	// quiet: replayed on the way back to an earlier step (back.go): the
	// result is kept, not logged, and the form is left alone.
	quiet bool
}

// playAt plays step i of sc, the next one, and returns its result (nil
// when it could not be played, or sc is no longer the chosen scenario).
func (a *App) playAt(ctx context.Context, sc *scenarios.Scenario, i int, how playHow) *scenarios.StepResult {
	st := sc.Steps[i]
	a.m.mu.Lock()
	a.m.nextStep = i + 1
	if i < len(a.m.asRun) {
		a.m.asRun[i] = how.asRun
	}
	a.m.dirty = true
	a.m.mu.Unlock()
	if !how.quiet {
		pub := st.Publish
		a.later(func() { a.ui.publish.fill(pub) })
	}

	p := a.player
	p.AckManual, p.Wait = how.asRun, stepWait
	if how.asRun {
		p.Wait = allStepsWait
		a.ackHeld(sc)
	}
	r, err := p.Play(ctx, i)
	p.AckManual, p.Wait = false, stepWait
	if err != nil {
		a.m.mu.Lock()
		a.m.logf(colBad, "step %d: %v", i+1, err)
		a.m.mu.Unlock()
		return nil
	}
	if st.RestartBroker && !r.Skipped {
		a.afterRestart(ctx) // the panes show what survived, from the broker
	}
	a.syncPump(ctx) // the panes show the deliveries by the time the verdict does
	a.snapshotConsumers()
	a.m.mu.Lock()
	defer a.m.mu.Unlock()
	if a.m.scenario != sc {
		return nil
	}
	a.m.results[i] = &r
	if st.RestartBroker || r.Skipped {
		if !how.quiet {
			a.logRestartResult(r) // no message: the routing pane keeps the last one
		}
		return &r
	}
	a.m.last = viewOfResult(r)
	if !how.quiet {
		a.logResult(r)
	}
	a.m.watchWaiting(r)
	return &r
}

func stepNarration(i, n int, say string) string {
	if say = strings.TrimSpace(say); say != "" {
		return fmt.Sprintf("Step %d/%d: %s", i+1, n, say)
	}
	return fmt.Sprintf("Step %d/%d", i+1, n)
}

// ackHeld acks what the scenario's manual-ack consumers hold, as `warren
// run` would have when each message arrived.
func (a *App) ackHeld(sc *scenarios.Scenario) {
	manual := manualConsumers(sc)
	for _, c := range a.sess.Consumers() {
		if !slices.Contains(manual, c.Spec.Name) {
			continue
		}
		for _, d := range c.Unacked {
			if err := a.sess.Ack(c.Spec.Name, d.DeliveryTag, false); err != nil {
				a.logf(colBad, "ack %s #%d: %v", c.Spec.Name, d.DeliveryTag, err)
			}
		}
	}
}

// doPublish publishes a message of the user's making through the Player:
// the scenario's names, the same properties as a step, the server's
// routing model as the expectation.
func (a *App) doPublish(ctx context.Context, pub scenarios.Publish) {
	a.m.mu.Lock()
	sc := a.m.scenario
	a.m.mu.Unlock()
	if a.player == nil || (sc != nil && a.player.Scenario != sc) {
		a.player = a.newPlayer(sc)
	}
	r, err := a.player.PlayStep(ctx, 0, scenarios.Step{Publish: pub})
	if err != nil {
		a.m.mu.Lock()
		a.m.last = viewOfResult(r)
		a.m.logf(colBad, "%v", err)
		a.m.mu.Unlock()
		return
	}
	a.syncPump(ctx)
	a.snapshotConsumers()
	a.m.mu.Lock()
	defer a.m.mu.Unlock()
	a.m.last = viewOfResult(r)
	a.logResult(r)
	a.m.watchWaiting(r)
}

// doRecheck judges again the steps and publishes whose message was
// waiting, now that some of it has been delivered.
func (a *App) doRecheck(ctx context.Context) {
	defer a.recheckQueued.Store(false)
	a.m.mu.Lock()
	waiting := slices.Clone(a.m.waiting)
	a.m.recheck = false
	a.m.mu.Unlock()
	if a.player == nil {
		return
	}
	a.syncPump(ctx)
	for _, old := range waiting {
		r := a.player.Recheck(old)
		if slices.Equal(r.Delivered, old.Delivered) {
			continue
		}
		a.m.mu.Lock()
		a.m.unwatch(old.MessageID)
		if r.Index > 0 && r.Index <= len(a.m.results) && a.m.results[r.Index-1] != nil && a.m.results[r.Index-1].MessageID == r.MessageID {
			a.m.results[r.Index-1] = &r
		}
		if a.m.last != nil && a.m.last.R.MessageID == r.MessageID {
			a.m.last = viewOfResult(r)
		}
		a.m.logf(colInfo, "%s, waiting until now, was delivered:", resultName(r))
		a.logResult(r)
		a.m.watchWaiting(r)
		a.m.mu.Unlock()
	}
}

func resultName(r scenarios.StepResult) string {
	if r.Index > 0 {
		return fmt.Sprintf("step %d", r.Index)
	}
	return fmt.Sprintf("the message %q", r.Step.Publish.RoutingKey)
}

// viewOfResult is what the topology pane shows of a played message.
func viewOfResult(r scenarios.StepResult) *routeView {
	pub := r.Step.Publish
	return &routeView{
		Msg: routing.Message{Exchange: pub.Exchange, RoutingKey: pub.RoutingKey, Headers: pub.Headers, Mandatory: pub.Mandatory},
		R:   r,
	}
}

// logResult writes what became of a played message to the log. Callers
// hold m.mu.
func (a *App) logResult(r scenarios.StepResult) {
	pub := r.Step.Publish
	prefix := "published"
	if r.Index > 0 {
		prefix = fmt.Sprintf("step %d", r.Index)
	}
	where := "delivered to no queue"
	if qs := slices.Compact(slices.Clone(r.Delivered)); len(qs) > 0 {
		where = "delivered to " + strings.Join(qs, ", ")
	} else if len(r.Waiting) > 0 {
		where = "not delivered yet"
	}
	a.m.logf(colText, "%s: %q to %s -> %s", prefix, pub.RoutingKey, exchangeName(pub.Exchange), where)
	if r.Model.Err != nil {
		a.m.logf(colWarn, "model: %v", r.Model.Err)
	} else {
		a.m.logf(colText, "model: %s", fateText(r.Model, pub.Exchange))
	}
	if r.Returned {
		a.m.logf(colWarn, "the broker returned it: %d %s", r.Return.ReplyCode, r.Return.ReplyText)
	}
	if len(r.Waiting) > 0 {
		a.m.logf(colWarn, "%s", a.waitingText(r.Waiting))
	}
	for _, q := range sortedKeys(r.Comparison.Disagree) {
		name := q
		if name == "" {
			name = "return"
		}
		a.m.logf(colBad, "DISAGREE %s: %s", name, r.Comparison.Disagree[q])
	}
	if r.Index > 0 && r.Step.HasExpectations() {
		if r.OK {
			a.m.logf(colOK, "step %d as expected: %s", r.Index, expectedText(&r))
		}
		for _, f := range r.Failures {
			a.m.logf(colBad, "step %d: %s", r.Index, f)
		}
	}
}

// waitingText says why a message has not been delivered from queues, from
// what their consumers are doing. Callers hold m.mu.
func (a *App) waitingText(queues []string) string {
	var parts []string
	for _, q := range queues {
		var why []string
		cons := a.consumersOf(q)
		for _, c := range cons {
			switch {
			case c.State != sandbox.ConsumerRunning:
				why = append(why, fmt.Sprintf("%s is %s", c.Spec.Name, c.State))
			case c.Spec.Ack == sandbox.ManualAck && c.Spec.Prefetch > 0 && c.Unacked >= c.Spec.Prefetch:
				why = append(why, fmt.Sprintf("%s holds %d unacked (prefetch %d)", c.Spec.Name, c.Unacked, c.Spec.Prefetch))
			}
		}
		switch {
		case len(cons) == 0:
			parts = append(parts, q+" has no consumer (w adds one)")
		case len(why) > 0 && len(why) == len(cons):
			parts = append(parts, fmt.Sprintf("%s: %s; ack (a on its pane) or resume (z) and it is delivered", q, strings.Join(why, ", ")))
		default:
			parts = append(parts, q)
		}
	}
	return "not delivered yet, waiting ready in " + strings.Join(parts, "; ")
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
func fateText(r routing.Result, exchange string) string {
	switch r.Fate {
	case routing.Routed:
		return "routed to " + strings.Join(r.Queues, ", ")
	case routing.Alternate:
		return fmt.Sprintf("unroutable on %s, caught by alternate exchange %s -> %s",
			exchangeName(exchange), strings.Join(r.AlternateExchanges, ", "), listOrNone(r.Queues))
	case routing.Returned:
		return "unroutable, mandatory: returned to the publisher (312 NO_ROUTE)"
	case routing.Dropped:
		return "unroutable: dropped (publish with mandatory to get it back)"
	}
	return string(r.Fate)
}
