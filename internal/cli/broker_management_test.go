package cli

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

func TestBrokerServesTheManagementAPI(t *testing.T) {
	_, stdout := startBrokerCmd(t, nil, "--listen", "127.0.0.1:0", "--management", ":0")
	m := regexp.MustCompile(`management API on (http://127\.0\.0\.1:\d+) `).FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("no management address in:\n%s", stdout)
	}
	req, _ := http.NewRequest("GET", m[1]+"/api/overview", nil)
	req.SetBasicAuth("guest", "guest")
	tr := &http.Transport{DisableKeepAlives: true}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"product_name":"Warren"`) {
		t.Errorf("GET /api/overview: %d %s", resp.StatusCode, body)
	}
}

func TestBrokerManagementOnATakenPort(t *testing.T) {
	_, stdout := startBrokerCmd(t, nil, "--listen", "127.0.0.1:0", "--management", ":0")
	addr := regexp.MustCompile(`management API on http://(\S+) `).FindStringSubmatch(stdout.String())[1]
	_, stderr, code := warren(t, "broker", "--listen", "127.0.0.1:0", "--management", addr)
	if code != exitBadInput || !strings.Contains(stderr, "--management: ") || !strings.Contains(stderr, "pick another") {
		t.Errorf("exit %d, %s", code, stderr)
	}
}

// The TUI's --management serves the embedded broker's API and names it
// in the label its status line shows.
func TestTUIEmbeddedBrokerManagement(t *testing.T) {
	e := &env{getenv: func(string) string { return "" }}
	root := newRootCmd(e)
	if err := root.ParseFlags([]string{"--management", ":0"}); err != nil {
		t.Fatal(err)
	}
	ob, err := e.openBroker(root)
	if err != nil {
		t.Fatal(err)
	}
	defer ob.stop()
	label := ob.label
	m := regexp.MustCompile(`^embedded, management API (http://127\.0\.0\.1:\d+)$`).FindStringSubmatch(label)
	if m == nil {
		t.Fatalf("label %q", label)
	}
	req, _ := http.NewRequest("GET", m[1]+"/api/whoami", nil)
	req.SetBasicAuth("guest", "guest")
	resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("whoami: %s", resp.Status)
	}
	// warren run has no --management: its embedded broker serves none
	run, _, _ := root.Find([]string{"run"})
	ob2, err := e.openBroker(run)
	if err != nil {
		t.Fatal(err)
	}
	ob2.stop()
	if ob2.label != "embedded" {
		t.Errorf("run's label %q", ob2.label)
	}
}
