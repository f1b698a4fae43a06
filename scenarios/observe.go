package scenarios

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/warrenmq/warren/sandbox"
	"github.com/warrenmq/warren/sandbox/routing"
)

// Publishing a message and finding out what the broker did with it, written
// once for `warren run` (Player.PlayStep) and the TUI (its publishes and
// steps). Observe never sleeps to wait: a queue Settle settles is known to
// hold no further copy of the message; the others are waited for only where
// a delivery is expected, and a missing delivery there stays "unchecked"
// rather than proven absent.

// Observer is what Observe uses of a Session.
type Observer interface {
	Publish(ctx context.Context, p sandbox.Publishing) (sandbox.Published, error)
	SettleQueues(ctx context.Context, queues []string) (unsettled []string, err error)
	WaitDelivered(ctx context.Context, messageID string, queues []string) error
	Seen(messageID string) []sandbox.Delivery
}

// Watch says where Observe looks for a message's deliveries.
type Watch struct {
	// Queues are the queues the message could reach (the declared ones).
	// Observe settles them (Session.SettleQueues) after publishing.
	Queues []string
	// Await are the queues a delivery is expected on. Those that cannot be
	// settled (several consumers, a paused or manual-ack one) are waited
	// for with Session.WaitDelivered, up to Wait each time.
	Await []string
	Wait  time.Duration
	// SettleTimeout bounds settling (0: only ctx does).
	SettleTimeout time.Duration
}

// Observation is what the broker did with one published message.
type Observation struct {
	MessageID string
	// Return is the broker's basic.return (312 NO_ROUTE), nil when it did
	// not return the message. Publisher confirms make it definite: a
	// return comes before the confirm.
	Return *sandbox.Return
	// Deliveries are the copies this Session's consumers received, in
	// arrival order.
	Deliveries []sandbox.Delivery
	// Settled are the queues, sorted, that are proven to have delivered
	// everything published before the message: a predicted one without a
	// delivery really got nothing.
	Settled []string
	// Err says why the observation stopped early: settling failed, or the
	// connection was lost while waiting (nil when a wait merely ran out:
	// a missing delivery is the comparison's business).
	Err error
}

// Observe publishes p on s, settles w.Queues, waits (bounded by w.Wait) for
// the w.Await queues that cannot be settled, and reports the deliveries.
// Its error is the publish's; later trouble is Observation.Err. ctx being
// cancelled ends any wait at once.
func Observe(ctx context.Context, s Observer, p sandbox.Publishing, w Watch) (Observation, error) {
	pub, err := s.Publish(ctx, p)
	o := Observation{MessageID: pub.MessageID, Return: pub.Returned}
	if err != nil {
		return o, err
	}
	sctx, cancel := ctx, context.CancelFunc(func() {})
	if w.SettleTimeout > 0 {
		sctx, cancel = context.WithTimeout(ctx, w.SettleTimeout)
	}
	unsettled, err := s.SettleQueues(sctx, w.Queues)
	cancel()
	if err != nil {
		o.Err = err
		o.Deliveries = s.Seen(o.MessageID)
		return o, nil
	}
	for _, q := range w.Queues {
		if !slices.Contains(unsettled, q) {
			o.Settled = append(o.Settled, q)
		}
	}
	sort.Strings(o.Settled)

	// wait where a delivery is expected and could still come: a queue
	// that cannot be settled, or a settled one that has not delivered it
	// yet (it may get there later: dead-lettered after a TTL, or after
	// the redeliveries a delivery limit allows). A queue awaited twice is
	// waited for twice (two copies).
	var wait []string
	have := map[string]int{}
	for _, d := range s.Seen(o.MessageID) {
		have[d.Queue]++
	}
	for _, q := range w.Await {
		switch {
		case slices.Contains(unsettled, q):
			wait = append(wait, q)
		case have[q] > 0:
			have[q]--
		default:
			wait = append(wait, q)
		}
	}
	if len(wait) > 0 && w.Wait > 0 {
		wctx, cancel := context.WithTimeout(ctx, w.Wait)
		err := s.WaitDelivered(wctx, o.MessageID, wait)
		cancel()
		switch {
		case ctx.Err() != nil:
			o.Err = ctx.Err()
		case errors.Is(err, sandbox.ErrDisconnected), errors.Is(err, sandbox.ErrClosed):
			o.Err = err
		}
	}
	o.Deliveries = s.Seen(o.MessageID)
	return o, nil
}

// Returned says whether the broker returned the message.
func (o Observation) Returned() bool { return o.Return != nil }

// Delivered are the queues that received the message, sorted; a queue
// appears once per copy.
func (o Observation) Delivered() []string {
	out := []string{}
	for _, d := range o.Deliveries {
		out = append(out, d.Queue)
	}
	sort.Strings(out)
	return out
}

// Queues are the queues that received the message, sorted, each once.
func (o Observation) Queues() []string {
	return slices.Compact(o.Delivered())
}

