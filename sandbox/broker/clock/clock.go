package clock

import (
	"container/heap"
	"sync"
	"time"
)

// Clock gives the time and runs functions later.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f in its own goroutine (Real) or in the goroutine
	// that moves the clock past the deadline (Virtual) once d has passed.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc.
type Timer interface {
	// Stop prevents the call if it has not happened yet, and reports
	// whether it did so.
	Stop() bool
}

// Real is the wall clock: time.Now and time.AfterFunc.
var Real Clock = realClock{}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// Virtual is a clock that moves when told to: Advance and Set fire, in the
// calling goroutine and in deadline order, every timer that comes due. It
// may also run with the wall clock (NewVirtual's running), Advance and Set
// then jumping ahead of it.
type Virtual struct {
	moveMu sync.Mutex // one Advance or Set at a time

	mu      sync.Mutex
	at      time.Time // the time at base (running) or now (stopped)
	base    time.Time // the wall clock's time when at was set; zero: stopped
	timers  timerHeap
	seq     uint64
	real    *time.Timer // running: fires at the earliest deadline
	closed  bool
	running sync.WaitGroup // real-time firings under way
}

// NewVirtual returns a clock that reads start. Stopped (running false),
// only Advance and Set move it; running, it also moves with the wall clock.
func NewVirtual(start time.Time, running bool) *Virtual {
	v := &Virtual{at: start}
	if running {
		v.base = time.Now()
	}
	return v
}

// Now is the clock's time.
func (v *Virtual) Now() time.Time {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.nowLocked()
}

func (v *Virtual) nowLocked() time.Time {
	if v.base.IsZero() {
		return v.at
	}
	return v.at.Add(time.Since(v.base))
}

// setLocked makes the clock read t, never earlier than it reads now.
func (v *Virtual) setLocked(t time.Time) {
	if now := v.nowLocked(); t.Before(now) {
		return
	}
	if v.base.IsZero() {
		v.at = t
		return
	}
	v.base = time.Now()
	v.at = t
}

// AfterFunc calls f when the clock reaches Now()+d.
func (v *Virtual) AfterFunc(d time.Duration, f func()) Timer {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.seq++
	t := &vtimer{v: v, at: v.nowLocked().Add(d), seq: v.seq, f: f}
	heap.Push(&v.timers, t)
	v.scheduleLocked()
	return t
}

// Pending is how many timers are set and not yet fired.
func (v *Virtual) Pending() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.timers)
}

// Advance moves the clock d ahead, firing every timer that comes due on
// the way (those that the fired ones set included) in deadline order;
// each runs with the clock reading its deadline. A negative d is an
// error of the caller's and does nothing.
func (v *Virtual) Advance(d time.Duration) {
	if d < 0 {
		return
	}
	v.moveMu.Lock()
	defer v.moveMu.Unlock()
	v.mu.Lock()
	target := v.nowLocked().Add(d)
	v.mu.Unlock()
	v.runUntil(target)
}

// Set moves the clock to t, firing what comes due on the way as Advance
// does. A clock never goes back: a t before Now fires nothing and leaves
// the clock where it is.
func (v *Virtual) Set(t time.Time) {
	v.moveMu.Lock()
	defer v.moveMu.Unlock()
	v.runUntil(t)
}

// runUntil fires, one at a time, every timer due at or before target,
// then leaves the clock at target.
func (v *Virtual) runUntil(target time.Time) {
	for {
		v.mu.Lock()
		if len(v.timers) == 0 || v.timers[0].at.After(target) {
			v.setLocked(target)
			v.scheduleLocked()
			v.mu.Unlock()
			return
		}
		t := heap.Pop(&v.timers).(*vtimer)
		t.fired = true
		v.setLocked(t.at)
		v.mu.Unlock()
		t.f()
	}
}

// scheduleLocked (re)arms the real timer of a running clock for its
// earliest deadline.
func (v *Virtual) scheduleLocked() {
	if v.base.IsZero() || v.closed {
		return
	}
	if v.real != nil {
		if v.real.Stop() {
			v.running.Done() // its func will never run
		}
		v.real = nil
	}
	if len(v.timers) == 0 {
		return
	}
	d := v.timers[0].at.Sub(v.nowLocked())
	v.running.Add(1)
	var rt *time.Timer
	rt = time.AfterFunc(max(d, 0), func() {
		defer v.running.Done()
		v.moveMu.Lock()
		defer v.moveMu.Unlock()
		v.mu.Lock()
		stale := v.closed || v.real != rt
		now := v.nowLocked()
		v.mu.Unlock()
		if !stale {
			v.runUntil(now)
		}
	})
	v.real = rt
}

// Close stops a running clock's own goroutine and waits for a firing
// under way; the clock still reads the time and can be moved by hand.
func (v *Virtual) Close() {
	v.mu.Lock()
	v.closed = true
	if v.real != nil && v.real.Stop() {
		v.running.Done() // its func will never run
	}
	v.real = nil
	v.mu.Unlock()
	v.running.Wait()
}

type vtimer struct {
	v     *Virtual
	at    time.Time
	seq   uint64
	f     func()
	index int
	fired bool // popped to run (guarded by v.mu)
}

func (t *vtimer) Stop() bool {
	v := t.v
	v.mu.Lock()
	defer v.mu.Unlock()
	if t.fired || t.index < 0 {
		return false
	}
	heap.Remove(&v.timers, t.index)
	t.index = -1
	return true
}

type timerHeap []*vtimer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *timerHeap) Push(x any) {
	t := x.(*vtimer)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *timerHeap) Pop() any {
	old := *h
	n := len(old)
	t := old[n-1]
	old[n-1] = nil
	t.index = -1
	*h = old[:n-1]
	return t
}
