package tui

import (
	"context"
	"fmt"
	"strings"

	"github.com/warrenmq/warren/sandbox"
)

// Consumer operations, run on the worker. They act on the queue's first
// consumer (the one the scenario started), except settling, which acts on
// whichever consumer holds the message.

func (a *App) consumersOn(queue string) []sandbox.ConsumerInfo {
	var out []sandbox.ConsumerInfo
	real := a.real(queue)
	for _, c := range a.sess.Consumers() {
		if c.Spec.Queue == real {
			out = append(out, c)
		}
	}
	return out
}

func (a *App) primary(queue string) (sandbox.ConsumerInfo, bool) {
	cs := a.consumersOn(queue)
	if len(cs) == 0 {
		a.logf(colWarn, "%s has no consumer (w adds one)", queue)
		return sandbox.ConsumerInfo{}, false
	}
	// The scenario's own consumer, not one the user added (w): switching
	// it restarts it, which moves it to the end of the Session's list.
	for _, c := range cs {
		if !strings.Contains(c.Spec.Name, extraPrefix) {
			return c, true
		}
	}
	return cs[0], true
}

func (a *App) doToggleAck(ctx context.Context, queue string) {
	defer a.snapshotConsumers()
	c, ok := a.primary(queue)
	if !ok {
		return
	}
	spec := c.Spec
	if spec.Ack == sandbox.ManualAck {
		spec.Ack = sandbox.AutoAck
	} else {
		spec.Ack = sandbox.ManualAck
	}
	// The ack mode is fixed by basic.consume: switching means a new consumer.
	if err := a.sess.StopConsumer(spec.Name); err != nil {
		a.logf(colBad, "stop consumer %s: %v", spec.Name, err)
		return
	}
	if err := a.sess.StartConsumer(ctx, spec); err != nil {
		a.logf(colBad, "start consumer %s: %v", spec.Name, err)
		return
	}
	if spec.Ack == sandbox.ManualAck {
		a.logf(colInfo, "%s: %s now holds messages until you ack (a), nack (n/N) or reject (x/X)", queue, spec.Name)
	} else {
		a.logf(colInfo, "%s: %s now auto-acks (the broker forgets a message once sent)", queue, spec.Name)
	}
}

func (a *App) doPause(ctx context.Context, queue string) {
	defer a.snapshotConsumers()
	c, ok := a.primary(queue)
	if !ok {
		return
	}
	var err error
	if c.State == sandbox.ConsumerRunning {
		err = a.sess.PauseConsumer(c.Spec.Name)
		if err == nil {
			a.logf(colInfo, "%s: %s paused; new messages wait ready in the queue", queue, c.Spec.Name)
		}
	} else {
		err = a.sess.ResumeConsumer(ctx, c.Spec.Name)
		if err == nil {
			a.logf(colInfo, "%s: %s resumed", queue, c.Spec.Name)
		}
	}
	if err != nil {
		a.logf(colBad, "%s: %v", c.Spec.Name, err)
	}
}

// doCrash closes the consumer's channel with its messages unacked, then
// starts it again: the broker requeues what it held and delivers it anew,
// marked redelivered.
func (a *App) doCrash(ctx context.Context, queue string) {
	defer a.snapshotConsumers()
	c, ok := a.primary(queue)
	if !ok {
		return
	}
	name := c.Spec.Name
	if err := a.sess.CrashConsumer(name); err != nil {
		a.logf(colBad, "crash %s: %v", name, err)
		return
	}
	a.logf(colInfo, "%s: %s crashed holding %d unacked; the broker requeues them", queue, name, len(c.Unacked))
	if err := a.sess.ResumeConsumer(ctx, name); err != nil {
		// A crashed consumer may need starting from scratch.
		_ = a.sess.StopConsumer(name)
		if err := a.sess.StartConsumer(ctx, c.Spec); err != nil {
			a.logf(colBad, "restart %s: %v", name, err)
			return
		}
	}
	a.logf(colInfo, "%s: %s restarted", queue, name)
}

