package classroom

import (
	"context"
	"errors"
	"fmt"

	"github.com/warrenmq/warren/sandbox/routing"
)

// Admin is what a class needs of a broker's administration: Warren's
// embedded broker directly, or a live RabbitMQ's management API. The CLI
// gives one of each kind (internal/cli); this package never reaches a
// broker's internals.
type Admin interface {
	PutVHost(ctx context.Context, vhost string) error
	// DeleteVHost and DeleteUser return nil for one that does not exist.
	DeleteVHost(ctx context.Context, vhost string) error
	// PutUser creates the user, or sets the password of an existing one;
	// no tags: a student is no administrator.
	PutUser(ctx context.Context, user, password string) error
	DeleteUser(ctx context.Context, user string) error
	SetPermissions(ctx context.Context, user, vhost, configure, write, read string) error
	// SetTracing turns the vhost's firehose on or off (rabbitmqctl
	// trace_on -p VHOST).
	SetTracing(ctx context.Context, vhost string, on bool) error
	// Topology is the vhost's exchanges, queues and bindings now.
	Topology(ctx context.Context, vhost string) (routing.Topology, error)
}

// Provision makes the class on the broker: for each student a vhost, a
// user with their password allowed everything in that vhost and nothing
// elsewhere (configure, write and read ".*" there, no permission on any
// other vhost), the teacher's user allowed everything there too, and the
// vhost's firehose on, so that the teacher sees every message published
// in it. It stops at the first failure, saying for whom.
func Provision(ctx context.Context, a Admin, teacher string, roster []Student) error {
	for _, s := range roster {
		if s.Password == "" {
			return fmt.Errorf("student %s has no password: give the roster passwords first (Complete)", s.Name)
		}
		steps := []struct {
			what string
			do   func() error
		}{
			{"create vhost " + s.VHost, func() error { return a.PutVHost(ctx, s.VHost) }},
			{"create user " + s.User, func() error { return a.PutUser(ctx, s.User, s.Password) }},
			{"allow " + s.User + " in " + s.VHost, func() error { return a.SetPermissions(ctx, s.User, s.VHost, ".*", ".*", ".*") }},
			{"allow " + teacher + " in " + s.VHost, func() error { return a.SetPermissions(ctx, teacher, s.VHost, ".*", ".*", ".*") }},
			{"turn tracing on in " + s.VHost, func() error { return a.SetTracing(ctx, s.VHost, true) }},
		}
		for _, st := range steps {
			if err := st.do(); err != nil {
				return fmt.Errorf("student %s: %s: %w", s.Name, st.what, err)
			}
		}
	}
	return nil
}

// Remove deletes what Provision made for the roster: each student's vhost
// (and everything in it) and user. It goes on past failures and reports
// them all.
func Remove(ctx context.Context, a Admin, roster []Student) error {
	var errs []error
	for _, s := range roster {
		if err := a.DeleteVHost(ctx, s.VHost); err != nil {
			errs = append(errs, fmt.Errorf("student %s: delete vhost %s: %w", s.Name, s.VHost, err))
		}
		if err := a.DeleteUser(ctx, s.User); err != nil {
			errs = append(errs, fmt.Errorf("student %s: delete user %s: %w", s.Name, s.User, err))
		}
	}
	return errors.Join(errs...)
}
