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
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				defer cancel()
				s, err := sandbox.Dial(ctx, b.URL, sandbox.Options{Label: b.Label, ConnectionName: "warren test " + sc.Name})
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				p := NewPlayer(s, &sc)
				p.Suffix = suffix()
				p.AckManual = true
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
				for _, r := range results {
					if !r.OK || !r.ModelAgrees {
						t.Errorf("step %d (%s %q): ok=%v model agrees=%v: %s", r.Index, r.Step.Publish.Exchange, r.Step.Publish.RoutingKey, r.OK, r.ModelAgrees, r.Why)
					}
				}
			})
		}
	}
}
