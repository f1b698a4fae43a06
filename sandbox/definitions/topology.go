package definitions

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/warrenmq/warren/sandbox/routing"
)

// VHostNames lists the vhosts the definitions declare or put entities in,
// sorted; "" stands for the vhost of one vhost's definitions.
func (d *Definitions) VHostNames() []string {
	seen := map[string]bool{}
	for _, v := range d.VHosts {
		seen[v.Name] = true
	}
	for _, x := range d.Exchanges {
		seen[x.VHost] = true
	}
	for _, q := range d.Queues {
		seen[q.VHost] = true
	}
	for _, b := range d.Bindings {
		seen[b.VHost] = true
	}
	return sortedKeys(seen)
}

// PickVHost resolves the vhost to route in: the one asked for, else the
// only one with entities, else "/". It says which vhosts there are when
// the choice is not clear.
func (d *Definitions) PickVHost(vhost string) (string, error) {
	var withEntities []string
	for _, v := range d.VHostNames() {
		if d.hasEntities(v) {
			withEntities = append(withEntities, v)
		}
	}
	if vhost != "" {
		for _, v := range d.VHostNames() {
			if v == vhost || v == "" {
				return vhost, nil
			}
		}
		return "", fmt.Errorf("no vhost %q in these definitions; they have %s", vhost, quoteList(d.VHostNames()))
	}
	switch len(withEntities) {
	case 0:
		return "/", nil
	case 1:
		if withEntities[0] == "" {
			return "/", nil
		}
		return withEntities[0], nil
	}
	return "", fmt.Errorf("these definitions have entities in %d vhosts (%s): say which with --vhost", len(withEntities), quoteList(withEntities))
}

func (d *Definitions) hasEntities(vhost string) bool {
	for _, x := range d.Exchanges {
		if x.VHost == vhost {
			return true
		}
	}
	for _, q := range d.Queues {
		if q.VHost == vhost {
			return true
		}
	}
	return false
}

func quoteList(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// inVHost reports whether an entity's vhost field puts it in vhost: its
// own, or "" (one vhost's definitions, which belong wherever they go).
func inVHost(entity, vhost string) bool { return entity == vhost || entity == "" }

// Topology returns vhost's exchanges, queues and bindings in the routing
// model's terms. A queue's type (RabbitMQ 3.13's "type" field) becomes
// its x-queue-type argument, as in a scenario file.
func (d *Definitions) Topology(vhost string) routing.Topology {
	var t routing.Topology
	for _, x := range d.Exchanges {
		if inVHost(x.VHost, vhost) {
			t.Exchanges = append(t.Exchanges, routing.Exchange{Name: x.Name, Type: routing.ExchangeType(x.Type),
				Durable: x.Durable, AutoDelete: x.AutoDelete, Internal: x.Internal, Arguments: x.Arguments})
		}
	}
	for _, q := range d.Queues {
		if !inVHost(q.VHost, vhost) {
			continue
		}
		args := q.Arguments
		if q.Type != "" && q.Type != "classic" {
			if _, has := args["x-queue-type"]; !has {
				args = copyTable(args)
				args["x-queue-type"] = q.Type
			}
		}
		exclusive := false
		if e, ok := args[exclusiveArg].(bool); ok {
			exclusive = e
			args = copyTable(args)
			delete(args, exclusiveArg)
		}
		if len(args) == 0 {
			args = nil
		}
		t.Queues = append(t.Queues, routing.Queue{Name: q.Name, Durable: q.Durable, AutoDelete: q.AutoDelete, Exclusive: exclusive, Arguments: args})
	}
	for _, b := range d.Bindings {
		if inVHost(b.VHost, vhost) {
			t.Bindings = append(t.Bindings, routing.Binding{Source: b.Source, Destination: b.Destination,
				DestinationType: routing.DestinationType(b.DestinationType), RoutingKey: b.RoutingKey, Arguments: b.Arguments})
		}
	}
	return t
}

func copyTable(t routing.Table) routing.Table {
	out := make(routing.Table, len(t)+1)
	for k, v := range t {
		out[k] = v
	}
	return out
}

// FromTopology is the definitions of a topology declared in vhost ("" for
// one vhost's definitions, whose entities name no vhost). An exclusive
// queue, which RabbitMQ never exports, is kept under Warren's own
// "x-warren-exclusive" argument so that a scenario comes back whole.
func FromTopology(vhost string, t routing.Topology) (xs []Exchange, qs []Queue, bs []Binding) {
	for _, x := range t.Exchanges {
		xs = append(xs, Exchange{Name: x.Name, VHost: vhost, Type: string(x.Type), Durable: x.Durable,
			AutoDelete: x.AutoDelete, Internal: x.Internal, Arguments: x.Arguments})
	}
	for _, q := range t.Queues {
		args := q.Arguments
		if q.Exclusive {
			args = copyTable(args)
			args[exclusiveArg] = true
		}
		qs = append(qs, Queue{Name: q.Name, VHost: vhost, Durable: q.Durable, AutoDelete: q.AutoDelete, Arguments: args})
	}
	for _, b := range t.Bindings {
		dt := string(b.DestinationType)
		if dt == "" {
			dt = "queue"
		}
		bs = append(bs, Binding{Source: b.Source, VHost: vhost, Destination: b.Destination, DestinationType: dt,
			RoutingKey: b.RoutingKey, Arguments: b.Arguments})
	}
	return xs, qs, bs
}

// exclusiveArg marks, in Warren's own definitions, a queue a scenario
// declares exclusive. RabbitMQ ignores it on import; Topology reads it.
const exclusiveArg = "x-warren-exclusive"

// ForVHost is the definitions of one vhost, shaped as
// GET /api/definitions/{vhost} answers: entities without their vhost
// field, and that vhost's policies and parameters.
func (d *Definitions) ForVHost(vhost string) VHostDefinitions {
	out := VHostDefinitions{RabbitVersion: d.RabbitVersion, Parameters: []json.RawMessage{}, Policies: []json.RawMessage{},
		Queues: []Queue{}, Exchanges: []Exchange{}, Bindings: []Binding{}}
	for _, p := range d.Parameters {
		if rawVHost(p) == vhost {
			out.Parameters = append(out.Parameters, withoutVHost(p))
		}
	}
	for _, p := range d.Policies {
		if rawVHost(p) == vhost {
			out.Policies = append(out.Policies, withoutVHost(p))
		}
	}
	for _, x := range d.Exchanges {
		if inVHost(x.VHost, vhost) {
			x.VHost = ""
			out.Exchanges = append(out.Exchanges, x)
		}
	}
	for _, q := range d.Queues {
		if inVHost(q.VHost, vhost) {
			q.VHost = ""
			out.Queues = append(out.Queues, q)
		}
	}
	for _, b := range d.Bindings {
		if inVHost(b.VHost, vhost) {
			b.VHost = ""
			out.Bindings = append(out.Bindings, b)
		}
	}
	return out
}

func rawVHost(raw json.RawMessage) string {
	var v struct {
		VHost string `json:"vhost"`
	}
	json.Unmarshal(raw, &v)
	return v.VHost
}

func withoutVHost(raw json.RawMessage) json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return raw
	}
	delete(m, "vhost")
	out, err := json.Marshal(m)
	if err != nil {
		return raw
	}
	return out
}

