package userupdate

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The HTTP contract needs no broker: an update is accepted (and kept in the
// outbox) whether or not the broker is reachable.
func TestUserServiceHTTP(t *testing.T) {
	// Nothing listens on port 1: Start is not called, and the update is
	// accepted anyway.
	svc, err := NewUserService("amqp://guest:guest@127.0.0.1:1/", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	h := svc.Handler()

	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        string
		wantStatus  int
		wantBody    string // exact JSON, when set
		wantError   string // a part of the "error" field, when set
	}{
		{"the article's curl", "POST", "/users/1", "application/x-www-form-urlencoded", "full_name=usama", 201, `{"full_name":"usama"}`, ""},
		{"a JSON body", "POST", "/users/2", "application/json", `{"full_name": "Ada Lovelace"}`, 201, `{"full_name":"Ada Lovelace"}`, ""},
		{"JSON with a charset", "POST", "/users/3", "application/json; charset=utf-8", `{"full_name": "Grace"}`, 201, `{"full_name":"Grace"}`, ""},
		{"get the stored user", "GET", "/users/1", "", "", 200, "", ""},
		{"a non-numeric id", "POST", "/users/abc", "application/x-www-form-urlencoded", "full_name=usama", 404, "", "positive integer"},
		{"a non-numeric id on GET", "GET", "/users/abc", "", "", 404, "", "positive integer"},
		{"a negative id", "POST", "/users/-1", "application/x-www-form-urlencoded", "full_name=usama", 404, "", "positive integer"},
		{"an unknown user", "GET", "/users/999", "", "", 404, "", "no user 999"},
		{"no full_name field", "POST", "/users/1", "application/x-www-form-urlencoded", "name=usama", 400, "", "missing full_name"},
		{"no body at all", "POST", "/users/1", "", "", 400, "", "missing full_name"},
		{"an empty full_name", "POST", "/users/1", "application/x-www-form-urlencoded", "full_name=", 400, "", "full_name is empty"},
		{"a blank full_name", "POST", "/users/1", "application/x-www-form-urlencoded", "full_name=+++", 400, "", "full_name is empty"},
		{"JSON without full_name", "POST", "/users/1", "application/json", `{"name": "x"}`, 400, "", "missing full_name"},
		{"malformed JSON", "POST", "/users/1", "application/json", `{"full_name": `, 400, "", "JSON body is malformed"},
		{"a body over 64 KiB", "POST", "/users/1", "application/x-www-form-urlencoded", "full_name=" + strings.Repeat("x", 70<<10), 413, "", "over"},
		{"an unknown path", "GET", "/nothing", "", "", 404, "", "no resource"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.wantStatus {
				t.Fatalf("%s %s: status %d, want %d; body %s", tc.method, tc.path, rec.Code, tc.wantStatus, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q, want application/json", ct)
			}
			if tc.wantBody != "" && strings.TrimSpace(rec.Body.String()) != tc.wantBody {
				t.Errorf("body %s, want %s", rec.Body, tc.wantBody)
			}
			if tc.wantError != "" {
				var e errorBody
				if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || !strings.Contains(e.Error, tc.wantError) {
					t.Errorf("body %s, want a JSON error containing %q", rec.Body, tc.wantError)
				}
			}
		})
	}

	// Every accepted update waits in the outbox, in order, for the broker.
	out, err := svc.Outbox(10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range out {
		if e.Sent {
			t.Errorf("outbox row %d marked sent without a broker", e.Seq)
		}
		got = append(got, e.FullName)
	}
	if want := "usama,Ada Lovelace,Grace"; strings.Join(got, ",") != want {
		t.Errorf("outbox %q, want %q", strings.Join(got, ","), want)
	}
}

func TestProfileServiceHTTP(t *testing.T) {
	svc, err := NewProfileService("amqp://guest:guest@127.0.0.1:1/", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	if _, _, err := svc.store.apply(context.Background(), "m1", true, UpdateEvent{ID: 1, FullName: "usama"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path       string
		wantStatus int
		want       string
	}{
		{"/profiles/1", 200, `"full_name":"usama"`},
		{"/profiles/2", 404, "no profile 2"},
		{"/profiles/abc", 404, "positive integer"},
		{"/profiles", 200, `"id":1`},
	}
	for _, tc := range tests {
		rec := httptest.NewRecorder()
		svc.Handler().ServeHTTP(rec, httptest.NewRequest("GET", tc.path, nil))
		if rec.Code != tc.wantStatus || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("GET %s: %d %s, want %d with %s", tc.path, rec.Code, rec.Body, tc.wantStatus, tc.want)
		}
	}
}

// The server stops accepting and returns when its ctx ends.
func TestServeShutsDownGracefully(t *testing.T) {
	svc, err := NewUserService("amqp://guest:guest@127.0.0.1:1/", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	ctx, cancel := context.WithCancel(context.Background())
	ln := listen(t)
	done := make(chan error, 1)
	go func() { done <- svc.Serve(ctx, ln) }()
	client := &http.Client{Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	resp, err := client.PostForm("http://"+ln.Addr().String()+"/users/5", map[string][]string{"full_name": {"usama"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("status %d, want 201", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("Serve did not return after its ctx ended")
	}
	if _, err := client.Get("http://" + ln.Addr().String() + "/users/5"); err == nil {
		t.Fatal("the server still answers after shutdown")
	}
}

// A file store keeps the outbox across a restart: what was accepted while
// the broker was down is still there to publish.
func TestFileStoreKeepsTheOutbox(t *testing.T) {
	path := t.TempDir() + "/users.db"
	svc, err := NewUserService("amqp://guest:guest@127.0.0.1:1/", path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Update(context.Background(), 1, "usama"); err != nil {
		t.Fatal(err)
	}
	svc.Close()
	svc, err = NewUserService("amqp://guest:guest@127.0.0.1:1/", path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	if n, err := svc.Pending(); err != nil || n != 1 {
		t.Fatalf("pending after restart: %d, %v; want 1", n, err)
	}
	if u, ok, _ := svc.User(context.Background(), 1); !ok || u.FullName != "usama" {
		t.Fatalf("user after restart: %+v %v", u, ok)
	}
}
