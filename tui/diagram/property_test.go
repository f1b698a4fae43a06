package diagram

import (
	"os"
	"strconv"
	"testing"

	"github.com/warrenmq/warren/sandbox/difftest"
	"github.com/warrenmq/warren/sandbox/routing"
)

// TestRandomTopologies draws the differential tests' random topologies
// (cycles of exchange-to-exchange bindings, self-bindings, alternate
// exchanges that do not exist, internal exchanges) at several sizes and
// holds each drawing to checkLayout, with and without a message explained.
func TestRandomTopologies(t *testing.T) {
	seeds := 200
	if testing.Short() {
		seeds = 50
	}
	if n, err := strconv.Atoi(os.Getenv("DIAGRAM_SEEDS")); err == nil {
		seeds = n // a longer hunt: DIAGRAM_SEEDS=5000 go test -run RandomTopologies
	}
	for seed := int64(1); seed <= int64(seeds); seed++ {
		c := difftest.Generate(seed, "")
		in := Input{Topology: c.Topology}
		for _, opt := range []Options{{}, {Width: 80, Height: 24}, {Width: 40, Height: 10, Marks: true}} {
			l, cv := Draw(&in, opt)
			if err := checkLayout(l, &in, cv); err != nil {
				t.Fatalf("seed %d, options %+v: %v", seed, opt, err)
			}
		}
		m := c.Messages[0].Message
		in.Route = &Route{Message: m, Result: routing.Route(&in.Topology, m)}
		l, cv := Draw(&in, Options{Width: 80})
		if err := checkLayout(l, &in, cv); err != nil {
			t.Fatalf("seed %d with a message: %v", seed, err)
		}
	}
}
