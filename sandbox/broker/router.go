package broker

import (
	"math"

	"github.com/warrenmq/warren/sandbox/broker/wire"
	"github.com/warrenmq/warren/sandbox/routing"
)

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
	case federationUpstream:
		return &federationUpstreamRouter{}
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
	if n, ok := intArg(v); ok {
		return float64(n), true
	}
	switch n := v.(type) {
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

// federationUpstream is the exchange type RabbitMQ's exchange federation
// plugin declares on the upstream broker: a fanout that forwards a message
// only while it has made fewer hops than x-max-hops and has not been to
// the downstream already (its x-received-from header says where it has
// been). RabbitMQ 4.x with the plugin enabled has it; so Warren can be a
// federation upstream.
const federationUpstream = "x-federation-upstream"

type federationUpstreamRouter struct {
	fanoutRouter
	maxHops            int64
	downstream, dVhost any // x-downstream-name and -vhost; nil when absent
}

func (r *federationUpstreamRouter) match(key string, headers routing.Table, dst []*binding) []*binding {
	if hops, ok := headers["x-received-from"].([]any); ok {
		if int64(len(hops)) >= r.maxHops {
			return dst
		}
		for _, h := range hops {
			t, _ := h.(routing.Table)
			if r.downstream != nil && r.dVhost != nil && valuesEqual(t["cluster-name"], r.downstream) && valuesEqual(t["vhost"], r.dVhost) {
				return dst
			}
		}
	}
	return r.fanoutRouter.match(key, headers, dst)
}

// federationUpstreamArgs validates an x-federation-upstream exchange's
// arguments as the plugin does: x-max-hops must be there, a long.
func federationUpstreamArgs(r *federationUpstreamRouter, args routing.Table) *wire.Error {
	v, ok := args["x-max-hops"]
	if !ok {
		return wire.Errorf(wire.PreconditionFailed, "Argument x-max-hops missing")
	}
	n, isLong := v.(int32)
	if !isLong {
		return wire.Errorf(wire.PreconditionFailed, "Argument x-max-hops must be of type long")
	}
	r.maxHops = int64(n)
	if s, ok := args["x-downstream-name"].(string); ok {
		r.downstream = s
	}
	if s, ok := args["x-downstream-vhost"].(string); ok {
		r.dVhost = s
	}
	return nil
}
