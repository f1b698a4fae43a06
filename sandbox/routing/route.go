package routing

import (
	"fmt"
	"sort"
	"strings"
)

// Refused is the Fate of a publish RabbitMQ refuses outright (no such
// exchange, an internal exchange): the channel is closed and Result.Err
// says why.
const Refused Fate = "refused"

// Route tells where RabbitMQ 4.x sends m on t, and why.
func Route(t *Topology, m Message) Result { return Model{}.Route(t, m) }

// exchangeDest is one destination an exchange's own routing produced.
type exchangeDest struct {
	name       string
	toExchange bool
	alternate  bool // the exchange's alternate exchange, not a binding
}

// Route tells where the model's RabbitMQ version sends m on t, and why.
//
// It follows rabbit_exchange:route/route1: a work list starting with the
// exchange published to; each exchange routes by its own bindings; when
// those yield no destination at all, its alternate exchange is added
// (process_alternate); destinations that are exchanges join the work list
// unless already seen, so cycles end; every queue is delivered at most once.
func (md Model) Route(t *Topology, m Message) Result {
	var res Result
	if t == nil {
		t = &Topology{}
	}
	keys, err := md.routingKeys(m)
	if err != nil {
		res.Err, res.Fate = err, Refused
		return res
	}
	queues := map[string]bool{}
	for _, q := range t.Queues {
		queues[q.Name] = true
	}
	if m.Exchange == "" {
		md.routeDefault(&res, queues, keys)
		return finish(&res, m, nil)
	}
	exchanges := map[string]*Exchange{}
	for n := range t.Exchanges {
		exchanges[t.Exchanges[n].Name] = &t.Exchanges[n]
	}
	x, ok := exchanges[m.Exchange]
	if !ok {
		res.Err, res.Fate = md.ErrNoExchange(m.Exchange), Refused
		return res
	}
	if x.Internal {
		res.Err, res.Fate = md.ErrInternalExchange(m.Exchange), Refused
		return res
	}
	bySource := map[string][]Binding{}
	for _, b := range t.Bindings {
		bySource[b.Source] = append(bySource[b.Source], b)
	}

	work := []string{x.Name}
	seen := map[string]bool{x.Name: true}
	reached := map[string]int{} // queue -> how many bindings reached it
	direct := map[string][]string{}
	for len(work) > 0 {
		name := work[0]
		work = work[1:]
		ex := exchanges[name]
		res.Exchanges = append(res.Exchanges, name)
		var dests []exchangeDest
		for _, b := range bySource[name] {
			v := md.verdict(ex, b, m, keys)
			res.Verdicts = append(res.Verdicts, v)
			if v.Matched {
				dests = append(dests, exchangeDest{name: b.Destination, toExchange: b.DestinationType == ToExchange})
				direct[name] = append(direct[name], destKey(b))
			}
		}
		var next []exchangeDest
		if ae := ex.AlternateExchange(); len(dests) == 0 && ae != "" {
			switch {
			case seen[ae]:
				res.Notes = append(res.Notes, fmt.Sprintf("exchange '%s' routed nowhere; its alternate exchange '%s' was already visited", name, ae))
			case exchanges[ae] == nil:
				res.Notes = append(res.Notes, fmt.Sprintf("exchange '%s' routed nowhere; its alternate exchange '%s' does not exist, so it is ignored", name, ae))
			default:
				res.Notes = append(res.Notes, fmt.Sprintf("exchange '%s' routed nowhere: on to its alternate exchange '%s'", name, ae))
				res.AlternateExchanges = append(res.AlternateExchanges, ae)
			}
			next = append(next, exchangeDest{name: ae, toExchange: true, alternate: true})
		}
		next = append(next, dests...)
		// RabbitMQ folds the destinations onto the front of the work list
		// (cons_if_present), so the last destination is routed first.
		for _, d := range next {
			if !d.toExchange {
				if queues[d.name] {
					reached[d.name]++
				} else {
					res.Notes = append(res.Notes, fmt.Sprintf("queue '%s' does not exist: nothing delivered there", d.name))
				}
				continue
			}
			if seen[d.name] {
				if !d.alternate { // the alternate's case has its note above
					res.Notes = append(res.Notes, fmt.Sprintf("exchange '%s' already visited: not routed through twice (cycles end here)", d.name))
				}
				continue
			}
			seen[d.name] = true
			if exchanges[d.name] != nil {
				work = append([]string{d.name}, work...)
			}
		}
	}
	for q := range reached {
		res.Queues = append(res.Queues, q)
	}
	sort.Strings(res.Queues)
	for _, q := range res.Queues {
		if n := reached[q]; n > 1 {
			res.Notes = append(res.Notes, fmt.Sprintf("queue '%s' matched %d times: it gets one copy", q, n))
		}
	}
	return finish(&res, m, reachableWithoutAlternate(x.Name, direct))
}

// destKey names a binding's destination unambiguously.
func destKey(b Binding) string {
	if b.DestinationType == ToExchange {
		return "x:" + b.Destination
	}
	return "q:" + b.Destination
}

