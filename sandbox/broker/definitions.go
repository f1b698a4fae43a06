package broker

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"sort"
	"strings"

	"github.com/warrenmq/warren/sandbox/broker/wire"
	"github.com/warrenmq/warren/sandbox/definitions"
	"github.com/warrenmq/warren/sandbox/routing"
)

// The broker's state as RabbitMQ's definitions: what GET /api/definitions
// exports and POST imports, what `warren definitions` reads and writes,
// and the snapshot a persistence layer can store and load back
// (Definitions, then ImportDefinitions on a fresh Server).

// exportable are the definitions the broker keeps without acting on
// them (policies, parameters, topic permissions from an import), so
// that an export gives back what was imported.
type exportable struct {
	topicPermissions, parameters, globalParameters, policies []json.RawMessage
}

// loadInitial installs Options.Definitions, Users and VHosts at New.
func (s *Server) loadInitial() error {
	if d := s.opts.Definitions; d != nil {
		if err := s.ImportDefinitions(d, ""); err != nil {
			return err
		}
	}
	for _, name := range s.opts.VHosts {
		if err := s.PutVHost(name); err != nil {
			return err
		}
	}
	names := make([]string, 0, len(s.opts.Users))
	for n := range s.opts.Users {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := s.PutUser(definitions.User{Name: name, Password: s.opts.Users[name], Tags: definitions.Tags{TagAdministrator}}); err != nil {
			return err
		}
		for _, vh := range s.opts.VHosts {
			if err := s.SetPermission(definitions.Permission{User: name, VHost: vh, Configure: ".*", Write: ".*", Read: ".*"}); err != nil {
				return err
			}
		}
	}
	return nil
}

// firstVHost is the vhost URL names: "/" when there is one, else the
// first of Options.VHosts, else the first by name.
func (s *Server) firstVHost() string {
	st := s.access.Load()
	if st.vhosts["/"] != nil {
		return "/"
	}
	for _, n := range s.opts.VHosts {
		if st.vhosts[n] != nil {
			return n
		}
	}
	if names := s.VHostNames(); len(names) > 0 {
		return names[0]
	}
	return "/"
}

// urlUser is the user URL names: guest when Options.Users has it, else
// the first of Options.Users by name, with its password; else the first
// user, whose password the broker does not know (definitions hold a hash).
func (s *Server) urlUser() *url.Userinfo {
	if p, ok := s.opts.Users["guest"]; ok {
		return url.UserPassword("guest", p)
	}
	names := make([]string, 0, len(s.opts.Users))
	for n := range s.opts.Users {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) > 0 {
		return url.UserPassword(names[0], s.opts.Users[names[0]])
	}
	if us := s.Users(); len(us) > 0 {
		return url.User(us[0].Name)
	}
	return nil
}

// Definitions is the whole broker as RabbitMQ exports it: users with
// their password hashes, vhosts, permissions, and every vhost's
// exchanges (not the amq.* ones every vhost has), queues (not exclusive
// ones, which RabbitMQ never exports) and bindings, in a stable order.
func (s *Server) Definitions() definitions.Definitions {
	d := definitions.Empty()
	d.RabbitVersion, d.RabbitMQVersion, d.ProductName, d.ProductVersion = Version, Version, Product, Version
	for _, u := range s.Users() {
		if u.Limits == nil {
			u.Limits = json.RawMessage("{}")
		}
		d.Users = append(d.Users, u)
	}
	for _, n := range s.VHostNames() {
		d.VHosts = append(d.VHosts, definitions.VHost{Name: n})
	}
	d.Permissions = append(d.Permissions, s.Permissions()...)
	s.accessMu.Lock()
	ex := s.kept
	s.accessMu.Unlock()
	d.TopicPermissions = append(d.TopicPermissions, ex.topicPermissions...)
	d.Parameters = append(d.Parameters, ex.parameters...)
	d.GlobalParameters = append(d.GlobalParameters, ex.globalParameters...)
	d.Policies = append(d.Policies, ex.policies...)
	st := s.access.Load()
	for _, n := range s.VHostNames() {
		xs, qs, bs := st.vhosts[n].definitions()
		d.Exchanges = append(d.Exchanges, xs...)
		d.Queues = append(d.Queues, qs...)
		d.Bindings = append(d.Bindings, bs...)
	}
	d.Sort()
	return d
}

// definitions are a vhost's exchanges, queues and bindings.
func (v *vhost) definitions() (xs []definitions.Exchange, qs []definitions.Queue, bs []definitions.Binding) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	for _, x := range v.exchanges {
		if x.system {
			continue
		}
		xs = append(xs, definitions.Exchange{Name: x.name, VHost: v.name, Type: x.kind, Durable: x.durable,
			AutoDelete: x.autoDelete, Internal: x.internal, Arguments: x.args})
	}
	for _, q := range v.queues {
		if q.exclusive {
			continue
		}
		qs = append(qs, definitions.Queue{Name: q.name, VHost: v.name, Durable: q.durable, AutoDelete: q.autoDelete, Arguments: q.args})
	}
	for _, x := range v.exchanges {
		for _, b := range x.bindings {
			if q := v.queues[b.dest]; !b.toExchange && q != nil && q.exclusive {
				continue
			}
			dt := "queue"
			if b.toExchange {
				dt = "exchange"
			}
			bs = append(bs, definitions.Binding{Source: b.source, VHost: v.name, Destination: b.dest, DestinationType: dt,
				RoutingKey: b.key, Arguments: b.args})
		}
	}
	return xs, qs, bs
}

