package broker

import (
	"math"

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

// router is an exchange type's matching: which of its bindings a message
// with this routing key and these headers matches. Kept behind an interface
// so that the matchers of the routing model (sandbox/routing) can be swapped
// in without touching the rest of the broker.
type router interface {
	add(b *binding)
	remove(b *binding)
	// match appends the bindings matching to dst (no closure: publishing
	// allocates nothing here).
	match(key string, headers routing.Table, dst []*binding) []*binding
}

func newRouter(kind string) router {
	switch kind {
	case "direct":
		return &directRouter{byKey: map[string][]*binding{}}
	case "fanout":
		return &fanoutRouter{}
	case "topic":
		return newTopicRouter()
	case "headers":
		return &headersRouter{}
	}
	return nil
}

func removeBinding(list []*binding, b *binding) []*binding {
	for i, x := range list {
		if x == b {
			return append(list[:i:i], list[i+1:]...)
		}
	}
	return list
}

type directRouter struct{ byKey map[string][]*binding }

func (r *directRouter) add(b *binding) { r.byKey[b.key] = append(r.byKey[b.key], b) }
func (r *directRouter) remove(b *binding) {
	l := removeBinding(r.byKey[b.key], b)
	if len(l) == 0 {
		delete(r.byKey, b.key)
		return
	}
	r.byKey[b.key] = l
}
func (r *directRouter) match(key string, _ routing.Table, dst []*binding) []*binding {
	return append(dst, r.byKey[key]...)
}

type fanoutRouter struct{ all []*binding }

func (r *fanoutRouter) add(b *binding)    { r.all = append(r.all, b) }
func (r *fanoutRouter) remove(b *binding) { r.all = removeBinding(r.all, b) }
func (r *fanoutRouter) match(_ string, _ routing.Table, dst []*binding) []*binding {
	return append(dst, r.all...)
}

type headersRouter struct{ all []*binding }

func (r *headersRouter) add(b *binding)    { r.all = append(r.all, b) }
func (r *headersRouter) remove(b *binding) { r.all = removeBinding(r.all, b) }
func (r *headersRouter) match(_ string, headers routing.Table, dst []*binding) []*binding {
	for _, b := range r.all {
		// the routing model's matcher: the broker cannot drift from it
		if ok, _ := routing.MatchHeaders(b.xmatch, b.args, headers); ok {
			dst = append(dst, b)
		}
	}
	return dst
}

// valuesEqual compares field values as Erlang's == does: numbers by value
// across integer and float types, strings and byte arrays by content.
func valuesEqual(a, b any) bool {
	if fa, ok := number(a); ok {
		fb, ok := number(b)
		return ok && fa == fb
	}
	if sa, ok := text(a); ok {
		sb, ok := text(b)
		return ok && sa == sb
	}
	return tableKey(routing.Table{"": a}) == tableKey(routing.Table{"": b})
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int8:
		return float64(n), true
	case int16:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	case int:
		return float64(n), true
	case uint8:
		return float64(n), true
	case uint16:
		return float64(n), true
	case uint32:
		return float64(n), true
	case uint64:
		return float64(n), true
	case float32:
		return float64(n), true
	case float64:
		if math.IsNaN(n) {
			return 0, false
		}
		return n, true
	}
	return 0, false
}

func text(v any) (string, bool) {
	switch s := v.(type) {
	case string:
		return s, true
	case []byte:
		return string(s), true
	}
	return "", false
}
