package scenarios

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/warrenmq/warren/sandbox"
	"github.com/warrenmq/warren/sandbox/routing"
)

// fakeSession answers a Player as a broker would have, from a script.
type fakeSession struct {
	deliveries []sandbox.Delivery // what "arrives" for the published message
	returned   *sandbox.Return
	published  []sandbox.Publishing
	acked      []uint64
	waited     [][]string
	settleErr  error // SettleQueues fails with it
	waitErr    error // WaitDelivered fails with it
}

func (f *fakeSession) ServerProduct() string                                     { return "RabbitMQ" }
func (f *fakeSession) ServerVersion() string                                     { return "3.10.8" }
func (f *fakeSession) Declare(context.Context, routing.Topology) error           { return nil }
func (f *fakeSession) Reset(context.Context) error                               { return nil }
func (f *fakeSession) StartConsumer(context.Context, sandbox.ConsumerSpec) error { return nil }
func (f *fakeSession) StopConsumer(string) error                                 { return nil }
func (f *fakeSession) PauseConsumer(string) error                                { return nil }
func (f *fakeSession) ResumeConsumer(context.Context, string) error              { return nil }
func (f *fakeSession) Publish(_ context.Context, p sandbox.Publishing) (sandbox.Published, error) {
	f.published = append(f.published, p)
	return sandbox.Published{MessageID: "m1", Acked: true, Returned: f.returned}, nil
}
func (f *fakeSession) SettleQueues(_ context.Context, qs []string) ([]string, error) {
	if f.settleErr != nil {
		return qs, f.settleErr
	}
	// Queues ending in "tasks" have two workers: not settleable.
	var un []string
	for _, q := range qs {
		if strings.HasPrefix(q, "tasks") {
			un = append(un, q)
		}
	}
	return un, nil
}
func (f *fakeSession) WaitDelivered(ctx context.Context, _ string, qs []string) error {
	f.waited = append(f.waited, qs)
	return f.waitErr
}
func (f *fakeSession) Seen(id string) []sandbox.Delivery {
	if id != "m1" {
		return nil
	}
	return f.deliveries
}
func (f *fakeSession) Ack(_ string, tag uint64, _ bool) error {
	f.acked = append(f.acked, tag)
	return nil
}

func builtin(t *testing.T, name string) *Scenario {
	t.Helper()
	sc, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func TestPlayerJudgesWhatArrived(t *testing.T) {
	for _, tc := range []struct {
		name     string
		scenario string
		step     int
		suffix   string
		arrived  []sandbox.Delivery
		returned *sandbox.Return
		ok       bool
		agrees   bool
		why      []string
	}{
		{name: "as expected", scenario: "topic", step: 0, suffix: "-s",
			arrived: []sandbox.Delivery{{Queue: "Q2-s", Consumer: "Q2"}, {Queue: "Q1-s", Consumer: "Q1"}},
			ok:      true, agrees: true},
		{name: "a queue missing", scenario: "topic", step: 0,
			arrived: []sandbox.Delivery{{Queue: "Q1", Consumer: "Q1"}},
			why: []string{"expected [Q1, Q2], delivered to [Q1]",
				"the model predicted [Q1, Q2] (routed), the broker delivered to [Q1]",
				"animals -> Q2: "}},
		{name: "two copies in one queue", scenario: "topic", step: 4,
			arrived: []sandbox.Delivery{{Queue: "Q2", Consumer: "Q2"}, {Queue: "Q2", Consumer: "Q2"}},
			why:     []string{"expected [Q2], delivered to [Q2, Q2]", "a queue received more than one copy"}},
		{name: "the wrong worker", scenario: "direct", step: 4,
			arrived: []sandbox.Delivery{{Queue: "tasks", Consumer: "worker-2", DeliveryTag: 7}},
			agrees:  true,
			why:     []string{"queue tasks: expected consumer worker-1, got worker-2"}},
		{name: "returned unexpectedly", scenario: "unroutable", step: 0,
			returned: &sandbox.Return{ReplyCode: 312, ReplyText: "NO_ROUTE"},
			why: []string{"expected [orders_paid], delivered to no queue",
				"the broker returned it (312 NO_ROUTE), which the step did not expect"}},
		{name: "not returned", scenario: "unroutable", step: 1,
			why: []string{"the step expected the broker to return it (312 NO_ROUTE); it did not",
				"model: returned=true, broker: returned=false"}},
		{name: "returned as expected", scenario: "unroutable", step: 1, returned: &sandbox.Return{ReplyCode: 312, ReplyText: "NO_ROUTE"},
			ok: true, agrees: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := builtin(t, tc.scenario)
			f := &fakeSession{deliveries: tc.arrived, returned: tc.returned}
			p := NewPlayer(f, sc)
			p.Suffix, p.AckManual, p.Wait = tc.suffix, true, time.Second
			if p.Model.Version != "3.10.8" {
				t.Errorf("model version %q, want the server's 3.10.8", p.Model.Version)
			}
			r, err := p.Play(context.Background(), tc.step)
			if err != nil {
				t.Fatal(err)
			}
			if r.OK != tc.ok || r.ModelAgrees != tc.agrees {
				t.Errorf("ok=%v agrees=%v, want %v %v (why: %s)", r.OK, r.ModelAgrees, tc.ok, tc.agrees, r.Why)
			}
			for _, w := range tc.why {
				if !strings.Contains(r.Why, w) {
					t.Errorf("why %q does not say %q", r.Why, w)
				}
			}
			if len(tc.why) == 0 && r.Why != "" {
				t.Errorf("why %q, want none", r.Why)
			}
			if r.Index != tc.step+1 || r.MessageID != "m1" {
				t.Errorf("index %d message %q", r.Index, r.MessageID)
			}
		})
	}
}