// Sort puts every section in a stable order (by vhost, then name), so
// that an export reads the same each time.
func (d *Definitions) Sort() {
	sort.SliceStable(d.Users, func(i, j int) bool { return d.Users[i].Name < d.Users[j].Name })
	sort.SliceStable(d.VHosts, func(i, j int) bool { return d.VHosts[i].Name < d.VHosts[j].Name })
	sort.SliceStable(d.Permissions, func(i, j int) bool {
		a, b := d.Permissions[i], d.Permissions[j]
		return a.VHost < b.VHost || (a.VHost == b.VHost && a.User < b.User)
	})
	sort.SliceStable(d.Exchanges, func(i, j int) bool {
		a, b := d.Exchanges[i], d.Exchanges[j]
		return a.VHost < b.VHost || (a.VHost == b.VHost && a.Name < b.Name)
	})
	sort.SliceStable(d.Queues, func(i, j int) bool {
		a, b := d.Queues[i], d.Queues[j]
		return a.VHost < b.VHost || (a.VHost == b.VHost && a.Name < b.Name)
	})
	sort.SliceStable(d.Bindings, func(i, j int) bool {
		a, b := d.Bindings[i], d.Bindings[j]
		if a.VHost != b.VHost {
			return a.VHost < b.VHost
		}
		if a.Source != b.Source {
			return a.Source < b.Source
		}
		if a.Destination != b.Destination {
			return a.Destination < b.Destination
		}
		return a.RoutingKey < b.RoutingKey
	})
}

// Empty returns definitions with every section present and empty, as
// RabbitMQ writes them for a broker with nothing declared.
func Empty() Definitions {
	return Definitions{Users: []User{}, VHosts: []VHost{}, Permissions: []Permission{},
		TopicPermissions: []json.RawMessage{}, Parameters: []json.RawMessage{}, GlobalParameters: []json.RawMessage{},
		Policies: []json.RawMessage{}, Queues: []Queue{}, Exchanges: []Exchange{}, Bindings: []Binding{}}
}