func (a *App) doPrefetch(queue string, delta int) {
	defer a.snapshotConsumers()
	c, ok := a.primary(queue)
	if !ok {
		return
	}
	n := max(0, c.Spec.Prefetch+delta)
	if err := a.sess.SetPrefetch(c.Spec.Name, n); err != nil {
		a.logf(colBad, "prefetch %s: %v", c.Spec.Name, err)
		return
	}
	if n == 0 {
		a.logf(colInfo, "%s: prefetch unlimited", c.Spec.Name)
	} else {
		a.logf(colInfo, "%s: prefetch %d (at most %d unacked at a time)", c.Spec.Name, n, n)
	}
}

// extraPrefix marks consumers the user added, so W removes only those.
const extraPrefix = "+w"

func (a *App) doAddConsumer(ctx context.Context, queue string) {
	defer a.snapshotConsumers()
	cs := a.consumersOn(queue)
	spec := sandbox.ConsumerSpec{Queue: a.real(queue), Ack: sandbox.AutoAck}
	if len(cs) > 0 {
		p, _ := a.primary(queue)
		spec.Ack, spec.Prefetch = p.Spec.Ack, p.Spec.Prefetch
	}
	taken := map[string]bool{}
	for _, c := range a.sess.Consumers() {
		taken[c.Spec.Name] = true
	}
	for i := 2; ; i++ {
		spec.Name = fmt.Sprintf("%s%s%d", queue, extraPrefix, i)
		if !taken[spec.Name] {
			break
		}
	}
	if err := a.sess.StartConsumer(ctx, spec); err != nil {
		a.logf(colBad, "add consumer on %s: %v", queue, err)
		return
	}
	a.logf(colInfo, "%s: %d consumers; the broker hands messages out round-robin", queue, len(cs)+1)
}

func (a *App) doRemoveConsumer(ctx context.Context, queue string) {
	defer a.snapshotConsumers()
	cs := a.consumersOn(queue)
	for i := len(cs) - 1; i >= 0; i-- {
		if strings.Contains(cs[i].Spec.Name, extraPrefix) {
			if err := a.sess.StopConsumer(cs[i].Spec.Name); err != nil {
				a.logf(colBad, "stop %s: %v", cs[i].Spec.Name, err)
			}
			return
		}
	}
	a.logf(colWarn, "%s: no added consumer to remove (w adds one)", queue)
}

// doSettle acks, nacks or rejects one held message: the one given, or the
// oldest held on the queue when that one is not held (any more).
func (a *App) doSettle(queue, consumer string, tag uint64, how string) {
	defer a.snapshotConsumers()
	found := false
	var oldest *sandbox.Delivery
	var holder string
	for _, c := range a.consumersOn(queue) {
		for i := range c.Unacked {
			d := &c.Unacked[i]
			if c.Spec.Name == consumer && d.DeliveryTag == tag {
				found = true
			}
			if oldest == nil {
				oldest, holder = d, c.Spec.Name
			}
		}
	}
	if !found {
		if oldest == nil {
			a.logf(colWarn, "%s: no message held unacked (m switches the consumer to manual ack)", queue)
			return
		}
		consumer, tag = holder, oldest.DeliveryTag
	}
	var err error
	switch how {
	case "ack":
		err = a.sess.Ack(consumer, tag, false)
	case "nack-requeue":
		err = a.sess.Nack(consumer, tag, false, true)
	case "nack-drop":
		err = a.sess.Nack(consumer, tag, false, false)
	case "reject-requeue":
		err = a.sess.Reject(consumer, tag, true)
	case "reject-drop":
		err = a.sess.Reject(consumer, tag, false)
	}
	if err != nil {
		a.logf(colBad, "%s %s #%d: %v", how, consumer, tag, err)
	}
}