func TestPlayerNamesAndManualAcks(t *testing.T) {
	sc := builtin(t, "direct")
	f := &fakeSession{deliveries: []sandbox.Delivery{{Queue: "tasks-x", Consumer: "worker-1", DeliveryTag: 3}}}
	p := NewPlayer(f, sc)
	p.Suffix, p.AckManual = "-x", true
	r, err := p.Play(context.Background(), 4) // a task via the default exchange
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK || !reflect.DeepEqual(r.ConsumedBy, map[string]string{"tasks": "worker-1"}) {
		t.Fatalf("result %+v", r)
	}
	if pub := f.published[0]; pub.Exchange != "" || pub.RoutingKey != "tasks-x" {
		t.Errorf("published to %q %q, want the default exchange with the suffixed queue name", pub.Exchange, pub.RoutingKey)
	}
	if !reflect.DeepEqual(f.waited, [][]string{{"tasks-x"}}) {
		t.Errorf("waited for %v, want the unsettleable expected queue tasks-x", f.waited)
	}
	if !reflect.DeepEqual(f.acked, []uint64{3}) {
		t.Errorf("acked %v, want the manual-ack delivery 3", f.acked)
	}
	specs := p.ConsumerSpecs()
	var names []string
	for _, c := range specs {
		names = append(names, c.Name+"@"+c.Queue+"/"+string(c.Ack))
	}
	want := []string{"worker-1@tasks-x/manual", "worker-2@tasks-x/manual", "errors_only@errors_only-x/auto", "all_severities@all_severities-x/auto"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("consumers %v, want %v", names, want)
	}
	top := builtin(t, "unroutable")
	tp := NewPlayer(f, top)
	tp.Suffix = "-x"
	for _, x := range tp.Topology().Exchanges {
		if x.Name == "orders_safe-x" && x.AlternateExchange() != "orders_unrouted-x" {
			t.Errorf("alternate exchange %q, want orders_unrouted-x", x.AlternateExchange())
		}
	}
}

// A task that waits behind its workers' prefetch is "waiting", not routed
// nowhere; Recheck judges it once it has been delivered.
func TestPlayerWaitingThenRecheck(t *testing.T) {
	sc := builtin(t, "direct")
	f := &fakeSession{waitErr: context.DeadlineExceeded}
	p := NewPlayer(f, sc)
	p.Wait = time.Millisecond
	r, err := p.Play(context.Background(), 6) // task 3
	if err != nil {
		t.Fatal(err)
	}
	if r.OK || !reflect.DeepEqual(r.Waiting, []string{"tasks"}) {
		t.Fatalf("ok=%v waiting=%v, want not ok and waiting in tasks", r.OK, r.Waiting)
	}
	if !strings.Contains(r.Why, "expected [tasks], not delivered yet: it may be waiting, ready, in tasks") || strings.Contains(r.Why, "delivered to no queue") {
		t.Errorf("why %q", r.Why)
	}
	f.deliveries = []sandbox.Delivery{{Queue: "tasks", Consumer: "worker-1", DeliveryTag: 1}}
	again := p.Recheck(r)
	if !again.OK || len(again.Waiting) != 0 || again.Index != 7 {
		t.Errorf("after the delivery: ok=%v waiting=%v index=%d (why %q)", again.OK, again.Waiting, again.Index, again.Why)
	}

	// A queue that was settled and got nothing really got nothing.
	top := builtin(t, "topic")
	tp := NewPlayer(&fakeSession{}, top)
	r, err = tp.Play(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Waiting) != 0 || !strings.Contains(r.Why, "expected [Q1, Q2], delivered to no queue") {
		t.Errorf("settled queues: waiting=%v why=%q", r.Waiting, r.Why)
	}
}
