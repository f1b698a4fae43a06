package scenarios

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/warrenmq/warren/sandbox"
	"github.com/warrenmq/warren/sandbox/routing"
)

// Player plays a Scenario on a sandbox.Session; `warren run` and the TUI
// both use it.
//
//	p := scenarios.NewPlayer(session, sc)
//	p.AckManual = true               // headless: ack manual-ack deliveries at once
//	if err := p.Setup(ctx); err != nil { ... }
//	defer p.Teardown(context.WithoutCancel(ctx))
//	for i := range sc.Steps {
//		r, err := p.Play(ctx, i)     // r.OK, r.Delivered, r.Why ...
//	}
//
// Setup declares the topology and starts the scenario's consumers, plus an
// observer (an auto-ack consumer named after the queue) on every queue no
// scenario consumer reads. Play publishes one step's message (with its
// mandatory flag) and waits until its deliveries have arrived (Observe:
// Session.SettleQueues on the queues with one auto-ack consumer,
// Session.WaitDelivered, bounded by Wait, for the expected queues of the
// others), then Judge compares what the consumers received with the step's
// expect, expect_returned and expect_consumers, and with the routing
// model's prediction for the server's version. Teardown deletes everything
// Setup declared.
//
// Play never sleeps to wait: a queue that should get nothing is known to be
// empty of the message when its sentinel arrives. The one approximation is
// a queue with several consumers (or a paused or manual-ack one) that is
// expected to get nothing: Play does not wait for it, so a late, unexpected
// delivery there could go unnoticed. An expected delivery that has not come
// within Wait from such a queue is reported as waiting (StepResult.Waiting),
// not as routed nowhere: the message may sit there, ready, behind consumers
// that are paused or hold their prefetch. Recheck judges the step again
// later, with what has arrived since.
//
// A Player is not safe for concurrent use; the TUI calls it from one worker
// goroutine.
type Player struct {
	Session  Session
	Scenario *Scenario
	// Suffix is appended to every exchange and queue name the Player
	// declares (never to "" or amq.*), so that several runs can share a
	// broker. Results use the scenario's own names.
	Suffix string
	// Wait bounds the wait for an expected delivery on a queue Settle
	// cannot settle (default 5s).
	Wait time.Duration
	// AckManual makes Play ack each delivery to a manual-ack consumer right
	// after recording it (headless runs). The TUI leaves it off so that the
	// user acks.
	AckManual bool
	// Model is the routing model to compare with; NewPlayer sets it for the
	// Session's server version.
	Model routing.Model
	// Predictor, when set, replaces Model's prediction (a test gives a
	// wrong model to see a disagreement reported).
	Predictor func(*routing.Topology, routing.Message) routing.Result
	// RestartBroker restarts the broker in place for a restart_broker
	// step and returns once it accepts connections again (the embedded
	// broker's Restart; the Session must reconnect: Options.Reconnect).
	// nil: the broker is not Warren's embedded one, and the step and every
	// step after it are skipped (restart.go).
	RestartBroker func(ctx context.Context) error

	skipping  string          // the note of the steps after a skipped restart
	names     map[string]bool // declared exchanges and queues, scenario names
	manual    map[string]bool // consumer names with manual ack
	published []string        // message ids of the steps played, in order
}

// Session is what a Player uses of a *sandbox.Session; an interface so
// that a caller holding its own interface over the Session (the TUI) can
// hand it over.
type Session interface {
	ServerProduct() string
	ServerVersion() string
	Declare(ctx context.Context, t routing.Topology) error
	Reset(ctx context.Context) error
	StartConsumer(ctx context.Context, c sandbox.ConsumerSpec) error
	StopConsumer(name string) error
	PauseConsumer(name string) error
	ResumeConsumer(ctx context.Context, name string) error
	Publish(ctx context.Context, p sandbox.Publishing) (sandbox.Published, error)
	SettleQueues(ctx context.Context, queues []string) (unsettled []string, err error)
	WaitDelivered(ctx context.Context, messageID string, queues []string) error
	Seen(messageID string) []sandbox.Delivery
	Ack(consumer string, tag uint64, multiple bool) error
}

var _ Session = (*sandbox.Session)(nil)

