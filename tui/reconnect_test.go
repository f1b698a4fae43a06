package tui

import (
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"

	"github.com/warrenmq/warren/internal/testbrokers"
	"github.com/warrenmq/warren/sandbox/broker"
)

// A broker that goes away and comes back on the same address: the status
// line says disconnected, then connected; the Session redeclares the
// scenario and restarts its consumers, so publishing works again.
func TestReconnectAfterBrokerRestart(t *testing.T) {
	t.Parallel()
	b := testbrokers.Embedded(t)
	addr := b.Server.Addr().String()
	hs, topic := chooseTopic(t, b, 120, 40)
	q1 := topic.Topology.Queues[0].Name

	b.Server.Shutdown()
	hs.waitText("embedded disconnected")

	second, err := broker.Start(broker.Options{Listen: addr})
	if err != nil {
		t.Fatalf("restart the broker on %s: %v", addr, err)
	}
	defer second.Shutdown()
	hs.waitText("embedded connected")

	hs.typeText("p")
	hs.typeText("back.orange.again")
	hs.key(tcell.KeyEnter)
	hs.waitFor("a delivery after the reconnect", func(s string) bool {
		return strings.Contains(pane(s, q1), "back.orange.again")
	})
	hs.stop() // before the broker's Shutdown: quit deletes what was declared
}