// reachableWithoutAlternate lists the queues reached from start through
// matched bindings alone. Which exchange the work list visits first does
// not change what each exchange matches, so this is well defined.
func reachableWithoutAlternate(start string, direct map[string][]string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]bool{start: true}
	stack := []string{start}
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, d := range direct[x] {
			name := d[2:]
			if strings.HasPrefix(d, "q:") {
				out[name] = true
			} else if !seen[name] {
				seen[name] = true
				stack = append(stack, name)
			}
		}
	}
	return out
}

// finish sets the Fate. direct is nil for the default exchange.
func finish(res *Result, m Message, direct map[string]bool) Result {
	switch {
	case len(res.Queues) == 0 && m.Mandatory:
		res.Fate = Returned
		res.Notes = append(res.Notes, "unroutable and mandatory: basic.return 312 NO_ROUTE")
	case len(res.Queues) == 0:
		res.Fate = Dropped
		res.Notes = append(res.Notes, "unroutable and not mandatory: dropped silently")
	case direct != nil && len(res.AlternateExchanges) > 0 && !anyIn(res.Queues, direct):
		res.Fate = Alternate
	default:
		res.Fate = Routed
	}
	return *res
}

func anyIn(qs []string, set map[string]bool) bool {
	for _, q := range qs {
		if set[q] {
			return true
		}
	}
	return false
}

// routeDefault routes through the default exchange: every queue is bound
// to it with its own name as the binding key, implicitly.
func (md Model) routeDefault(res *Result, queues map[string]bool, keys []string) {
	res.Exchanges = []string{""}
	done := map[string]bool{}
	for _, k := range keys {
		if done[k] {
			continue
		}
		done[k] = true
		if !queues[k] {
			res.Notes = append(res.Notes, fmt.Sprintf("default exchange: no queue named '%s'", k))
			continue
		}
		res.Queues = append(res.Queues, k)
		res.Verdicts = append(res.Verdicts, Verdict{
			Binding: Binding{Source: "", Destination: k, DestinationType: ToQueue, RoutingKey: k},
			Matched: true,
			Reason:  fmt.Sprintf("default exchange: routing key '%s' names queue '%s'", k, k),
		})
	}
	sort.Strings(res.Queues)
}

// routingKeys is the message's routing key followed by the sender-selected
// ones of its CC and BCC headers (rabbit_basic:header_routes): only the
// longstr elements of an array count; any other type refuses the publish.
func (md Model) routingKeys(m Message) ([]string, error) {
	keys := []string{m.RoutingKey}
	for _, h := range []string{"CC", "BCC"} {
		v, ok := m.Headers[h]
		if !ok {
			continue
		}
		arr, ok := v.([]any)
		if !ok {
			return nil, &Error{Code: 406, Text: fmt.Sprintf(
				"PRECONDITION_FAILED - invalid message: {unacceptable_type_in_header,%q,%s}", h, TypeName(v))}
		}
		for _, e := range arr {
			if s, ok := e.(string); ok {
				keys = append(keys, s)
			}
		}
	}
	return keys, nil
}

// verdict decides one binding of exchange ex.
func (md Model) verdict(ex *Exchange, b Binding, m Message, keys []string) Verdict {
	v := Verdict{Binding: b}
	switch ex.Type {
	case Fanout:
		v.Matched, v.Reason = true, "fanout: routing key ignored"
	case Direct:
		v.Matched, v.Reason = matchEach(keys, func(k string) (bool, string) {
			if k == b.RoutingKey {
				return true, fmt.Sprintf("direct: '%s' == '%s'", b.RoutingKey, k)
			}
			return false, fmt.Sprintf("direct: '%s' != '%s'", b.RoutingKey, k)
		})
	case Topic:
		v.Matched, v.Reason = matchEach(keys, func(k string) (bool, string) {
			return MatchTopic(b.RoutingKey, k)
		})
	case Headers:
		x, err := md.ParseXMatch(b.Arguments)
		v.Matched, v.Reason = md.MatchHeaders(x, b.Arguments, m.Headers)
		if err != nil {
			// RabbitMQ refuses such a binding; one that exists anyway (from
			// before validation) is treated as all.
			v.Reason = "invalid x-match treated as all; " + v.Reason
		}
	default:
		v.Reason = fmt.Sprintf("unknown exchange type '%s': RabbitMQ would not have declared it", ex.Type)
	}
	return v
}

// matchEach tries the routing key and then any CC/BCC keys; the first
// match wins, and a miss is explained by the message's own routing key.
func matchEach(keys []string, match func(string) (bool, string)) (bool, string) {
	var first string
	for n, k := range keys {
		ok, why := match(k)
		if ok {
			if n > 0 {
				why = fmt.Sprintf("CC/BCC key '%s': %s", k, why)
			}
			return true, why
		}
		if n == 0 {
			first = why
		}
	}
	return false, first
}