// StepResult is what happened to one step's message.
type StepResult struct {
	Index int // 1-based
	Step  Step
	// MessageID is the id Play published the message with.
	MessageID string
	// Expected are the step's expect, sorted.
	Expected []string
	// Delivered are the queues whose consumers received the message, sorted;
	// a queue appears once per copy received.
	Delivered []string
	// ConsumedBy maps each queue that received the message to the consumer
	// that got it (several, comma-separated, if it came more than once).
	ConsumedBy map[string]string
	// Returned says whether the broker returned the message (basic.return).
	Returned bool
	Return   *sandbox.Return
	// Model is the routing model's prediction and reasons; ModelAgrees
	// whether its queues and fate match what was observed, with nothing
	// left unchecked (Comparison.Agrees).
	Model       routing.Result
	ModelAgrees bool
	// Comparison is the model held against the observation, queue by
	// queue, telling proven disagreements from unchecked queues (the TUI
	// shows it so).
	Comparison Comparison
	// OK is true when every expectation of the step held.
	OK bool
	// Failures are the step's expectations that did not hold, one
	// sentence each.
	Failures []string
	// Why explains a failure, or a disagreement with the model, in a few
	// lines ("" when all agree).
	Why string
	// Waiting are the queues the step expects (a step without
	// expectations: the queues the model predicts) that have delivered no
	// copy yet and could not be settled: the message may be waiting there,
	// ready, behind consumers that are paused or hold their prefetch of
	// unacked messages. Recheck judges the step again once it arrives.
	Waiting []string
	// Skipped says the step was not played: a restart_broker step where
	// the broker cannot be restarted, or a step after one (Note says
	// which). OK stays true: nothing failed.
	Skipped bool
	// Note is a remark on the step that is not a failure (why it was
	// skipped).
	Note string
	// Survivors are, for a restart_broker step, the scenario's queues
	// across the restart, in topology order.
	Survivors []Survivor

	observed Observation // what Judge saw, for Recheck
}

// NewPlayer returns a Player for sc on s, with the routing model of s's
// server version (RabbitMQ's), or the newest behaviour for another broker.
func NewPlayer(s Session, sc *Scenario) *Player {
	p := &Player{Session: s, Scenario: sc, Wait: 5 * time.Second}
	if s != nil && s.ServerProduct() == "RabbitMQ" {
		p.Model.Version = s.ServerVersion()
	}
	return p
}

func (p *Player) init() {
	if p.names != nil {
		return
	}
	p.names, p.manual = map[string]bool{}, map[string]bool{}
	for _, x := range p.Scenario.Topology.Exchanges {
		p.names[x.Name] = true
	}
	for _, q := range p.Scenario.Topology.Queues {
		p.names[q.Name] = true
	}
	for _, c := range p.Scenario.Consumers {
		if c.Ack == string(sandbox.ManualAck) {
			p.manual[c.Name] = true
		}
	}
	if p.Wait <= 0 {
		p.Wait = 5 * time.Second
	}
}

// Real is the name the broker knows a scenario exchange or queue by
// (the scenario's name plus Suffix).
func (p *Player) Real(name string) string {
	p.init()
	if p.names[name] {
		return name + p.Suffix
	}
	return name
}

// ScenarioName maps a broker name back to the scenario's (the inverse of
// Real).
func (p *Player) ScenarioName(real string) string {
	p.init()
	if n, ok := strings.CutSuffix(real, p.Suffix); ok && p.Suffix != "" && p.names[n] {
		return n
	}
	return real
}

// Topology is the scenario's topology with the broker's names.
func (p *Player) Topology() routing.Topology {
	p.init()
	t := p.Scenario.Topology
	out := routing.Topology{}
	for _, x := range t.Exchanges {
		x.Name = p.Real(x.Name)
		if ae := x.AlternateExchange(); ae != "" {
			x.Arguments = cloneTable(x.Arguments)
			x.Arguments["alternate-exchange"] = p.Real(ae)
		}
		out.Exchanges = append(out.Exchanges, x)
	}
	for _, q := range t.Queues {
		q.Name = p.Real(q.Name)
		// dead-lettering names an exchange, and through the default
		// exchange a queue: the broker's names
		if dlx, ok := q.Arguments["x-dead-letter-exchange"].(string); ok {
			q.Arguments = cloneTable(q.Arguments)
			q.Arguments["x-dead-letter-exchange"] = p.Real(dlx)
			if rk, ok := q.Arguments["x-dead-letter-routing-key"].(string); ok && dlx == "" {
				q.Arguments["x-dead-letter-routing-key"] = p.Real(rk)
			}
		}
		out.Queues = append(out.Queues, q)
	}
	for _, b := range t.Bindings {
		b.Source, b.Destination = p.Real(b.Source), p.Real(b.Destination)
		out.Bindings = append(out.Bindings, b)
	}
	return out
}

