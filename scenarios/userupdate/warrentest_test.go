package userupdate_test

import (
	"context"
	"testing"
	"time"

	"github.com/warrenmq/warren/scenarios/userupdate"
	"github.com/warrenmq/warren/warrentest"
)

// The user-update services tested on warrentest instead of a RabbitMQ:
// the crash before the ack comes back as a redelivery that is applied
// once, and a refused event ends in the dead-letter queue, which the
// broker's own record of the message shows.
func TestServicesOnWarrentest(t *testing.T) {
	s := warrentest.RunT(t)
	names := userupdate.DefaultNames()
	events := make(chan userupdate.Event, 256)
	onEvent := func(e userupdate.Event) {
		select {
		case events <- e:
		default:
		}
	}
	users, err := userupdate.NewUserService(s.URL(), "", onEvent)
	if err != nil {
		t.Fatal(err)
	}
	profiles, err := userupdate.NewProfileService(s.URL(), "", onEvent)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := users.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := profiles.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { users.Close(); profiles.Close() })
	waitFor := func(kind userupdate.EventKind, what string) userupdate.Event {
		t.Helper()
		timeout := time.After(10 * time.Second)
		for {
			select {
			case e := <-events:
				if e.Kind == kind && e.Service == "profile-service" {
					return e
				}
			case <-timeout:
				t.Fatalf("no %s within 10s: %s", kind, what)
			}
		}
	}
	waitFor(userupdate.EventConsumer, "the profile service's consumer")

	profiles.CrashBeforeAck(1)
	if _, err := users.Update(ctx, 1, "usama"); err != nil {
		t.Fatal(err)
	}
	waitFor(userupdate.EventAcked, "the redelivered update acked")
	s.CheckQueueLen(t, names.ProfileQueue, 0)
	rs := s.HistoryOf(func(r warrentest.Record) bool { return r.RoutingKey == names.UpdateKey })
	if len(rs) != 1 || !rs[0].Has("requeued", names.ProfileQueue) || !rs[0].Has("acked", names.ProfileQueue) {
		t.Fatalf("the update's history: %v", rs)
	}

	profiles.RefuseNext(1)
	if _, err := users.Update(ctx, 2, "refused"); err != nil {
		t.Fatal(err)
	}
	waitFor(userupdate.EventRefused, "the refusal")
	s.CheckDeadLettered(t, names.ProfileQueue, names.DeadLetterQueue)
	s.CheckQueueLen(t, names.DeadLetterQueue, 1)
}
