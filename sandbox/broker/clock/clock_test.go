package clock

import (
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var start = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func TestAdvanceFiresInDeadlineOrderWithTheClockAtEachDeadline(t *testing.T) {
	v := NewVirtual(start, false)
	var got []time.Duration
	at := func(d time.Duration) {
		v.AfterFunc(d, func() { got = append(got, v.Now().Sub(start)) })
	}
	at(3 * time.Second)
	at(time.Second)
	at(2 * time.Second)
	at(10 * time.Second)
	v.Advance(5 * time.Second)
	want := []time.Duration{time.Second, 2 * time.Second, 3 * time.Second}
	if len(got) != len(want) {
		t.Fatalf("fired at %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("fired at %v, want %v", got, want)
		}
	}
	if now := v.Now().Sub(start); now != 5*time.Second {
		t.Fatalf("clock at +%v after Advance(5s), want +5s", now)
	}
	if v.Pending() != 1 {
		t.Fatalf("%d timers pending, want the one at +10s", v.Pending())
	}
}

func TestTimersSetByCallbacksFireInTheSameAdvance(t *testing.T) {
	// a message's TTL dead-letters it into a queue whose TTL sends it back:
	// a retry loop in one Advance
	v := NewVirtual(start, false)
	n := 0
	var step func()
	step = func() {
		n++
		v.AfterFunc(time.Minute, step)
	}
	v.AfterFunc(time.Minute, step)
	v.Advance(10*time.Minute + time.Second)
	if n != 10 {
		t.Fatalf("the chained timer fired %d times in 10 minutes, want 10", n)
	}
}

func TestStopAndSet(t *testing.T) {
	v := NewVirtual(start, false)
	fired := false
	tm := v.AfterFunc(time.Hour, func() { fired = true })
	if !tm.Stop() {
		t.Fatal("Stop of a pending timer reported false")
	}
	if tm.Stop() {
		t.Fatal("a second Stop reported true")
	}
	v.Set(start.Add(2 * time.Hour))
	if fired {
		t.Fatal("a stopped timer fired")
	}
	same := v.AfterFunc(0, func() { fired = true })
	v.Set(start) // never back
	if !v.Now().Equal(start.Add(2 * time.Hour)) {
		t.Fatalf("Set to the past moved the clock to %v", v.Now())
	}
	if fired {
		t.Fatal("Set to the past fired a timer")
	}
	v.Advance(0)
	if !fired {
		t.Fatal("a timer due now did not fire on Advance(0)")
	}
	if same.Stop() {
		t.Fatal("Stop of a fired timer reported true")
	}
}

func TestRunningClockFiresByItselfAndCloses(t *testing.T) {
	v := NewVirtual(start, true)
	done := make(chan struct{})
	v.AfterFunc(time.Millisecond, func() { close(done) })
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a running clock did not fire a 1ms timer within 5s")
	}
	v.AfterFunc(time.Hour, func() { t.Error("fired after Close") })
	before := v.Now()
	v.Advance(time.Minute) // jumps ahead of the wall clock
	if d := v.Now().Sub(before); d < time.Minute {
		t.Fatalf("Advance(1m) moved a running clock %v", d)
	}
	v.Close()
}

func TestConcurrentUse(t *testing.T) {
	v := NewVirtual(start, true)
	defer v.Close()
	var wg sync.WaitGroup
	var mu sync.Mutex
	fired := 0
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 100 {
				tm := v.AfterFunc(time.Duration(i*j)*time.Millisecond, func() { mu.Lock(); fired++; mu.Unlock() })
				if j%3 == 0 {
					tm.Stop()
				}
				_ = v.Now()
			}
		}()
	}
	for range 10 {
		v.Advance(time.Second)
	}
	wg.Wait()
	v.Advance(time.Hour)
	if v.Pending() != 0 {
		t.Fatalf("%d timers left after an hour", v.Pending())
	}
}
