package scenarios

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/warrenmq/warren/internal/testbrokers"
	"github.com/warrenmq/warren/sandbox"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func suffix() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "-test-" + hex.EncodeToString(b[:])
}

func TestBuiltinsPlayGreen(t *testing.T) {
	for _, b := range testbrokers.Both(t) {
		for _, sc := range Builtins() {
			t.Run(b.Name+"/"+sc.Name, func(t *testing.T) {
				playGreen(t, b, sc)
			})
		}
	}
}

// TestDurabilityPlaysGreenFromADataDir plays the durability scenario on an
// embedded broker with a data directory: the restart recovers from disk.
func TestDurabilityPlaysGreenFromADataDir(t *testing.T) {
	sc, err := Lookup("durability")
	if err != nil {
		t.Fatal(err)
	}
	playGreen(t, testbrokers.EmbeddedPersistent(t), *sc)
}

// playGreen plays sc on b as `warren run` does and expects every step to
// pass and agree with the model; on a broker Warren cannot restart, a
// restart_broker step and those after it are skipped with their notes.
func playGreen(t *testing.T, b testbrokers.Broker, sc Scenario) {
	t.Helper()
	{
		{
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			s, err := sandbox.Dial(ctx, b.URL, sandbox.Options{Label: b.Label, ConnectionName: "warren test " + sc.Name, Reconnect: sc.RestartsBroker()})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			p := NewPlayer(s, &sc)
			p.Suffix = suffix()
			p.AckManual = true
			p.RestartBroker = b.Restart
			defer func() {
				if err := p.Teardown(context.WithoutCancel(ctx)); err != nil {
					t.Errorf("teardown: %v", err)
				}
			}()
			if err := p.Setup(ctx); err != nil {
				t.Fatal(err)
			}
			results, err := p.Run(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(results) != len(sc.Steps) {
				t.Fatalf("%d results for %d steps", len(results), len(sc.Steps))
			}
			restarted := false
			for _, r := range results {
				if !r.OK || !r.ModelAgrees {
					t.Errorf("step %d (%s %q): ok=%v model agrees=%v: %s", r.Index, r.Step.Publish.Exchange, r.Step.Publish.RoutingKey, r.OK, r.ModelAgrees, r.Why)
				}
				restarted = restarted || r.Step.RestartBroker
				switch want := restarted && b.Restart == nil; {
				case r.Skipped != want:
					t.Errorf("step %d: skipped=%v (%s), want %v", r.Index, r.Skipped, r.Note, want)
				case r.Skipped && r.Step.RestartBroker && r.Note != SkipRestartNote:
					t.Errorf("step %d: skipped with note %q, want %q", r.Index, r.Note, SkipRestartNote)
				case r.Step.RestartBroker && !r.Skipped && len(r.Survivors) != len(sc.Topology.Queues):
					t.Errorf("step %d: %d survivors reported for %d queues", r.Index, len(r.Survivors), len(sc.Topology.Queues))
				}
			}
		}
	}
}
