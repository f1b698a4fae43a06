package userupdate_test

import (
	"context"
	"fmt"

	"github.com/warrenmq/warren/scenarios/userupdate"
)

// Both services in-process on one broker, as the TUI runs them: the events
// feed a log, the snapshots feed the two store panes, the switches break
// things on purpose.
func Example() {
	url := "amqp://guest:guest@127.0.0.1:5672/"
	names := userupdate.UniqueNames("warren-tui") // or DefaultNames() for the article's
	onEvent := func(e userupdate.Event) {
		// Called from the services' goroutines: copy and hand over, never block.
		fmt.Println(e)
	}
	users, err := userupdate.NewUserService(url, "", onEvent, userupdate.WithNames(names))
	if err != nil {
		panic(err)
	}
	profiles, err := userupdate.NewProfileService(url, "", onEvent, userupdate.WithNames(names))
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	_ = users.Start(ctx)
	_ = profiles.Start(ctx)
	defer func() {
		users.Close()
		profiles.Close()
		_ = userupdate.DeleteTopology(url, names)
	}()

	profiles.CrashBeforeAck(1) // the next event is applied, then redelivered: applied once
	if _, err := users.Update(ctx, 1, "usama"); err != nil {
		fmt.Println(err) // an *InputError says what to fix
	}
	us, _ := users.Users()       // the user store
	ps, _ := profiles.Profiles() // the profile store (converges a moment later)
	out, _ := users.Outbox(10)   // events waiting for the broker, and those sent
	fmt.Println(len(us), len(ps), len(out))
}
