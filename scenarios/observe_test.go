package scenarios

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/warrenmq/warren/sandbox"
	"github.com/warrenmq/warren/sandbox/routing"
)

// Observe settles what it can, waits only for expected queues it cannot
// settle, and stops early (Err) when settling fails or the connection goes.
func TestObserve(t *testing.T) {
	settleFailed := errors.New("settle queue Q1: 404 NOT_FOUND - no queue 'Q1' in vhost '/'")
	for _, tc := range []struct {
		name       string
		f          fakeSession
		await      []string
		settled    []string
		waited     [][]string
		err        error
		deliveries int
	}{
		{name: "settled, nothing to wait for", await: []string{"Q1"},
			f:       fakeSession{deliveries: []sandbox.Delivery{{Queue: "Q1", Consumer: "Q1"}}},
			settled: []string{"Q1", "Q2"}, deliveries: 1},
		{name: "an expected queue that cannot be settled is waited for", await: []string{"tasks", "Q1", "tasks"},
			f:       fakeSession{deliveries: []sandbox.Delivery{{Queue: "tasks", Consumer: "worker-1"}}},
			settled: []string{"Q1", "Q2"}, waited: [][]string{{"tasks", "Q1", "tasks"}}, deliveries: 1}, // listed twice: two copies; Q1 settled but without it: it may come later (dead-lettered)
		{name: "settling fails: nothing settled, no wait", await: []string{"tasks"},
			f:   fakeSession{settleErr: settleFailed},
			err: settleFailed},
		{name: "disconnected while waiting", await: []string{"tasks"},
			f:       fakeSession{waitErr: sandbox.ErrDisconnected},
			settled: []string{"Q1", "Q2"}, waited: [][]string{{"tasks"}}, err: sandbox.ErrDisconnected},
		{name: "a wait that runs out is no error", await: []string{"tasks"},
			f:       fakeSession{waitErr: context.DeadlineExceeded},
			settled: []string{"Q1", "Q2"}, waited: [][]string{{"tasks"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.f
			o, err := Observe(context.Background(), &f, sandbox.Publishing{RoutingKey: "k"},
				Watch{Queues: []string{"Q2", "Q1", "tasks"}, Await: tc.await, Wait: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if o.MessageID != "m1" || !reflect.DeepEqual(o.Settled, tc.settled) || !reflect.DeepEqual(f.waited, tc.waited) ||
				!errors.Is(o.Err, tc.err) || len(o.Deliveries) != tc.deliveries {
				t.Errorf("id %q settled %v waited %v err %v deliveries %d; want settled %v waited %v err %v deliveries %d",
					o.MessageID, o.Settled, f.waited, o.Err, len(o.Deliveries), tc.settled, tc.waited, tc.err, tc.deliveries)
			}
		})
	}
}

// Compare calls a difference a disagreement only where the observation
// proves it; a predicted queue that could not be settled is unchecked.
func TestCompare(t *testing.T) {
	ret := &sandbox.Return{ReplyCode: 312, ReplyText: "NO_ROUTE"}
	for _, tc := range []struct {
		name      string
		obs       Observation
		model     routing.Result
		disagree  []string // queues, "" for the return
		unchecked []string
		agrees    bool
	}{
		{name: "agree", obs: obsOf([]string{"Q1", "Q2"}, "Q1", "Q2"),
			model: routing.Result{Fate: routing.Routed, Queues: []string{"Q2", "Q1"}}, agrees: true},
		{name: "settled and empty-handed", obs: obsOf([]string{"Q1", "Q2"}, "Q1"),
			model: routing.Result{Fate: routing.Routed, Queues: []string{"Q1", "Q2"}}, disagree: []string{"Q2"}},
		{name: "not settled: unchecked", obs: obsOf([]string{"Q1"}, "Q1"),
			model: routing.Result{Fate: routing.Routed, Queues: []string{"Q1", "tasks"}}, unchecked: []string{"tasks"}},
		{name: "delivered where the model did not route", obs: obsOf([]string{"Q1", "Q2"}, "Q1", "Q2"),
			model: routing.Result{Fate: routing.Routed, Queues: []string{"Q1"}}, disagree: []string{"Q2"}},
		{name: "two copies", obs: obsOf([]string{"Q1"}, "Q1", "Q1"),
			model: routing.Result{Fate: routing.Routed, Queues: []string{"Q1"}}},
		{name: "returned unexpectedly", obs: Observation{Return: ret},
			model: routing.Result{Fate: routing.Dropped}, disagree: []string{""}},
		{name: "a return that did not come", obs: Observation{},
			model: routing.Result{Fate: routing.Returned}, disagree: []string{""}},
		{name: "the model predicted a channel error", obs: obsOf(nil, "Q1"),
			model: routing.Result{Err: errors.New("404 NOT_FOUND - no exchange 'x' in vhost '/'")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.obs.Compare(tc.model)
			var disagree []string
			for _, q := range sortedKeys(c.Disagree) {
				disagree = append(disagree, q)
			}
			if !reflect.DeepEqual(disagree, tc.disagree) || !reflect.DeepEqual(c.Unchecked, tc.unchecked) || c.Agrees() != tc.agrees {
				t.Errorf("disagree %v unchecked %v agrees %v; want %v %v %v", c.Disagree, c.Unchecked, c.Agrees(), tc.disagree, tc.unchecked, tc.agrees)
			}
		})
	}
}

func obsOf(settled []string, queues ...string) Observation {
	o := Observation{Settled: settled}
	for _, q := range queues {
		o.Deliveries = append(o.Deliveries, sandbox.Delivery{Queue: q, Consumer: q})
	}
	return o
}
