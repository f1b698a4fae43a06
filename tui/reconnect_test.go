package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/warrenmq/warren/sandbox/broker"
)

// A broker that goes away and comes back on the same address: the status
// line says disconnected, then connected; the Session redeclares the
// scenario and restarts its consumers, so publishing works again.
func TestReconnectAfterBrokerRestart(t *testing.T) {
	first, err := broker.New(broker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	addr := first.Addr().String()
	b := testBroker{name: "embedded", url: first.URL(), label: "embedded"}
	hs, topic := chooseTopic(t, b, 120, 40)
	q1 := topic.Topology.Queues[0].Name

	first.Shutdown()
	hs.waitText("embedded disconnected")

	second, err := broker.New(broker.Options{Listen: addr})
	if err != nil {
		t.Fatal(err)
	}
	if err := second.Start(); err != nil {
		t.Fatalf("restart the broker on %s: %v", addr, err)
	}
	defer second.Shutdown()
	if !second.ReadyForConnections(5 * time.Second) {
		t.Fatal("the restarted broker is not ready")
	}
	hs.waitText("embedded connected")

	hs.typeText("p")
	hs.typeText("back.orange.again")
	hs.key(tcell.KeyEnter)
	hs.waitFor("a delivery after the reconnect", func(s string) bool {
		return strings.Contains(pane(s, q1), "back.orange.again")
	})
	hs.stop() // before the broker's Shutdown: quit deletes what was declared
}
