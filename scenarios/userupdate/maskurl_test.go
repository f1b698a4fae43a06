package userupdate

import (
	"context"
	"net/url"
	"strings"
	"testing"
)

// A wrong password was reported as "the broker at X is not reachable
// (Exception (403) ...)", sending the user to look for a network problem;
// the service keeps retrying (the user may be created later), but says
// that the login was refused and what to check.
func TestWrongPasswordSaysLoginRefused(t *testing.T) {
	for _, b := range brokers {
		t.Run(b.name, func(t *testing.T) {
			good := b.url(t)
			u, err := url.Parse(good)
			if err != nil {
				t.Fatal(err)
			}
			u.User = url.UserPassword(u.User.Username(), "not-the-password")
			rec := newRecorder(t)
			svc, err := NewUserService(u.String(), "", rec.add)
			if err != nil {
				t.Fatal(err)
			}
			if err := svc.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			defer svc.Close()
			refused := func(e Event) bool {
				return e.Kind == EventState && strings.Contains(e.Note, "refused the login") && strings.Contains(e.Note, "check the user and password")
			}
			rec.waitFor("a state event saying the login was refused", func() bool { return rec.has(refused) })
			if rec.has(func(e Event) bool { return strings.Contains(e.Note, "not-the-password") }) {
				t.Errorf("an event shows the password:\n%s", rec.dump())
			}
		})
	}
}