// ImportDefinitions adds definitions to the broker as RabbitMQ's import
// does: users (a plain password is hashed, a hash kept), vhosts,
// permissions, then exchanges, queues and bindings, each declared as a
// client would (an existing one must be equivalent). With into set,
// only the entities are imported, all into that vhost (POST
// /api/definitions/{vhost}). Policies, parameters and topic permissions
// are kept, to be exported again, but not applied: the broker has none
// of them. It stops at the first error, keeping what came before it, and
// says which entry failed.
func (s *Server) ImportDefinitions(d *definitions.Definitions, into string) error {
	if into == "" {
		for _, v := range d.VHosts {
			if err := s.PutVHost(v.Name); err != nil {
				return fmt.Errorf("vhost %q: %w", v.Name, err)
			}
		}
		for _, u := range d.Users {
			if err := s.PutUser(u); err != nil {
				return err
			}
		}
		for _, p := range d.Permissions {
			if err := s.SetPermission(p); err != nil {
				return fmt.Errorf("permission of %q on %q: %w", p.User, p.VHost, err)
			}
		}
		s.accessMu.Lock()
		s.kept.topicPermissions = append(s.kept.topicPermissions, d.TopicPermissions...)
		s.kept.globalParameters = append(s.kept.globalParameters, d.GlobalParameters...)
		s.accessMu.Unlock()
	}
	s.accessMu.Lock()
	s.kept.parameters = append(s.kept.parameters, inVHost(d.Parameters, into)...)
	s.kept.policies = append(s.kept.policies, inVHost(d.Policies, into)...)
	s.accessMu.Unlock()
	target := func(entity string) (*vhost, error) {
		name := into
		if name == "" {
			name = entity
		}
		if name == "" {
			name = "/"
		}
		v := s.lookupVHost(name)
		if v == nil {
			return nil, fmt.Errorf("%w: no vhost '%s': list it under vhosts, or create it first", ErrNotFound, name)
		}
		return v, nil
	}
	for _, x := range d.Exchanges {
		v, err := target(x.VHost)
		if err == nil {
			err = asError(v.exchangeDeclare(&wire.ExchangeDeclare{Exchange: x.Name, Type: x.Type, Durable: x.Durable,
				AutoDelete: x.AutoDelete, Internal: x.Internal, Arguments: x.Arguments}))
		}
		if err != nil {
			return fmt.Errorf("exchange %q: %w", x.Name, err)
		}
	}
	for _, q := range d.Queues {
		v, err := target(q.VHost)
		if err == nil {
			args := q.Arguments
			if q.Type != "" && q.Type != "classic" && args["x-queue-type"] == nil {
				args = maps.Clone(args)
				if args == nil {
					args = routing.Table{}
				}
				args["x-queue-type"] = q.Type
			}
			_, _, _, werr := v.queueDeclare(nil, q.Name, false, false, q.Durable, false, q.AutoDelete, args)
			err = asError(werr)
		}
		if err != nil {
			return fmt.Errorf("queue %q: %w", q.Name, err)
		}
	}
	for _, b := range d.Bindings {
		v, err := target(b.VHost)
		if err == nil {
			err = asError(v.bind(nil, b.Source, b.Destination, b.DestinationType == "exchange", b.RoutingKey, b.Arguments, false))
		}
		if err != nil {
			return fmt.Errorf("binding %s -> %s %q: %w", b.Source, b.Destination, b.RoutingKey, err)
		}
	}
	return nil
}

// inVHost picks, for a one-vhost import, the policies or parameters that
// belong there, with that vhost written in.
func inVHost(raws []json.RawMessage, vhost string) []json.RawMessage {
	var out []json.RawMessage
	for _, r := range raws {
		var m map[string]json.RawMessage
		if json.Unmarshal(r, &m) != nil {
			continue
		}
		if vhost != "" {
			m["vhost"], _ = json.Marshal(vhost)
			r, _ = json.Marshal(m)
		}
		out = append(out, r)
	}
	return out
}

// asError turns a method's *wire.Error into an error (nil for nil).
func asError(e *wire.Error) error {
	if e == nil {
		return nil
	}
	return e
}

// ReplyText is the explanation of a broker error without its code name:
// "no queue 'q' in vhost '/'" for "NOT_FOUND - no queue 'q' in vhost '/'",
// as the management API words its reasons.
func ReplyText(e *wire.Error) string {
	_, after, ok := strings.Cut(e.Text, " - ")
	if !ok {
		return e.Text
	}
	return after
}