func cloneTable(t routing.Table) routing.Table {
	out := make(routing.Table, len(t))
	for k, v := range t {
		out[k] = v
	}
	return out
}

// ConsumerSpecs are the consumers Setup starts: the scenario's, then an
// observer for every queue none of them reads.
func (p *Player) ConsumerSpecs() []sandbox.ConsumerSpec {
	p.init()
	var out []sandbox.ConsumerSpec
	watched := map[string]bool{}
	for _, c := range p.Scenario.Consumers {
		ack := sandbox.AutoAck
		switch c.Ack {
		case string(sandbox.ManualAck), AckHold:
			ack = sandbox.ManualAck
		case string(sandbox.NackRequeue):
			ack = sandbox.NackRequeue
		}
		out = append(out, sandbox.ConsumerSpec{Name: c.Name, Queue: p.Real(c.Queue), Prefetch: c.Prefetch, Ack: ack, Arguments: c.Arguments, Reply: c.Reply})
		watched[c.Queue] = true
	}
	for _, q := range p.Scenario.Unobserved {
		watched[q] = true
	}
	for _, q := range p.Scenario.Topology.Queues {
		if !watched[q.Name] {
			out = append(out, sandbox.ConsumerSpec{Name: q.Name, Queue: p.Real(q.Name), Ack: sandbox.AutoAck})
		}
	}
	return out
}

// Setup declares the scenario's topology and starts its consumers and
// observers (Declare, then StartConsumers).
func (p *Player) Setup(ctx context.Context) error {
	if err := p.Declare(ctx); err != nil {
		return err
	}
	return p.StartConsumers(ctx)
}

// Declare declares the scenario's topology.
func (p *Player) Declare(ctx context.Context) error {
	p.init()
	if err := p.Session.Declare(ctx, p.Topology()); err != nil {
		return fmt.Errorf("scenario %s: %w", p.Scenario.Name, err)
	}
	return nil
}

