package broker

import (
	"context"
	"fmt"
	"math/rand"
	"slices"
	"sort"
	"strings"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/warrenmq/warren/sandbox/broker/wire"
	"github.com/warrenmq/warren/sandbox/routing"
)

// randomWorld is a random topology and messages to publish on it: all four
// exchange types, exchange-to-exchange bindings (cycles included),
// alternate exchanges (some naming missing exchanges), edge-case keys and
// typed headers.
type randomWorld struct {
	topo     routing.Topology
	messages []routing.Message
}

var (
	topicPatterns = []string{"#", "*", "a.*", "*.b", "a.#", "#.c", "a.b.c", "", "a..b", "*.*", "#.#", "a.#.c", "#.b.#", "*.#", ".", "a.*.c"}
	directKeys    = []string{"a", "b", "a.b", "", "q0"}
	messageKeys   = []string{"a", "b", "a.b", "a.b.c", "", "a..b", "c", "q0", "q1", "a.x.c", ".", "b.b.b", "a.b.c.d"}
)

func headerValue(r *rand.Rand, floats bool) any {
	vals := []any{int32(1), int64(1), "1", true, int32(2), "x"}
	if floats {
		vals = append(vals, float64(1))
	}
	return vals[r.Intn(len(vals))]
}

func newRandomWorld(seed int64, floats bool) randomWorld {
	r := rand.New(rand.NewSource(seed))
	var w randomWorld
	types := []routing.ExchangeType{routing.Direct, routing.Fanout, routing.Topic, routing.Headers}
	nx, nq := 2+r.Intn(4), 2+r.Intn(4)
	for i := range nx {
		x := routing.Exchange{Name: fmt.Sprintf("x%d", i), Type: types[r.Intn(4)]}
		if r.Intn(3) == 0 {
			x.Arguments = routing.Table{"alternate-exchange": fmt.Sprintf("x%d", r.Intn(nx+1))}
		}
		w.topo.Exchanges = append(w.topo.Exchanges, x)
	}
	for i := range nq {
		w.topo.Queues = append(w.topo.Queues, routing.Queue{Name: fmt.Sprintf("q%d", i)})
	}
	seen := map[string]bool{}
	for range 4 + r.Intn(14) {
		src := w.topo.Exchanges[r.Intn(nx)]
		b := routing.Binding{Source: src.Name, DestinationType: routing.ToQueue, Destination: fmt.Sprintf("q%d", r.Intn(nq))}
		if r.Intn(3) == 0 {
			b.DestinationType, b.Destination = routing.ToExchange, fmt.Sprintf("x%d", r.Intn(nx))
		}
		switch src.Type {
		case routing.Topic:
			b.RoutingKey = topicPatterns[r.Intn(len(topicPatterns))]
		case routing.Direct, routing.Fanout:
			b.RoutingKey = directKeys[r.Intn(len(directKeys))]
		case routing.Headers:
			b.Arguments = routing.Table{"x-match": []string{"all", "any", "all-with-x", "any-with-x"}[r.Intn(4)]}
			for _, h := range []string{"h1", "h2", "x-h"} {
				if r.Intn(2) == 0 {
					b.Arguments[h] = headerValue(r, floats)
				}
			}
		}
		id := fmt.Sprintf("%v", b)
		if seen[id] {
			continue
		}
		seen[id] = true
		w.topo.Bindings = append(w.topo.Bindings, b)
	}
	for range 12 {
		m := routing.Message{RoutingKey: messageKeys[r.Intn(len(messageKeys))], Mandatory: true}
		if r.Intn(6) > 0 {
			m.Exchange = w.topo.Exchanges[r.Intn(nx)].Name
		}
		if r.Intn(2) == 0 {
			m.Headers = routing.Table{}
			for _, h := range []string{"h1", "h2", "x-h"} {
				if r.Intn(2) == 0 {
					m.Headers[h] = headerValue(r, floats)
				}
			}
		}
		w.messages = append(w.messages, m)
	}
	return w
}

// TestRoutingEqualsModel holds the broker's routing (its indexes, e2e
// walk, alternate exchanges) equal to the routing model on hundreds of
// random topologies, in process.
func TestRoutingEqualsModel(t *testing.T) {
	routedTotal := 0
	defer func() {
		if routedTotal == 0 {
			t.Fatal("no message was routed anywhere: the comparison proved nothing")
		}
	}()
	for seed := int64(1); seed <= 500; seed++ {
		w := newRandomWorld(seed, true)
		s, _ := New(Options{})
		v := s.lookupVHost("/")
		for _, x := range w.topo.Exchanges {
			if err := v.exchangeDeclare(&wire.ExchangeDeclare{Exchange: x.Name, Type: string(x.Type), Arguments: x.Arguments}); err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
		}
		for _, q := range w.topo.Queues {
			if _, _, _, err := v.queueDeclare(nil, q.Name, false, false, false, false, false, nil); err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
		}
		for _, b := range w.topo.Bindings {
			if err := v.bind(nil, b.Source, b.Destination, b.DestinationType == routing.ToExchange, b.RoutingKey, b.Arguments, false); err != nil {
				t.Fatalf("seed %d: bind %+v: %v", seed, b, err)
			}
		}
		for _, m := range w.messages {
			want := routing.Route(&w.topo, m).Queues
			routedTotal += len(want)
			x := v.exchanges[m.Exchange]
			var got []string
			for _, q := range v.route(x, []string{m.RoutingKey}, m.Headers, nil) {
				got = append(got, q.name)
			}
			sort.Strings(got)
			if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
				t.Fatalf("seed %d: %+v\nbroker %v, model %v\ntopology %+v", seed, m, got, want, w.topo)
			}
		}
	}
}

