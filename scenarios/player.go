package scenarios

import (
	"context"
	"fmt"
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
// delivery there could go unnoticed.
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

	names  map[string]bool // declared exchanges and queues, scenario names
	manual map[string]bool // consumer names with manual ack
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

// scenarioName maps a broker name back to the scenario's.
func (p *Player) scenarioName(real string) string {
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
		if c.Ack == string(sandbox.ManualAck) {
			ack = sandbox.ManualAck
		}
		out = append(out, sandbox.ConsumerSpec{Name: c.Name, Queue: p.Real(c.Queue), Prefetch: c.Prefetch, Ack: ack})
		watched[c.Queue] = true
	}
	for _, q := range p.Scenario.Topology.Queues {
		if !watched[q.Name] {
			out = append(out, sandbox.ConsumerSpec{Name: q.Name, Queue: p.Real(q.Name), Ack: sandbox.AutoAck})
		}
	}
	return out
}

// Setup declares the scenario's topology and starts its consumers and
// observers.
func (p *Player) Setup(ctx context.Context) error {
	p.init()
	if err := p.Session.Declare(ctx, p.Topology()); err != nil {
		return fmt.Errorf("scenario %s: %w", p.Scenario.Name, err)
	}
	for _, c := range p.ConsumerSpecs() {
		if err := p.Session.StartConsumer(ctx, c); err != nil {
			return fmt.Errorf("scenario %s: %w", p.Scenario.Name, err)
		}
	}
	return nil
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
	}
}

// Predict is the routing model's answer for a step's message, in the
// scenario's names.
func (p *Player) Predict(st Step) routing.Result {
	return p.Model.Route(&p.Scenario.Topology, routing.Message{
		Exchange: st.Publish.Exchange, RoutingKey: st.Publish.RoutingKey,
		Headers: st.Publish.Headers, Mandatory: st.Publish.Mandatory,
	})
}

// PlayStep publishes st's message, waits for its deliveries and compares
// them with st's expectations; index is only reported. The TUI can pass a
// step of its own making (a message the user composed); without expect,
// OK compares with the model alone.
func (p *Player) PlayStep(ctx context.Context, index int, st Step) (StepResult, error) {
	p.init()
	var queues, await []string
	for _, q := range p.Scenario.Topology.Queues {
		queues = append(queues, p.Real(q.Name))
	}
	for _, q := range st.Expect {
		await = append(await, p.Real(q))
	}
	obs, err := Observe(ctx, p.Session, p.Publishing(st), Watch{Queues: queues, Await: await, Wait: p.Wait})
	if err != nil {
		return StepResult{Index: index, Step: st, MessageID: obs.MessageID, Model: p.Predict(st)},
			fmt.Errorf("step %d: publish to exchange %q: %w", index, st.Publish.Exchange, err)
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
	return Judge(index, st, obs.renamed(p.scenarioName), p.Predict(st)), nil
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
	if st.Expect != nil && !slices.Equal(r.Expected, r.Delivered) {
		r.Failures = append(r.Failures, fmt.Sprintf("expected %s, delivered to %s", list(r.Expected), list(r.Delivered)))
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
			if got == "" {
				got = "no consumer"
			}
			r.Failures = append(r.Failures, fmt.Sprintf("queue %s: expected consumer %s, got %s", q, want, got))
		}
	}
	r.OK = len(r.Failures) == 0
	r.ModelAgrees = r.Comparison.Agrees()
	why := slices.Clone(r.Failures)
	if !r.ModelAgrees {
		why = append(why, modelDiff(&r))
	}
	if !st.HasExpectations() {
		r.OK = r.ModelAgrees // a step of the user's making: the model is the expectation
	}
	r.Why = strings.Join(why, "; ")
	return r
}

// HasExpectations says whether the step states what should become of its
// message (expect, expect_returned or expect_consumers).
func (st Step) HasExpectations() bool {
	return st.Expect != nil || st.ExpectReturned != nil || len(st.ExpectConsumers) > 0
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