// StartConsumers starts the scenario's consumers and observers
// (ConsumerSpecs). It tries every one and reports all that failed.
func (p *Player) StartConsumers(ctx context.Context) error {
	var errs []error
	for _, c := range p.ConsumerSpecs() {
		if err := p.Session.StartConsumer(ctx, c); err != nil {
			errs = append(errs, fmt.Errorf("scenario %s: %w", p.Scenario.Name, err))
			if ctx.Err() != nil {
				break
			}
		}
	}
	for _, c := range p.Scenario.Consumers {
		if c.Paused && len(errs) == 0 {
			if err := p.Session.PauseConsumer(c.Name); err != nil {
				errs = append(errs, fmt.Errorf("scenario %s: pause consumer %s: %w", p.Scenario.Name, c.Name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// act stops, pauses and resumes the consumers a step names, before its
// message is published.
func (p *Player) act(ctx context.Context, index int, st Step) error {
	for _, c := range st.Stop {
		if err := p.Session.StopConsumer(c); err != nil {
			return fmt.Errorf("step %d: stop consumer %s: %w", index, c, err)
		}
	}
	for _, c := range st.Pause {
		if err := p.Session.PauseConsumer(c); err != nil {
			return fmt.Errorf("step %d: pause consumer %s: %w", index, c, err)
		}
	}
	for _, c := range st.Resume {
		if err := p.Session.ResumeConsumer(ctx, c); err != nil {
			return fmt.Errorf("step %d: resume consumer %s: %w", index, c, err)
		}
	}
	return nil
}

// received are the bodies of the scenario's messages consumer c has
// received so far, in arrival order.
func (p *Player) received(c string) []string {
	var ds []sandbox.Delivery
	for _, id := range p.published {
		for _, d := range p.Session.Seen(id) {
			if d.Consumer == c {
				ds = append(ds, d)
			}
		}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i].Seq < ds[j].Seq })
	out := []string{}
	for _, d := range ds {
		out = append(out, string(d.Body))
	}
	return out
}

// checkReceived adds to r the step's expect_received that do not hold.
func (p *Player) checkReceived(r StepResult) StepResult {
	for _, c := range slices.Sorted(maps.Keys(r.Step.ExpectReceived)) {
		want, got := r.Step.ExpectReceived[c], p.received(c)
		if slices.Equal(want, got) {
			continue
		}
		f := fmt.Sprintf("consumer %s: expected to have received %s, received %s", c, bodies(want), bodies(got))
		r.Failures = append(r.Failures, f)
		r.OK = false
		if r.Why != "" {
			r.Why += "; "
		}
		r.Why += f
	}
	return r
}

func bodies(bs []string) string {
	if len(bs) == 0 {
		return "nothing"
	}
	return "[" + strings.Join(bs, ", ") + "]"
}

// Teardown stops the consumers and deletes what Setup declared. Give it a
// context that is not already cancelled (context.WithoutCancel) so that an
// interrupted run still cleans up.
func (p *Player) Teardown(ctx context.Context) error {
	return p.Session.Reset(ctx)
}

// Run plays every step in order and returns their results. It stops at the
// first step that cannot be played (the connection was lost); a step whose
// expectations fail does not stop it.
func (p *Player) Run(ctx context.Context) ([]StepResult, error) {
	var out []StepResult
	for i := range p.Scenario.Steps {
		r, err := p.Play(ctx, i)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// Play plays step i (0-based) of the scenario.
func (p *Player) Play(ctx context.Context, i int) (StepResult, error) {
	if i < 0 || i >= len(p.Scenario.Steps) {
		return StepResult{}, fmt.Errorf("scenario %s has no step %d", p.Scenario.Name, i+1)
	}
	return p.PlayStep(ctx, i+1, p.Scenario.Steps[i])
}

// ForServer is st with the expectations that hold on the Player's server:
// where st has expect_before for a version the server is older than, that
// list replaces Expect (the oldest such version's, if several).
func (p *Player) ForServer(st Step) Step {
	best := ""
	for v := range st.ExpectBefore {
		if !p.Model.OlderThan(v) {
			continue
		}
		if best == "" || (routing.Model{Version: v}).OlderThan(best) {
			best = v
		}
	}
	if best != "" {
		st.Expect = append([]string{}, st.ExpectBefore[best]...)
	}
	return st
}

// Publishing is the message a step publishes, with the broker's names.
func (p *Player) Publishing(st Step) sandbox.Publishing {
	p.init()
	key := st.Publish.RoutingKey
	if st.Publish.Exchange == "" {
		key = p.Real(key) // the default exchange: the key names a queue
	}
	return sandbox.Publishing{
		Exchange: p.Real(st.Publish.Exchange), RoutingKey: key,
		Headers: st.Publish.Headers, Body: []byte(st.Publish.Body),
		Mandatory: st.Publish.Mandatory, Persistent: st.Publish.Persistent, ContentType: "text/plain",
		Priority: uint8(st.Publish.Priority),
		ReplyTo:  st.Publish.ReplyTo, CorrelationID: st.Publish.CorrelationID,
	}
}

// Predict is the routing model's answer for a step's message, in the
// scenario's names.
func (p *Player) Predict(st Step) routing.Result {
	m := routing.Message{
		Exchange: st.Publish.Exchange, RoutingKey: st.Publish.RoutingKey,
		Headers: st.Publish.Headers, Mandatory: st.Publish.Mandatory,
	}
	if p.Predictor != nil {
		return p.Predictor(&p.Scenario.Topology, m)
	}
	return p.Model.Route(&p.Scenario.Topology, m)
}

// PlayStep publishes st's message, waits for its deliveries and compares
// them with st's expectations; index is only reported. The TUI can pass a
// step of its own making (a message the user composed); without expect,
// OK compares with the model alone, and the queues the model predicts are
// the ones waited for.
func (p *Player) PlayStep(ctx context.Context, index int, st Step) (StepResult, error) {
	p.init()
	if p.skipping != "" && index > 0 {
		return StepResult{Index: index, Step: st, Expected: []string{}, Delivered: []string{}, OK: true, ModelAgrees: true, Skipped: true, Note: p.skipping}, nil
	}
	if st.RestartBroker {
		return p.playRestart(ctx, index, st)
	}
	if err := p.act(ctx, index, st); err != nil {
		return StepResult{Index: index, Step: st}, err
	}
	st = p.ForServer(st)
	model := p.Predict(st)
	var queues, await []string
	for _, q := range p.Scenario.Topology.Queues {
		queues = append(queues, p.Real(q.Name))
	}
	expect := st.Expect
	if !st.HasExpectations() {
		expect = model.Queues
	}
	for _, q := range expect {
		await = append(await, p.Real(q))
	}
	obs, err := Observe(ctx, p.Session, p.Publishing(st), Watch{Queues: queues, Await: await, Wait: p.Wait})
	if obs.MessageID != "" && index > 0 {
		p.published = append(p.published, obs.MessageID)
	}
	if err != nil {
		r := StepResult{Index: index, Step: st, MessageID: obs.MessageID, Model: model}
		if index == 0 { // a message of the TUI user's making
			return r, fmt.Errorf("publish %q to exchange %q: %w", st.Publish.RoutingKey, st.Publish.Exchange, err)
		}
		return r, fmt.Errorf("step %d: publish to exchange %q: %w", index, st.Publish.Exchange, err)
	}
	if obs.Err != nil {
		if ctx.Err() != nil {
			return StepResult{Index: index, Step: st, MessageID: obs.MessageID}, ctx.Err()
		}
		return StepResult{Index: index, Step: st, MessageID: obs.MessageID}, fmt.Errorf("step %d: %w", index, obs.Err)
	}
	if p.AckManual {
		for _, d := range obs.Deliveries {
			if p.manual[d.Consumer] {
				_ = p.Session.Ack(d.Consumer, d.DeliveryTag, false) // an error means it was settled already
			}
		}
	}
	return p.checkReceived(Judge(index, st, obs.renamed(p.ScenarioName), model)), nil
}

// Recheck judges a step played earlier again, with every delivery of its
// message the Session has seen by now: a step whose message was waiting
// (r.Waiting) is judged anew once it has been delivered. It does no I/O.
func (p *Player) Recheck(r StepResult) StepResult {
	obs := r.observed
	obs.Deliveries = p.Session.Seen(r.MessageID)
	return p.checkReceived(Judge(r.Index, r.Step, obs.renamed(p.ScenarioName), r.Model))
}

// Judge holds what was observed of step st's message (index is only
// reported) against the step's expect, expect_returned and
// expect_consumers, and against the routing model's prediction. `warren
// run` and the TUI judge steps with it.
func Judge(index int, st Step, obs Observation, model routing.Result) StepResult {
	r := StepResult{
		Index: index, Step: st, MessageID: obs.MessageID,
		Expected:  append([]string{}, st.Expect...),
		Delivered: obs.Delivered(), ConsumedBy: obs.ConsumedBy(),
		Returned: obs.Returned(), Return: obs.Return,
		Model: model, Comparison: obs.Compare(model),
	}
	sort.Strings(r.Expected)
	r.observed = obs
	awaited := r.Expected
	if !st.HasExpectations() && model.Err == nil {
		awaited = model.Queues
	}
	for _, q := range awaited {
		if !slices.Contains(r.Delivered, q) && !slices.Contains(obs.Settled, q) && !slices.Contains(r.Waiting, q) {
			r.Waiting = append(r.Waiting, q)
		}
	}
	sort.Strings(r.Waiting)
	if st.Expect != nil && !slices.Equal(r.Expected, r.Delivered) {
		r.Failures = append(r.Failures, deliveryFailure(r))
	}
	if st.ExpectReturned != nil && *st.ExpectReturned != r.Returned {
		if r.Returned {
			r.Failures = append(r.Failures, fmt.Sprintf("the broker returned it (%d %s), which the step did not expect", r.Return.ReplyCode, r.Return.ReplyText))
		} else {
			r.Failures = append(r.Failures, "the step expected the broker to return it (312 NO_ROUTE); it did not")
		}
	}
	for _, q := range sortedKeys(st.ExpectConsumers) {
		want := st.ExpectConsumers[q]
		if got := r.ConsumedBy[q]; got != want {
			if got == "" && slices.Contains(r.Waiting, q) {
				r.Failures = append(r.Failures, fmt.Sprintf("queue %s: expected consumer %s; no consumer has received it yet", q, want))
				continue
			}
			if got == "" {
				got = "no consumer"
			}
			r.Failures = append(r.Failures, fmt.Sprintf("queue %s: expected consumer %s, got %s", q, want, got))
		}
	}
	// a queue where the step says the message waits: the model routes it
	// there and the broker holds it, undelivered
	r.Comparison.Unchecked = slices.DeleteFunc(r.Comparison.Unchecked, func(q string) bool { return slices.Contains(st.ExpectWaiting, q) })
	r.Waiting = slices.DeleteFunc(r.Waiting, func(q string) bool { return slices.Contains(st.ExpectWaiting, q) })
	r.OK = len(r.Failures) == 0
	r.ModelAgrees = r.Comparison.Agrees()
	why := slices.Clone(r.Failures)
	switch c := r.Comparison; {
	case r.ModelAgrees:
	case c.ModelErr == nil && len(c.Disagree) == 0 && !c.Copies:
		// Only unchecked queues: nothing proves the model wrong yet.
		if st.Expect == nil || !slices.Equal(c.Unchecked, r.Waiting) {
			why = append(why, fmt.Sprintf("the model routes it to %s too; not delivered from there yet", strings.Join(c.Unchecked, ", ")))
		}
	default:
		why = append(why, modelDiff(&r))
	}
	if !st.HasExpectations() {
		r.OK = r.ModelAgrees // a step of the user's making: the model is the expectation
	}
	r.Why = strings.Join(why, "; ")
	return r
}

// deliveryFailure says how the deliveries differ from what the step
// expected. A queue that could not be settled is not called empty: the
// message may be waiting there.
func deliveryFailure(r StepResult) string {
	if len(r.Waiting) == 0 {
		return fmt.Sprintf("expected %s, delivered to %s", list(r.Expected), list(r.Delivered))
	}
	what := fmt.Sprintf("expected %s, not delivered yet", list(r.Expected))
	if len(r.Delivered) > 0 {
		what = fmt.Sprintf("expected %s, delivered to %s so far", list(r.Expected), list(r.Delivered))
	}
	return fmt.Sprintf("%s: it may be waiting, ready, in %s (its consumers paused, or holding as many unacked messages as their prefetch allows)",
		what, strings.Join(r.Waiting, ", "))
}

// HasExpectations says whether the step states what should become of its
// message (expect, expect_returned or expect_consumers).
func (st Step) HasExpectations() bool {
	return st.Expect != nil || st.ExpectReturned != nil || len(st.ExpectConsumers) > 0 ||
		len(st.ExpectReceived) > 0 || len(st.ExpectWaiting) > 0
}

// modelDiff explains where the model and the broker differ, with the
// model's reasons for the bindings of the queues in question.
func modelDiff(r *StepResult) string {
	model := append([]string{}, r.Model.Queues...)
	sort.Strings(model)
	observed := slices.Compact(append([]string{}, r.Delivered...))
	if r.Model.Err != nil {
		return fmt.Sprintf("the model predicted a channel error (%v), the broker accepted the message", r.Model.Err)
	}
	var parts []string
	parts = append(parts, fmt.Sprintf("the model predicted %s (%s), the broker delivered to %s", list(model), r.Model.Fate, list(observed)))
	if len(observed) != len(r.Delivered) {
		parts = append(parts, "a queue received more than one copy")
	}
	if (r.Model.Fate == routing.Returned) != r.Returned {
		parts = append(parts, fmt.Sprintf("model: returned=%v, broker: returned=%v", r.Model.Fate == routing.Returned, r.Returned))
	}
	differ := map[string]bool{}
	for _, q := range model {
		if !slices.Contains(observed, q) {
			differ[q] = true
		}
	}
	for _, q := range observed {
		if !slices.Contains(model, q) {
			differ[q] = true
		}
	}
	for _, v := range r.Model.Verdicts {
		if differ[v.Binding.Destination] {
			parts = append(parts, fmt.Sprintf("%s -> %s: %s", v.Binding.Source, v.Binding.Destination, v.Reason))
		}
	}
	return strings.Join(parts, "; ")
}

func list(qs []string) string {
	if len(qs) == 0 {
		return "no queue"
	}
	return "[" + strings.Join(qs, ", ") + "]"
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
