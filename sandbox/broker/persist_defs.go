package broker

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/warrenmq/warren/sandbox/broker/wire"
	"github.com/warrenmq/warren/sandbox/definitions"
	"github.com/warrenmq/warren/sandbox/routing"
)

// diskDefinitions is what the data directory's definitions.json holds: the
// durable topology, in the spirit of RabbitMQ's definitions export (the
// same field names), plus the id each durable queue's messages are
// stored under. Arguments are AMQP field tables (base64 of their wire
// form), so that every type (a long, a decimal, a byte array) comes back
// as it was declared.
type diskDefinitions struct {
	Format      int        `json:"warren_definitions"`
	NextQueueID uint64     `json:"next_queue_id"`
	VHosts      []vhostDef `json:"vhosts"`
	// Users (with their password hashes, never a password) and
	// permissions, in RabbitMQ's definitions format.
	Users       []definitions.User       `json:"users"`
	Permissions []definitions.Permission `json:"permissions"`
	Exchanges   []exchangeDef            `json:"exchanges"`
	Queues      []queueDef               `json:"queues"`
	Bindings    []bindingDef             `json:"bindings"`
}

type vhostDef struct {
	Name string `json:"name"`
}

type exchangeDef struct {
	VHost      string `json:"vhost"`
	Name       string `json:"name"`
	Type       string `json:"type"`
	AutoDelete bool   `json:"auto_delete"`
	Internal   bool   `json:"internal"`
	Arguments  []byte `json:"arguments_table,omitempty"`
}

type queueDef struct {
	VHost      string `json:"vhost"`
	Name       string `json:"name"`
	ID         uint64 `json:"id"`
	AutoDelete bool   `json:"auto_delete"`
	Arguments  []byte `json:"arguments_table,omitempty"`
}

type bindingDef struct {
	VHost           string `json:"vhost"`
	Source          string `json:"source"`
	Destination     string `json:"destination"`
	DestinationType string `json:"destination_type"`
	RoutingKey      string `json:"routing_key"`
	Arguments       []byte `json:"arguments_table,omitempty"`
}

// vhostDefs is one vhost's durable part.
type vhostDefs struct {
	exchanges []exchangeDef
	queues    []queueDef
	bindings  []bindingDef
	encoded   []byte // to tell whether anything changed
}

func encodeArgs(t routing.Table) []byte {
	if len(t) == 0 {
		return nil
	}
	b, err := wire.AppendTable(nil, t)
	if err != nil {
		return nil // it was decoded from the wire: it encodes
	}
	return b
}

func decodeArgs(b []byte) (routing.Table, error) {
	if len(b) == 0 {
		return nil, nil
	}
	t, _, err := wire.ReadTable(b)
	return t, err
}

// persistedQueue reports whether q's definition is saved: durable, not
// exclusive (its owner does not survive a restart).
func persistedQueue(q *queue) bool { return q.durable && !q.exclusive }

// snapshotLocked takes the vhost's durable topology. v.mu must be held.
func (v *vhost) snapshotLocked() vhostDefs {
	var d vhostDefs
	for _, x := range v.exchanges {
		if x.system || !x.durable {
			continue
		}
		d.exchanges = append(d.exchanges, exchangeDef{VHost: v.name, Name: x.name, Type: x.kind,
			AutoDelete: x.autoDelete, Internal: x.internal, Arguments: encodeArgs(x.args)})
	}
	for _, q := range v.queues {
		if !persistedQueue(q) {
			continue
		}
		d.queues = append(d.queues, queueDef{VHost: v.name, Name: q.name, ID: q.storeID,
			AutoDelete: q.autoDelete, Arguments: encodeArgs(q.args)})
	}
	for _, x := range v.exchanges {
		if !x.durable {
			continue
		}
		for _, b := range x.bindings {
			kind := "queue"
			if b.toExchange {
				kind = "exchange"
				if dx := v.exchanges[b.dest]; dx == nil || !dx.durable {
					continue
				}
			} else if q := v.queues[b.dest]; q == nil || !persistedQueue(q) {
				continue
			}
			d.bindings = append(d.bindings, bindingDef{VHost: v.name, Source: b.source, Destination: b.dest,
				DestinationType: kind, RoutingKey: b.key, Arguments: encodeArgs(b.args)})
		}
	}
	sort.Slice(d.exchanges, func(i, j int) bool { return d.exchanges[i].Name < d.exchanges[j].Name })
	sort.Slice(d.queues, func(i, j int) bool { return d.queues[i].Name < d.queues[j].Name })
	sort.Slice(d.bindings, func(i, j int) bool {
		a, b := d.bindings[i], d.bindings[j]
		return strings.Join([]string{a.Source, a.DestinationType, a.Destination, a.RoutingKey, string(a.Arguments)}, "\x00") <
			strings.Join([]string{b.Source, b.DestinationType, b.Destination, b.RoutingKey, string(b.Arguments)}, "\x00")
	})
	d.encoded, _ = json.Marshal([]any{d.exchanges, d.queues, d.bindings})
	return d
}

// persistTopologyLocked saves the definitions when the vhost's durable
// part changed, and drops the messages of durable queues that are gone.
// It runs (deferred) before v.mu is released by every method that changes
// the topology, so a declare-ok or delete-ok goes out only once the
// change is on disk, as in RabbitMQ.
func (v *vhost) persistTopologyLocked() {
	d := v.s.disk
	if d == nil || d.recovering {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, q := range v.queues {
		if persistedQueue(q) && q.storeID == 0 {
			d.nextQueueID++
			q.storeID = d.nextQueueID
		}
	}
	snap := v.snapshotLocked()
	old := d.defs[v.name]
	if bytes.Equal(old.encoded, snap.encoded) {
		return
	}
	d.defs[v.name] = snap
	if err := d.saveLocked(v.s); err != nil {
		v.s.log.Error("the definitions could not be saved: durable exchanges, queues and bindings changed since will not survive a restart", "err", err)
		return
	}
	for _, q := range old.queues {
		if !slices.ContainsFunc(snap.queues, func(n queueDef) bool { return n.ID == q.ID }) {
			d.st.Forget(q.ID)
		}
	}
}

// saveLocked writes every vhost's definitions. d.mu must be held.
func (d *diskState) saveLocked(s *Server) error {
	all := diskDefinitions{Format: 1, NextQueueID: d.nextQueueID, Users: s.Users(), Permissions: s.Permissions()}
	for _, name := range s.VHostNames() {
		all.VHosts = append(all.VHosts, vhostDef{Name: name})
		vd := d.defs[name]
		all.Exchanges = append(all.Exchanges, vd.exchanges...)
		all.Queues = append(all.Queues, vd.queues...)
		all.Bindings = append(all.Bindings, vd.bindings...)
	}
	b, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return err
	}
	return d.st.SaveDefinitions(append(b, '\n'))
}

func parseDefinitions(b []byte) (*diskDefinitions, error) {
	var d diskDefinitions
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("definitions.json: %w", err)
	}
	if d.Format != 1 {
		return nil, fmt.Errorf("definitions.json: format %d is not one this broker reads (1)", d.Format)
	}
	return &d, nil
}

// persistAccess saves the definitions after a change of users, vhosts or
// permissions (Server.change, under accessMu).
func (s *Server) persistAccess() {
	d := s.disk
	if d == nil || d.recovering {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.saveLocked(s); err != nil {
		s.log.Error("the definitions could not be saved: users, vhosts and permissions changed since will not survive a restart", "err", err)
	}
}