// observed is what a broker did with a world's messages: each queue's
// bodies in order, and the bodies returned (unroutable, mandatory).
type observed struct {
	queues   map[string][]string
	returned []string
}

func runWorld(t *testing.T, url string, w randomWorld) observed {
	t.Helper()
	prefix := uniq("diff") + "-"
	c := dial(t, url)
	ch := openChannel(t, c)
	var xs, qs []string
	defer func() { cleanupNames(t, url, qs, xs) }()
	for _, x := range w.topo.Exchanges {
		args := amqp.Table{}
		if ae := x.AlternateExchange(); ae != "" {
			args["alternate-exchange"] = prefix + ae
		}
		if err := ch.ExchangeDeclare(prefix+x.Name, string(x.Type), false, false, false, false, args); err != nil {
			t.Fatal(err)
		}
		xs = append(xs, prefix+x.Name)
	}
	for _, q := range w.topo.Queues {
		if _, err := ch.QueueDeclare(prefix+q.Name, false, false, true, false, nil); err != nil {
			t.Fatal(err)
		}
		qs = append(qs, prefix+q.Name)
	}
	for _, b := range w.topo.Bindings {
		var err error
		if b.DestinationType == routing.ToExchange {
			err = ch.ExchangeBind(prefix+b.Destination, b.RoutingKey, prefix+b.Source, false, amqp.Table(b.Arguments))
		} else {
			err = ch.QueueBind(prefix+b.Destination, b.RoutingKey, prefix+b.Source, false, amqp.Table(b.Arguments))
		}
		if err != nil {
			t.Fatalf("bind %+v: %v", b, err)
		}
	}
	returns := ch.NotifyReturn(make(chan amqp.Return, len(w.messages)))
	if err := ch.Confirm(false); err != nil {
		t.Fatal(err)
	}
	for i, m := range w.messages {
		ex, key := m.Exchange, m.RoutingKey
		if ex != "" {
			ex = prefix + ex
		} else if strings.HasPrefix(key, "q") {
			key = prefix + key // the default exchange routes to queue names
		}
		dc, err := ch.PublishWithDeferredConfirmWithContext(context.Background(), ex, key, true, false,
			amqp.Publishing{Headers: amqp.Table(m.Headers), Body: []byte(fmt.Sprint(i))})
		if err != nil {
			t.Fatal(err)
		}
		if !dc.Wait() {
			t.Fatalf("message %d nacked", i)
		}
	}
	var o observed
	o.queues = map[string][]string{}
	for len(returns) > 0 {
		r := <-returns
		o.returned = append(o.returned, string(r.Body))
	}
	for _, q := range w.topo.Queues {
		for {
			d, ok, err := ch.Get(prefix+q.Name, true)
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			o.queues[q.Name] = append(o.queues[q.Name], string(d.Body))
		}
	}
	return o
}

// TestDifferentialAgainstRabbitMQ publishes the same random worlds on the
// embedded broker and the live RabbitMQ and compares what each queue
// received, in order, and what was returned. Float header values are left
// out: RabbitMQ before 3.13 compares 1 and 1.0 as equal, 4.x does not.
func TestDifferentialAgainstRabbitMQ(t *testing.T) {
	brokers := bothBrokers(t)
	if len(brokers) < 2 {
		t.Skip("no live RabbitMQ to compare with")
	}
	seeds := 40
	if testing.Short() {
		seeds = 8
	}
	delivered, returned := 0, 0
	for seed := int64(1); seed <= int64(seeds); seed++ {
		w := newRandomWorld(seed, false)
		emb := runWorld(t, brokers[0].url, w)
		live := runWorld(t, brokers[1].url, w)
		if fmt.Sprint(emb) != fmt.Sprint(live) {
			t.Fatalf("seed %d differs\nembedded %v\nrabbitmq %v\ntopology %+v\nmessages %+v", seed, emb, live, w.topo, w.messages)
		}
		for _, bodies := range emb.queues {
			delivered += len(bodies)
		}
		returned += len(emb.returned)
	}
	// the worlds must exercise both outcomes, or the comparison proves little
	if delivered == 0 || returned == 0 {
		t.Fatalf("degenerate worlds: %d deliveries, %d returns", delivered, returned)
	}
	t.Logf("%d worlds: %d deliveries and %d returns identical on both brokers", seeds, delivered, returned)
}
