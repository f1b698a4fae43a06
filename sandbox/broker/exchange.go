package broker

import (
	"strings"

	"github.com/warrenmq/warren/sandbox/broker/wire"
	"github.com/warrenmq/warren/sandbox/routing"
)

// exchange is a declared exchange: its type's router and the bindings
// whose source it is. vhost.mu guards it.
type exchange struct {
	name       string
	kind       string
	durable    bool
	autoDelete bool
	internal   bool
	args       routing.Table
	alternate  *string
	router     router
	bindings   map[bindingID]*binding // bindings whose source this is
	system     bool                   // amq.* and the default exchange: cannot be deleted
}

// exchangeDeclare declares (or, passive, checks) an exchange.
func (v *vhost) exchangeDeclare(m *wire.ExchangeDeclare) *wire.Error {
	v.mu.Lock()
	defer v.mu.Unlock()
	defer v.persistTopologyLocked()
	x := v.exchanges[m.Exchange]
	if m.Passive {
		if x == nil {
			return v.noExchange(m.Exchange)
		}
		return nil
	}
	if m.Exchange == "" {
		return wire.Errorf(wire.AccessRefused, "operation not permitted on the default exchange")
	}
	if newRouter(m.Type) == nil {
		// RabbitMQ 4.x answers 406 (3.x answered 503 COMMAND_INVALID). It
		// says "invalid exchange type" only when the name happens to be an
		// existing Erlang atom ('foo' is); for any other name, which is what
		// a learner's typo almost always is, it says "unknown".
		return wire.Errorf(wire.PreconditionFailed, "unknown exchange type '%s'", m.Type)
	}
	if ae, ok := m.Arguments["alternate-exchange"]; ok {
		if _, isText := text(ae); !isText {
			return wire.Errorf(wire.PreconditionFailed, "invalid type '%s' for arg 'alternate-exchange' in %s", routing.TypeName(ae), v.exchangeRes(m.Exchange))
		}
	}
	if x != nil {
		what := v.exchangeRes(x.name)
		switch {
		case x.kind != m.Type:
			return inequivalent("type", what, m.Type, x.kind)
		case x.durable != m.Durable:
			return inequivalent("durable", what, m.Durable, x.durable)
		case x.autoDelete != m.AutoDelete:
			return inequivalent("auto_delete", what, m.AutoDelete, x.autoDelete)
		case x.internal != m.Internal:
			return inequivalent("internal", what, m.Internal, x.internal)
		}
		keys := []string{"alternate-exchange"}
		if x.kind == federationUpstream {
			keys = append(keys, "x-max-hops")
		}
		return checkArgEquivalence(keys, x.args, m.Arguments, what)
	}
	if strings.HasPrefix(m.Exchange, "amq.") {
		return wire.Errorf(wire.AccessRefused, "exchange name '%s' contains reserved prefix 'amq.*'", m.Exchange)
	}
	x = &exchange{name: m.Exchange, kind: m.Type, durable: m.Durable, autoDelete: m.AutoDelete, internal: m.Internal,
		args: m.Arguments, router: newRouter(m.Type), bindings: map[bindingID]*binding{}}
	if r, ok := x.router.(*federationUpstreamRouter); ok {
		if err := federationUpstreamArgs(r, m.Arguments); err != nil {
			return err
		}
	}
	if ae, ok := m.Arguments["alternate-exchange"]; ok {
		s, _ := text(ae)
		x.alternate = &s
	}
	v.exchanges[x.name] = x
	return nil
}

func (v *vhost) exchangeDelete(name string, ifUnused bool) *wire.Error {
	v.mu.Lock()
	defer v.mu.Unlock()
	defer v.persistTopologyLocked()
	if name == "" {
		return wire.Errorf(wire.AccessRefused, "operation not permitted on the default exchange")
	}
	x := v.exchanges[name]
	if x == nil {
		return nil // RabbitMQ: deleting what does not exist succeeds
	}
	if x.system {
		return wire.Errorf(wire.AccessRefused, "deletion of system %s not allowed", v.exchangeRes(name))
	}
	if ifUnused && len(x.bindings) > 0 {
		return wire.Errorf(wire.PreconditionFailed, "%s in use", v.exchangeRes(name))
	}
	v.deleteExchangeLocked(x)
	return nil
}

func (v *vhost) deleteExchangeLocked(x *exchange) {
	delete(v.exchanges, x.name)
	for _, b := range x.bindings {
		v.unindexBinding(b)
	}
	x.bindings = nil
	for _, b := range v.bindingsTo[destRef{x.name, true}] {
		v.removeBindingLocked(b)
	}
	delete(v.bindingsTo, destRef{x.name, true})
}
