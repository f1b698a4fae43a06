package tui

import (
	"context"
	"testing"
	"time"

	"github.com/warrenmq/warren/internal/testbrokers"
)

// slowReset is a broker that takes a while to delete what Warren declared.
type slowReset struct {
	Session
	d time.Duration
}

func (s slowReset) Reset(ctx context.Context) error {
	t := time.NewTimer(s.d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
	return s.Session.Reset(ctx)
}

// A closed terminal ends tview's loop on its own, before shutdown has
// stopped the ticker. A refresh the ticker queues after that must not wait
// forever for the loop, or Run never returns and the process outlives its
// terminal (seen: `warren --url ...` left running, connected to nothing,
// after its tmux window was killed).
func TestRunReturnsWhenTheLoopEndsOnItsOwn(t *testing.T) {
	t.Parallel()
	b := testbrokers.Both(t)[0]
	// Quitting resets the Session; a slow broker keeps the ticker running
	// for several ticks after the loop has gone.
	hs, _ := chooseTopic(t, b, 100, 30, func(c *Config) {
		c.Session = slowReset{Session: c.Session, d: 6 * redrawEvery}
	})

	// Keep the model dirty, so that the ticker queues a refresh on every
	// tick while shutdown runs.
	stopDirtying := make(chan struct{})
	dirtied := make(chan struct{})
	go func() {
		defer close(dirtied)
		tick := time.NewTicker(redrawEvery / 2)
		defer tick.Stop()
		for {
			hs.app.m.mu.Lock()
			hs.app.m.dirty = true
			hs.app.m.mu.Unlock()
			select {
			case <-stopDirtying:
				return
			case <-tick.C:
			}
		}
	}()
	defer func() { close(stopDirtying); <-dirtied }()

	hs.app.app.Stop() // what a hung-up terminal does to the loop
	select {
	case err := <-hs.done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
		hs.done <- nil // the harness's own stop then sees a finished Run
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return after the loop ended on its own: a refresh is stuck in QueueUpdateDraw")
	}
}
