package routing

import (
	"reflect"
	"sort"
	"testing"
)

// topicGoldenBindings is the binding list of topic1 in RabbitMQ's
// deps/rabbit/test/routing_SUITE.erl (v4.3.5), in its order: binding key,
// queue, arguments. t27 is bound twice with different arguments ("Note
// aliasing").
var topicGoldenBindings = []struct {
	key, queue string
	args       Table
}{
	{"a.b.c", "t1", nil},
	{"a.*.c", "t2", nil},
	{"a.#.b", "t3", nil},
	{"a.b.b.c", "t4", nil},
	{"#", "t5", nil},
	{"#.#", "t6", nil},
	{"#.b", "t7", nil},
	{"*.*", "t8", nil},
	{"a.*", "t9", nil},
	{"*.b.c", "t10", nil},
	{"a.#", "t11", nil},
	{"a.#.#", "t12", nil},
	{"b.b.c", "t13", nil},
	{"a.b.b", "t14", nil},
	{"a.b", "t15", nil},
	{"b.c", "t16", nil},
	{"", "t17", nil},
	{"*.*.*", "t18", nil},
	{"vodka.martini", "t19", nil},
	{"a.b.c", "t20", nil},
	{"*.#", "t21", nil},
	{"#.*.#", "t22", nil},
	{"*.#.#", "t23", nil},
	{"*", "t25", nil},
	{"#.b.#", "t26", nil},
	{"args-test", "t27", Table{"foo": "bar"}},
	{"args-test", "t27", Table{"foo": "baz"}},
}

type goldenCase struct {
	key  string
	want []string
}

// topicGoldenAll is what topic1 expects with every binding present.
var topicGoldenAll = []goldenCase{
	{"a.b.c", []string{"t1", "t2", "t5", "t6", "t10", "t11", "t12", "t18", "t20", "t21", "t22", "t23", "t26"}},
	{"a.b", []string{"t3", "t5", "t6", "t7", "t8", "t9", "t11", "t12", "t15", "t21", "t22", "t23", "t26"}},
	{"a.b.b", []string{"t3", "t5", "t6", "t7", "t11", "t12", "t14", "t18", "t21", "t22", "t23", "t26"}},
	{"", []string{"t5", "t6", "t17"}},
	{"b.c.c", []string{"t5", "t6", "t18", "t21", "t22", "t23", "t26"}},
	{"a.a.a.a.a", []string{"t5", "t6", "t11", "t12", "t21", "t22", "t23"}},
	{"vodka.gin", []string{"t5", "t6", "t8", "t21", "t22", "t23"}},
	{"vodka.martini", []string{"t5", "t6", "t8", "t19", "t21", "t22", "t23"}},
	{"b.b.c", []string{"t5", "t6", "t10", "t13", "t18", "t21", "t22", "t23", "t26"}},
	{"nothing.here.at.all", []string{"t5", "t6", "t21", "t22", "t23"}},
	{"oneword", []string{"t5", "t6", "t21", "t22", "t23", "t25"}},
	{"args-test", []string{"t5", "t6", "t21", "t22", "t23", "t25", "t27"}},
}

// topicGoldenRemoved are topic1's bindings 1, 5, 11, 19, 21 and 27
// (1-based), which it removes before checking topicGoldenAfter.
var topicGoldenRemoved = []int{1, 5, 11, 19, 21, 27}

var topicGoldenAfter = []goldenCase{
	{"a.b.c", []string{"t2", "t6", "t10", "t12", "t18", "t20", "t22", "t23", "t26"}},
	{"a.b", []string{"t3", "t6", "t7", "t8", "t9", "t12", "t15", "t22", "t23", "t26"}},
	{"a.b.b", []string{"t3", "t6", "t7", "t12", "t14", "t18", "t22", "t23", "t26"}},
	{"", []string{"t6", "t17"}},
	{"b.c.c", []string{"t6", "t18", "t22", "t23", "t26"}},
	{"a.a.a.a.a", []string{"t6", "t12", "t22", "t23"}},
	{"vodka.gin", []string{"t6", "t8", "t22", "t23"}},
	{"vodka.martini", []string{"t6", "t8", "t22", "t23"}},
	{"b.b.c", []string{"t6", "t10", "t13", "t18", "t22", "t23", "t26"}},
	{"nothing.here.at.all", []string{"t6", "t22", "t23"}},
	{"oneword", []string{"t6", "t22", "t23", "t25"}},
	{"args-test", []string{"t6", "t22", "t23", "t25", "t27"}},
}

// goldenTopology builds topic1's exchange with the bindings not removed.
func goldenTopology(removed map[int]bool) (*Topology, *TopicIndex[string]) {
	t := &Topology{Exchanges: []Exchange{{Name: "topic_matching-exchange", Type: Topic, Durable: true}}}
	ix := &TopicIndex[string]{}
	queues := map[string]bool{}
	for n, b := range topicGoldenBindings {
		if !queues[b.queue] {
			queues[b.queue] = true
			t.Queues = append(t.Queues, Queue{Name: b.queue, Durable: true})
		}
		ix.Add(b.key, b.queue)
		if removed[n+1] {
			continue
		}
		t.Bindings = append(t.Bindings, Binding{Source: "topic_matching-exchange", Destination: b.queue,
			DestinationType: ToQueue, RoutingKey: b.key, Arguments: b.args})
	}
	for n := range removed {
		b := topicGoldenBindings[n-1]
		if !ix.Remove(b.key, b.queue) {
			panic("golden binding missing from index: " + b.key)
		}
	}
	return t, ix
}

// TestTopicGolden replays RabbitMQ's routing_SUITE topic1 through Route,
// MatchTopic and TopicIndex.
func TestTopicGolden(t *testing.T) {
	removed := map[int]bool{}
	for _, n := range topicGoldenRemoved {
		removed[n] = true
	}
	phases := []struct {
		name    string
		removed map[int]bool
		cases   []goldenCase
	}{
		{"all bindings", nil, topicGoldenAll},
		{"after removing 1,5,11,19,21,27", removed, topicGoldenAfter},
	}
	count := 0
	for _, ph := range phases {
		topo, ix := goldenTopology(ph.removed)
		for _, c := range ph.cases {
			count++
			t.Run(ph.name+"/"+c.key, func(t *testing.T) {
				want := append([]string(nil), c.want...)
				sort.Strings(want)
				res := Route(topo, Message{Exchange: "topic_matching-exchange", RoutingKey: c.key})
				if res.Err != nil {
					t.Fatalf("Route: %v", res.Err)
				}
				if !reflect.DeepEqual(res.Queues, want) {
					t.Errorf("Route(%q) = %v, want %v", c.key, res.Queues, want)
				}
				got := ix.Match(c.key)
				sort.Strings(got)
				if !reflect.DeepEqual(got, want) {
					t.Errorf("TopicIndex.Match(%q) = %v, want %v", c.key, got, want)
				}
				var brute []string
				for _, b := range topo.Bindings {
					if ok, _ := MatchTopic(b.RoutingKey, c.key); ok && !contains(brute, b.Destination) {
						brute = append(brute, b.Destination)
					}
				}
				sort.Strings(brute)
				if !reflect.DeepEqual(brute, want) {
					t.Errorf("MatchTopic over bindings for %q = %v, want %v", c.key, brute, want)
				}
			})
		}
	}
	if count != 24 {
		t.Fatalf("golden table has %d routing keys, want topic1's 24", count)
	}
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}
