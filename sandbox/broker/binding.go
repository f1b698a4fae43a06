package broker

import (
	"errors"

	"github.com/warrenmq/warren/sandbox/broker/wire"
	"github.com/warrenmq/warren/sandbox/routing"
)

// binding is one binding of an exchange (its source) to a queue or, for an
// exchange-to-exchange binding, to another exchange.
type binding struct {
	source     string
	dest       string
	toExchange bool
	key        string
	args       routing.Table
	argsKey    string         // canonical form of args: bindings differ by their arguments too
	xmatch     routing.XMatch // headers bindings: parsed x-match
}

// bindingID identifies a binding as RabbitMQ does: source, destination,
// routing key and arguments.
type bindingID struct {
	source, dest string
	toExchange   bool
	key, args    string
}

func (b *binding) id() bindingID {
	return bindingID{b.source, b.dest, b.toExchange, b.key, b.argsKey}
}

func (v *vhost) unindexBinding(b *binding) {
	ref := destRef{b.dest, b.toExchange}
	if m := v.bindingsTo[ref]; m != nil {
		delete(m, b.id())
		if len(m) == 0 {
			delete(v.bindingsTo, ref)
		}
	}
}

// removeBindingLocked removes b from its source exchange and deletes the
// source when it is auto-delete and this was its last binding.
func (v *vhost) removeBindingLocked(b *binding) {
	src := v.exchanges[b.source]
	v.unindexBinding(b)
	if src == nil {
		return
	}
	if _, ok := src.bindings[b.id()]; !ok {
		return
	}
	delete(src.bindings, b.id())
	src.router.remove(b)
	if src.autoDelete && len(src.bindings) == 0 {
		v.deleteExchangeLocked(src)
	}
}

// bind binds source to a queue or (toExchange) an exchange. The connection
// c is asked for exclusive-queue access.
func (v *vhost) bind(c *conn, source, dest string, toExchange bool, key string, args routing.Table, unbind bool) *wire.Error {
	v.mu.Lock()
	defer v.mu.Unlock()
	defer v.persistTopologyLocked()
	if source == "" || (toExchange && dest == "") {
		return wire.Errorf(wire.AccessRefused, "operation not permitted on the default exchange")
	}
	src := v.exchanges[source]
	if !toExchange {
		q := v.queues[dest]
		if q == nil {
			if src == nil {
				return v.noExchange(source)
			}
			return v.noQueue(dest)
		}
		if err := q.checkExclusive(c); err != nil {
			return err
		}
	} else if v.exchanges[dest] == nil {
		return v.noExchange(dest)
	}
	if src == nil {
		return v.noExchange(source)
	}
	b := &binding{source: source, dest: dest, toExchange: toExchange, key: key, args: args, argsKey: tableKey(args)}
	id := b.id()
	if unbind {
		if old := src.bindings[id]; old != nil {
			v.removeBindingLocked(old)
		}
		return nil
	}
	if src.kind == "headers" {
		xm, err := routing.ParseXMatch(args)
		if err != nil {
			var re *routing.Error
			if errors.As(err, &re) {
				return &wire.Error{Code: uint16(re.Code), Text: re.Text}
			}
			return wire.Errorf(wire.PreconditionFailed, "%v", err)
		}
		b.xmatch = xm
	}
	if _, ok := src.bindings[id]; ok {
		return nil
	}
	src.bindings[id] = b
	src.router.add(b)
	ref := destRef{dest, toExchange}
	if v.bindingsTo[ref] == nil {
		v.bindingsTo[ref] = map[bindingID]*binding{}
	}
	v.bindingsTo[ref][id] = b
	return nil
}
