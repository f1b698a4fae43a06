package cli

import (
	"context"
	"errors"
	"net/http"

	"github.com/warrenmq/warren/classroom"
	"github.com/warrenmq/warren/sandbox/broker"
	"github.com/warrenmq/warren/sandbox/broker/management"
	"github.com/warrenmq/warren/sandbox/definitions"
	"github.com/warrenmq/warren/sandbox/routing"
)

// The two administrations a class is provisioned through: the embedded
// broker's own API, and a live RabbitMQ's management API. Both read the
// topology a traced message is explained over from the same view (every
// exchange, queue and binding of the vhost, exclusive queues included,
// which a definitions export leaves out).

// embeddedAdmin is the embedded broker, administered in-process.
type embeddedAdmin struct{ s *broker.Server }

var _ classroom.Admin = embeddedAdmin{}

func (a embeddedAdmin) PutVHost(_ context.Context, v string) error { return a.s.PutVHost(v) }

func (a embeddedAdmin) DeleteVHost(_ context.Context, v string) error {
	return ignoreNotFound(a.s.DeleteVHost(v))
}

func (a embeddedAdmin) PutUser(_ context.Context, u, pw string) error {
	return a.s.PutUser(definitions.User{Name: u, Password: pw})
}

func (a embeddedAdmin) DeleteUser(_ context.Context, u string) error {
	return ignoreNotFound(a.s.DeleteUser(u))
}

func (a embeddedAdmin) SetPermissions(_ context.Context, u, v, c, w, r string) error {
	return a.s.SetPermission(definitions.Permission{User: u, VHost: v, Configure: c, Write: w, Read: r})
}

func (a embeddedAdmin) SetTracing(_ context.Context, v string, on bool) error {
	return a.s.SetTracing(v, on)
}

func (a embeddedAdmin) Topology(_ context.Context, v string) (routing.Topology, error) {
	var t routing.Topology
	xs, err := a.s.Exchanges(v)
	if err != nil {
		return t, err
	}
	for _, x := range xs {
		if x.Name != "" {
			t.Exchanges = append(t.Exchanges, routing.Exchange{Name: x.Name, Type: routing.ExchangeType(x.Type),
				Durable: x.Durable, AutoDelete: x.AutoDelete, Internal: x.Internal, Arguments: x.Arguments})
		}
	}
	qs, err := a.s.Queues(v)
	if err != nil {
		return t, err
	}
	for _, q := range qs {
		t.Queues = append(t.Queues, routing.Queue{Name: q.Name, Durable: q.Durable, AutoDelete: q.AutoDelete, Exclusive: q.Exclusive, Arguments: q.Arguments})
	}
	bs, err := a.s.Bindings(v)
	if err != nil {
		return t, err
	}
	for _, b := range bs {
		if b.Source != "" { // the default exchange's are implicit
			t.Bindings = append(t.Bindings, routing.Binding{Source: b.Source, Destination: b.Destination,
				DestinationType: routing.DestinationType(b.DestinationType), RoutingKey: b.RoutingKey, Arguments: b.Arguments})
		}
	}
	return t, nil
}

func ignoreNotFound(err error) error {
	if errors.Is(err, broker.ErrNotFound) {
		return nil
	}
	return err
}

// managementAdmin is a live RabbitMQ's management API.
type managementAdmin struct{ c *management.Client }

var _ classroom.Admin = managementAdmin{}

func (a managementAdmin) PutVHost(ctx context.Context, v string) error {
	return a.c.Do(ctx, "PUT", "/api/vhosts"+management.Path(v), map[string]any{}, nil)
}

func (a managementAdmin) DeleteVHost(ctx context.Context, v string) error {
	return ignoreStatus(a.c.Do(ctx, "DELETE", "/api/vhosts"+management.Path(v), nil, nil), http.StatusNotFound)
}

func (a managementAdmin) PutUser(ctx context.Context, u, pw string) error {
	return a.c.Do(ctx, "PUT", "/api/users"+management.Path(u), map[string]any{"password": pw, "tags": ""}, nil)
}

func (a managementAdmin) DeleteUser(ctx context.Context, u string) error {
	return ignoreStatus(a.c.Do(ctx, "DELETE", "/api/users"+management.Path(u), nil, nil), http.StatusNotFound)
}

func (a managementAdmin) SetPermissions(ctx context.Context, u, v, c, w, r string) error {
	return a.c.Do(ctx, "PUT", "/api/permissions"+management.Path(v, u), map[string]string{"configure": c, "write": w, "read": r}, nil)
}

// SetTracing is rabbitmqctl trace_on/trace_off, as the management API
// does it: the vhost's tracing field.
func (a managementAdmin) SetTracing(ctx context.Context, v string, on bool) error {
	return a.c.Do(ctx, "PUT", "/api/vhosts"+management.Path(v), map[string]any{"tracing": on}, nil)
}

func (a managementAdmin) Topology(ctx context.Context, v string) (routing.Topology, error) {
	var t routing.Topology
	var xs []struct {
		Name       string         `json:"name"`
		Type       string         `json:"type"`
		Durable    bool           `json:"durable"`
		AutoDelete bool           `json:"auto_delete"`
		Internal   bool           `json:"internal"`
		Arguments  map[string]any `json:"arguments"`
	}
	if err := a.c.Do(ctx, "GET", "/api/exchanges"+management.Path(v), nil, &xs); err != nil {
		return t, err
	}
	for _, x := range xs {
		if x.Name != "" {
			t.Exchanges = append(t.Exchanges, routing.Exchange{Name: x.Name, Type: routing.ExchangeType(x.Type),
				Durable: x.Durable, AutoDelete: x.AutoDelete, Internal: x.Internal, Arguments: table(x.Arguments)})
		}
	}
	var qs []struct {
		Name       string         `json:"name"`
		Durable    bool           `json:"durable"`
		AutoDelete bool           `json:"auto_delete"`
		Exclusive  bool           `json:"exclusive"`
		Arguments  map[string]any `json:"arguments"`
	}
	if err := a.c.Do(ctx, "GET", "/api/queues"+management.Path(v)+"?columns=name,durable,auto_delete,exclusive,arguments", nil, &qs); err != nil {
		return t, err
	}
	for _, q := range qs {
		t.Queues = append(t.Queues, routing.Queue{Name: q.Name, Durable: q.Durable, AutoDelete: q.AutoDelete, Exclusive: q.Exclusive, Arguments: table(q.Arguments)})
	}
	var bs []struct {
		Source          string         `json:"source"`
		Destination     string         `json:"destination"`
		DestinationType string         `json:"destination_type"`
		RoutingKey      string         `json:"routing_key"`
		Arguments       map[string]any `json:"arguments"`
	}
	if err := a.c.Do(ctx, "GET", "/api/bindings"+management.Path(v), nil, &bs); err != nil {
		return t, err
	}
	for _, b := range bs {
		if b.Source != "" {
			t.Bindings = append(t.Bindings, routing.Binding{Source: b.Source, Destination: b.Destination,
				DestinationType: routing.DestinationType(b.DestinationType), RoutingKey: b.RoutingKey, Arguments: table(b.Arguments)})
		}
	}
	return t, nil
}

// table is a JSON object of arguments as a field table (JSON numbers as
// integers where they are whole, as the management API means them).
func table(m map[string]any) routing.Table {
	if len(m) == 0 {
		return nil
	}
	t, _ := definitions.FromJSON(map[string]any(m)).(routing.Table)
	return t
}

func ignoreStatus(err error, status int) error {
	var se *management.StatusError
	if errors.As(err, &se) && se.Status == status {
		return nil
	}
	return err
}
