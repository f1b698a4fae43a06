package userupdate

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzHTTPHandlers sends whatever a client might to both services' HTTP
// handlers (no broker needed): every answer is a status a client can act
// on (never a 5xx, never a panic), and a 2xx carries JSON.
func FuzzHTTPHandlers(f *testing.F) {
	f.Add("POST", "/users/1", "application/x-www-form-urlencoded", "full_name=usama")
	f.Add("POST", "/users/2", "application/json", `{"full_name": "Ada"}`)
	f.Add("GET", "/users/1", "", "")
	f.Add("GET", "/profiles/1", "", "")
	f.Add("POST", "/users/99999999999999999999", "application/json", `{"full_name": 5}`)
	f.Add("PUT", "/users/1/../2", "text/plain", "\x00\xff")
	f.Add("GET", "/profiles/-1", "", "")
	users, err := NewUserService("amqp://guest:guest@127.0.0.1:1/", "", nil)
	if err != nil {
		f.Fatal(err)
	}
	defer users.Close()
	profiles, err := NewProfileService("amqp://guest:guest@127.0.0.1:1/", "", nil)
	if err != nil {
		f.Fatal(err)
	}
	defer profiles.Close()
	handlers := []http.Handler{users.Handler(), profiles.Handler()}
	f.Fuzz(func(t *testing.T, method, path, contentType, body string) {
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		req, err := http.NewRequest(method, "http://svc"+path, strings.NewReader(body))
		if err != nil {
			return // not a request a client could send
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		for _, h := range handlers {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("%s %q (%q, %q): %d %s", method, path, contentType, body, rec.Code, rec.Body)
			}
			if rec.Code < 300 && rec.Body.Len() > 0 && !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
				t.Fatalf("%s %q: %d with Content-Type %q", method, path, rec.Code, rec.Header().Get("Content-Type"))
			}
			req.Body = http.NoBody
		}
	})
}
