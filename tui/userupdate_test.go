package tui

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/warrenmq/warren/internal/testbrokers"
	"github.com/warrenmq/warren/sandbox"
	"github.com/warrenmq/warren/scenarios"
	"github.com/warrenmq/warren/scenarios/userupdate"
)

// openFlow starts the app on b, opens the user-update flow page with u and
// waits until the profile service consumes, with the cursor in full_name.
func openFlow(t *testing.T, b testbrokers.Broker, w, h int) *harness {
	t.Helper()
	hs := start(t, b, w, h, []scenarios.Scenario{directScenario(suffix())}, func(c *Config) { c.URL = b.URL })
	hs.waitText("Scenarios")
	hs.typeText("u")
	hs.waitFor("the profile service consuming", func(s string) bool {
		return strings.Contains(s, "profile-service ✓") && strings.Contains(s, "consumer: running")
	})
	return hs
}

// post types a full name into the form (the cursor must be in it) and POSTs.
func (h *harness) post(name string) {
	h.typeText(name)
	h.key(tcell.KeyEnter)
}

// flowNames are the page's exchange and queue names (unique per start).
func (h *harness) flowNames() userupdate.Names {
	f := h.app.flow.Load()
	if f == nil {
		h.t.Fatal("the flow page was never opened")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.st.names
}

// profileRow matches a profiles-pane row: id, full name, version.
func profileRow(id, name string, version string) *regexp.Regexp {
	return regexp.MustCompile(`(?m)^\s*` + id + `\s+` + regexp.QuoteMeta(name) + `\s+` + version + `\b`)
}

func TestFlowPostConverges(t *testing.T) {
	t.Parallel()
	for _, b := range testbrokers.Both(t) {
		t.Run(b.Name, func(t *testing.T) {
			hs := openFlow(t, b, 120, 40)
			hs.post("usama")
			s := hs.waitFor("usama in both stores, version 1", func(s string) bool {
				return strings.Contains(pane(s, "Users"), "usama") && profileRow("1", "usama", "1").MatchString(pane(s, "Profiles"))
			})
			if !strings.Contains(s, `201 {"full_name": "usama"}`) {
				t.Errorf("the form does not show the 201 answer:\n%s", s)
			}
			s = hs.waitFor("the ack on the path", func(s string) bool { return strings.Contains(pane(s, "Path"), "basic.ack delivery tag") })
			path := pane(s, "Path")
			for _, want := range []string{"POST /users/1 full_name=usama", "user_updates", "user.profile.*", "profile_service.user_updates", "applied"} {
				if !strings.Contains(path, want) {
					t.Errorf("the path lacks %q:\n%s", want, path)
				}
			}
			hs.waitFor("the outbox row sent", func(s string) bool { return strings.Contains(pane(s, "Outbox (0 pending)"), "✓ sent") })
		})
	}
}

func TestFlowBadInputStoresNothing(t *testing.T) {
	t.Parallel()
	for _, b := range testbrokers.Both(t) {
		t.Run(b.Name, func(t *testing.T) {
			hs := openFlow(t, b, 120, 40)
			hs.post("   ")
			s := hs.waitFor("the 400 in the log", func(s string) bool { return strings.Contains(pane(s, "Events"), "400 full_name is empty") })
			if !strings.Contains(pane(s, "Users"), "no users yet") {
				t.Errorf("a refused POST stored a user:\n%s", pane(s, "Users"))
			}
			hs.key(tcell.KeyUp) // to the id field
			hs.typeText("a")    // a name typed in the wrong field is refused, and says so
			s = hs.waitText("id: digits only")
			if !regexp.MustCompile(`id\s+1\s`).MatchString(pane(s, "POST")) {
				t.Errorf("a letter changed the id:\n%s", pane(s, "POST"))
			}
			for range 3 {
				hs.key(tcell.KeyBackspace2)
			}
			hs.typeText("0")
			hs.key(tcell.KeyDown)
			hs.post("usama")
			hs.waitText("404: the id must be > 0")
		})
	}
}

func TestFlowCrashBeforeAckAppliesOnce(t *testing.T) {
	t.Parallel()
	for _, b := range testbrokers.Both(t) {
		t.Run(b.Name, func(t *testing.T) {
			hs := openFlow(t, b, 120, 40)
			hs.key(tcell.KeyEscape) // leave the form: letters are switches again
			hs.typeText("c")
			hs.waitText("crash before ack: ARMED")
			hs.typeText("p")
			hs.post("usama")
			s := hs.waitFor("the redelivery acked as a duplicate", func(s string) bool {
				ev := pane(s, "Events")
				return strings.Contains(ev, "crashed") && strings.Contains(ev, "redelivered") &&
					strings.Contains(ev, "duplicate") && strings.Contains(s, "crash before ack: off")
			})
			s = hs.waitFor("the profile applied once", func(s string) bool {
				return profileRow("1", "usama", "1").MatchString(pane(s, "Profiles"))
			})
			if profileRow("1", "usama", "2").MatchString(pane(s, "Profiles")) {
				t.Errorf("the redelivered event was applied twice:\n%s", pane(s, "Profiles"))
			}
		})
	}
}

func TestFlowRefusedEventRollsBack(t *testing.T) {
	t.Parallel()
	for _, b := range testbrokers.Both(t) {
		t.Run(b.Name, func(t *testing.T) {
			hs := openFlow(t, b, 120, 40)
			hs.post("usama")
			hs.waitFor("usama applied", func(s string) bool { return profileRow("1", "usama", "1").MatchString(pane(s, "Profiles")) })

			hs.key(tcell.KeyEscape)
			hs.typeText("x")
			hs.waitText("refuse next: ARMED")
			hs.typeText("p")
			hs.post("mallory")
			s := hs.waitFor("the user service rolled back", func(s string) bool {
				return strings.Contains(pane(s, "Events"), "rolled-back") && strings.Contains(s, "refuse next: off")
			})
			s = hs.waitFor("usama back in the user store", func(s string) bool {
				return strings.Contains(pane(s, "Users"), "usama") && !strings.Contains(pane(s, "Users"), "mallory")
			})
			if p := pane(s, "Profiles"); !profileRow("1", "usama", "1").MatchString(p) || strings.Contains(p, "mallory") {
				t.Errorf("the refused event reached the profile store:\n%s", p)
			}
			s = hs.waitFor("the refused event in the dead-letter queue", func(s string) bool {
				return strings.Contains(pane(s, "Profiles"), "dead-lettered: 1")
			})
			if !strings.Contains(pane(s, "Path"), "basic.nack requeue=false") {
				t.Errorf("the path does not show the nack:\n%s", pane(s, "Path"))
			}
		})
	}
}

var readyCount = regexp.MustCompile(`ready (\d+)`)

func TestFlowStoppedConsumerLetsMessagesWait(t *testing.T) {
	t.Parallel()
	for _, b := range testbrokers.Both(t) {
		t.Run(b.Name, func(t *testing.T) {
			hs := openFlow(t, b, 120, 40)
			hs.key(tcell.KeyEscape)
			hs.typeText("z")
			hs.waitFor("the consumer stopped", func(s string) bool {
				return strings.Contains(s, "consumer: STOPPED") && strings.Contains(pane(s, "Path"), "consumers 0")
			})
			hs.typeText("p")
			hs.post("one")
			hs.post("two")
			s := hs.waitFor("two messages ready in the queue", func(s string) bool {
				m := readyCount.FindStringSubmatch(pane(s, "Path"))
				return m != nil && m[1] == "2"
			})
			if strings.Contains(pane(s, "Profiles"), "one") || strings.Contains(pane(s, "Profiles"), "two") {
				t.Errorf("a stopped consumer applied an event:\n%s", pane(s, "Profiles"))
			}
			hs.key(tcell.KeyEscape)
			hs.typeText("z")
			hs.waitFor("both events applied in order and the queue empty", func(s string) bool {
				m := readyCount.FindStringSubmatch(pane(s, "Path"))
				return profileRow("1", "two", "2").MatchString(pane(s, "Profiles")) && m != nil && m[1] == "0"
			})
		})
	}
}

// Leaving the page, or quitting on it, stops the services and deletes
// the exchanges and queues they declared.
func TestFlowCleansUp(t *testing.T) {
	t.Parallel()
	for _, b := range testbrokers.Both(t) {
		for _, how := range []string{"leave", "quit"} {
			t.Run(b.Name+"/"+how, func(t *testing.T) {
				hs := openFlow(t, b, 100, 30)
				hs.post("usama")
				hs.waitFor("usama applied", func(s string) bool { return profileRow("1", "usama", "1").MatchString(pane(s, "Profiles")) })
				names := hs.flowNames()
				if how == "leave" {
					hs.key(tcell.KeyEscape) // the form
					hs.key(tcell.KeyEscape) // the page
					hs.waitText("user-update services stopped")
				} else {
					hs.stop()
				}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				check, err := sandbox.Dial(ctx, b.URL, sandbox.Options{Label: b.Label})
				if err != nil {
					t.Fatal(err)
				}
				defer check.Close()
				for _, q := range []string{names.ProfileQueue, names.FailedQueue, names.DeadLetterQueue} {
					if _, err := check.QueueStats(ctx, q); err == nil || !strings.Contains(err.Error(), "404") {
						t.Errorf("queue %s after %s: err = %v, want 404 NOT_FOUND", q, how, err)
					}
				}
			})
		}
	}
}

// At 80x24 the page shows the form, the stores, the path and the switches.
func TestFlowFits80x24(t *testing.T) {
	t.Parallel()
	b := testbrokers.Embedded(t)
	hs := openFlow(t, b, 80, 24)
	hs.post("usama")
	s := hs.waitFor("usama in both stores", func(s string) bool {
		return strings.Contains(pane(s, "Users"), "usama") && profileRow("1", "usama", "1").MatchString(pane(s, "Profiles"))
	})
	hs.key(tcell.KeyEscape) // leave the form: the bar shows the page's keys
	s = hs.waitText("Esc back")
	for _, want := range []string{"POST /users/{id}", "full_name", "crash before ack: off", "refuse next: off", "consumer: running", "profile-service ✓", "user_updates", "user.profile.*"} {
		if !strings.Contains(s, want) {
			t.Errorf("80x24 lacks %q:\n%s", want, s)
		}
	}
}

// Choosing the user-update scenario (here at start, as --scenario does)
// opens the flow page with both services running.
func TestFlowOpensWithTheScenario(t *testing.T) {
	t.Parallel()
	for _, b := range testbrokers.Both(t) {
		t.Run(b.Name, func(t *testing.T) {
			sc := directScenario(suffix())
			sc.Name = flowScenario // only the name matters; the topology stays unique to the test
			hs := start(t, b, 120, 40, []scenarios.Scenario{sc}, func(c *Config) { c.URL = b.URL; c.Initial = flowScenario })
			hs.waitFor("the flow page with the profile service consuming", func(s string) bool {
				return strings.Contains(s, "POST /users/{id}") && strings.Contains(s, "profile-service ✓") && strings.Contains(s, "consumer: running")
			})
			hs.post("usama")
			hs.waitFor("usama applied", func(s string) bool { return profileRow("1", "usama", "1").MatchString(pane(s, "Profiles")) })
			hs.key(tcell.KeyEscape)
			hs.key(tcell.KeyEscape)
			hs.waitText("user-update services stopped")
		})
	}
}

// A broker that goes away while the page is open: the services say so,
// and quitting still stops them (goleak checks that nothing is left).
func TestFlowBrokerGoneStillQuits(t *testing.T) {
	t.Parallel()
	b := testbrokers.Embedded(t)
	hs := openFlow(t, b, 120, 40)
	b.Server.Shutdown()
	hs.waitFor("both services not connected", func(s string) bool {
		return strings.Contains(s, "user-service ✗") && strings.Contains(s, "profile-service ✗")
	})
	// The update is accepted (the outbox keeps its event for later).
	hs.post("usama")
	hs.waitFor("usama stored, its event pending", func(s string) bool {
		return strings.Contains(pane(s, "Users"), "usama") && strings.Contains(s, "Outbox (1 pending)")
	})
	hs.stop()
}

// Leaving the page and coming straight back starts the services afresh,
// with new names and empty stores.
func TestFlowReopenStartsAfresh(t *testing.T) {
	t.Parallel()
	b := testbrokers.Embedded(t)
	hs := openFlow(t, b, 120, 40)
	hs.post("usama")
	hs.waitFor("usama applied", func(s string) bool { return profileRow("1", "usama", "1").MatchString(pane(s, "Profiles")) })
	first := hs.flowNames()
	hs.key(tcell.KeyEscape)
	hs.key(tcell.KeyEscape)
	hs.typeText("u") // before the stop has necessarily run
	hs.waitFor("a fresh start", func(s string) bool {
		return strings.Contains(pane(s, "Users"), "no users yet") && strings.Contains(s, "profile-service ✓") &&
			strings.Contains(s, "consumer: running") && hs.flowNames().Exchange != first.Exchange
	})
}

// Names show as typed (tview's color tags are text here), and a name the
// profile service must refuse (over 100 characters) is rolled back.
func TestFlowNamesAsTyped(t *testing.T) {
	t.Parallel()
	b := testbrokers.Embedded(t)
	hs := openFlow(t, b, 140, 40)
	tests := []struct {
		id, name string
		applied  bool
	}{
		{"2", "[red]mallory[-]", true},
		{"3", "Zoë 李", true},
		{"4", strings.Repeat("n", 101), false},
	}
	for _, tc := range tests {
		hs.key(tcell.KeyUp)
		for range 3 {
			hs.key(tcell.KeyBackspace2)
		}
		hs.typeText(tc.id)
		hs.key(tcell.KeyDown)
		hs.post(tc.name)
		if tc.applied {
			hs.waitFor(tc.name+" in both stores", func(s string) bool {
				return strings.Contains(pane(s, "Users"), tc.name) && profileRow(tc.id, tc.name, "1").MatchString(pane(s, "Profiles"))
			})
			continue
		}
		s := hs.waitFor("the long name refused and user "+tc.id+" removed again", func(s string) bool {
			return strings.Contains(pane(s, "Events"), "rolled-back user="+tc.id) && !strings.Contains(pane(s, "Users"), "nnnnnnnn")
		})
		if strings.Contains(pane(s, "Profiles"), "nnnnnnnn") {
			t.Errorf("a 101-character name reached the profile store:\n%s", pane(s, "Profiles"))
		}
	}
}
