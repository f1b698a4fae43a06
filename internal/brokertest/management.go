package brokertest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"testing"
	"time"
)

// DefaultManagementURL is the live RabbitMQ's management API when
// $RABBITMQ_MANAGEMENT_URL is not set (the management plugin's port;
// .ci/run enables the plugin).
const DefaultManagementURL = "http://127.0.0.1:15672"

// Management is a management HTTP API a test talks to: the live
// RabbitMQ's or Warren's.
type Management struct {
	URL        string // http://host:port, no trailing slash
	User, Pass string
	Client     *http.Client

	last http.Header // the headers of the last answer
}

// LastHeader is a header of the last answer.
func (m *Management) LastHeader(name string) string { return m.last.Get(name) }

// LastLocation is the Location header of the last answer (a 201's).
func (m *Management) LastLocation() string { return m.LastHeader("Location") }

// LiveManagement returns the live RabbitMQ's management API, with the
// credentials of AMQP_URL, when it answers. When it does not, it fails
// the test under WARREN_REQUIRE_RABBITMQ=1, and otherwise logs why and
// returns false.
func LiveManagement(t testing.TB) (*Management, bool) {
	t.Helper()
	base := os.Getenv("RABBITMQ_MANAGEMENT_URL")
	if base == "" {
		base = DefaultManagementURL
	}
	// its own transport, whose idle connections go when the test ends
	// (goleak would see their goroutines)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	m := &Management{URL: base, User: "guest", Pass: "guest", Client: &http.Client{Timeout: 10 * time.Second, Transport: tr}}
	if u, err := url.Parse(URL()); err == nil && u.User != nil {
		m.User = u.User.Username()
		m.Pass, _ = u.User.Password()
	}
	status, _, err := m.try("GET", "/api/overview", nil)
	if err != nil || status != http.StatusOK {
		why := "it answered " + http.StatusText(status)
		if err != nil {
			why = err.Error()
		}
		if Required() {
			t.Fatalf("the RabbitMQ management API at %s does not answer (%s) and WARREN_REQUIRE_RABBITMQ=1: enable it with rabbitmq-plugins enable rabbitmq_management, or set RABBITMQ_MANAGEMENT_URL", base, why)
		}
		t.Logf("not testing against RabbitMQ's management API at %s: %s; enable it with rabbitmq-plugins enable rabbitmq_management", base, why)
		return nil, false
	}
	return m, true
}

// LiveManagementOrSkip is LiveManagement that skips the test (fails it
// under WARREN_REQUIRE_RABBITMQ=1) when the API does not answer.
func LiveManagementOrSkip(t testing.TB) *Management {
	t.Helper()
	m, ok := LiveManagement(t)
	if !ok {
		t.Skip("this test needs the live RabbitMQ's management API")
	}
	return m
}

func (m *Management) try(method, path string, body any) (int, []byte, error) {
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case []byte: // sent as it is
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, m.URL+path, r)
	if err != nil {
		return 0, nil, err
	}
	req.SetBasicAuth(m.User, m.Pass)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	c := m.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	m.last = resp.Header
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// Do sends a request (body, when not nil, as JSON; a []byte as it is) and returns the status
// and the body; a transport error fails the test.
func (m *Management) Do(t testing.TB, method, path string, body any) (int, []byte) {
	t.Helper()
	status, b, err := m.try(method, path, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return status, b
}

// Must is Do that fails the test unless the status is 2xx.
func (m *Management) Must(t testing.TB, method, path string, body any) []byte {
	t.Helper()
	status, b := m.Do(t, method, path, body)
	if status/100 != 2 {
		t.Fatalf("%s %s: %d %s", method, path, status, b)
	}
	return b
}

// TempVHostUser creates a vhost and a user (with password pass, no tags,
// no permissions) of unique names through the API, and deletes both when
// the test ends.
func (m *Management) TempVHostUser(t testing.TB, pass string) (vhost, user string) {
	t.Helper()
	vhost, user = Unique("warren-vhost"), Unique("warren-user")
	m.Must(t, "PUT", "/api/vhosts/"+url.PathEscape(vhost), map[string]any{})
	t.Cleanup(func() { m.try("DELETE", "/api/vhosts/"+url.PathEscape(vhost), nil) })
	m.Must(t, "PUT", "/api/users/"+url.PathEscape(user), map[string]any{"password": pass, "tags": ""})
	t.Cleanup(func() { m.try("DELETE", "/api/users/"+url.PathEscape(user), nil) })
	return vhost, user
}

// SetPermissions sets user's permissions on vhost.
func (m *Management) SetPermissions(t testing.TB, vhost, user, configure, write, read string) {
	t.Helper()
	m.Must(t, "PUT", "/api/permissions/"+url.PathEscape(vhost)+"/"+url.PathEscape(user),
		map[string]string{"configure": configure, "write": write, "read": read})
}