// ConsumedBy maps each queue that received the message to the consumer
// that got it (several, comma-separated, if it came more than once).
func (o Observation) ConsumedBy() map[string]string {
	byQueue := map[string][]string{}
	for _, d := range o.Deliveries {
		byQueue[d.Queue] = append(byQueue[d.Queue], d.Consumer)
	}
	out := map[string]string{}
	for q, cs := range byQueue {
		// sorted: several consumers of one queue (a stream's) receive it
		// in no set order
		sort.Strings(cs)
		out[q] = strings.Join(cs, ",")
	}
	return out
}

// renamed is o with every queue name passed through name (the Player's
// broker names back to the scenario's).
func (o Observation) renamed(name func(string) string) Observation {
	ds := make([]sandbox.Delivery, len(o.Deliveries))
	for i, d := range o.Deliveries {
		d.Queue = name(d.Queue)
		if from := deadLetteredFrom(d); from != "" {
			// the queue it was dead-lettered from, in the scenario's names
			deaths := slices.Clone(d.Headers["x-death"].([]any))
			last := maps.Clone(deaths[len(deaths)-1].(routing.Table))
			last["queue"] = name(from)
			deaths[len(deaths)-1] = last
			d.Headers = maps.Clone(d.Headers)
			d.Headers["x-death"] = deaths
		}
		ds[i] = d
	}
	o.Deliveries = ds
	settled := make([]string, len(o.Settled))
	for i, q := range o.Settled {
		settled[i] = name(q)
	}
	sort.Strings(settled)
	o.Settled = settled
	return o
}

// Comparison is a routing model's prediction held against an Observation.
type Comparison struct {
	// Disagree are the differences the observation proves, by queue ("" for
	// the return): a delivery the model did not predict, a predicted queue
	// that was settled without one, a return the model did not expect or
	// an expected return that did not come.
	Disagree map[string]string
	// Unchecked are predicted queues without a delivery that could not be
	// settled (paused, manual ack, several consumers): the message may
	// still be waiting there, so they are not called disagreements.
	Unchecked []string
	// Copies says a queue received more than one copy (the model predicts
	// one per queue).
	Copies bool
	// ModelErr is the model's predicted channel error: the broker accepted
	// the message, so nothing else is compared.
	ModelErr error
}

// Agrees says whether the model and the broker agree with nothing left
// unchecked: what `warren run` demands.
func (c Comparison) Agrees() bool {
	return c.ModelErr == nil && len(c.Disagree) == 0 && len(c.Unchecked) == 0 && !c.Copies
}

// deadLetteredFrom is the queue a dead-lettered delivery was first routed
// to (its oldest x-death entry), "" for one that was not dead-lettered.
func deadLetteredFrom(d sandbox.Delivery) string {
	deaths, _ := d.Headers["x-death"].([]any)
	if len(deaths) == 0 {
		return ""
	}
	t, _ := deaths[len(deaths)-1].(routing.Table)
	q, _ := t["queue"].(string)
	return q
}

// Compare holds the model's prediction against what was observed.
func (o Observation) Compare(model routing.Result) Comparison {
	c := Comparison{Disagree: map[string]string{}, ModelErr: model.Err}
	if model.Err != nil {
		return c
	}
	// Routing put the message in the queues it was first delivered from;
	// a dead-lettered copy (x-death) shows the queue it was routed to and
	// dead-lettered from, and a redelivery or a stream's delivery to each
	// of its consumers is not a second routed copy.
	var observed []string
	firsts := map[string]bool{} // consumer+queue with a first delivery
	for _, d := range o.Deliveries {
		q := d.Queue
		if q == sandbox.DirectReplyTo {
			continue // an RPC server's reply to the message, not a copy of it
		}
		if from := deadLetteredFrom(d); from != "" {
			q = from
		} else if !d.Redelivered {
			k := d.Consumer + "\x00" + d.Queue
			if firsts[k] {
				c.Copies = true
			}
			firsts[k] = true
		}
		if !slices.Contains(observed, q) {
			observed = append(observed, q)
		}
	}
	sort.Strings(observed)
	for _, q := range model.Queues {
		switch {
		case slices.Contains(observed, q):
		case slices.Contains(o.Settled, q):
			c.Disagree[q] = "the model routes here, but the broker delivered nothing"
		default:
			c.Unchecked = append(c.Unchecked, q)
		}
	}
	sort.Strings(c.Unchecked)
	for _, q := range observed {
		if !slices.Contains(model.Queues, q) {
			c.Disagree[q] = "the broker delivered here, but the model routes elsewhere"
		}
	}
	if modelReturned := model.Fate == routing.Returned; modelReturned != o.Returned() {
		if o.Returned() {
			c.Disagree[""] = "the broker returned the message; the model did not expect that"
		} else {
			c.Disagree[""] = "the model expected a return (mandatory, unroutable); none came"
		}
	}
	return c
}
