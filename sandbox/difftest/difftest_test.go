package difftest

import (
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/warrenmq/warren/sandbox/routing"
)

// Seeds of the differential tests: fixed, so a failure can be replayed.
// WARREN_DIFFTEST_SEEDS=N runs N seeds instead, for a longer search.
var firstSeed, seeds int64 = 1, seedCount(150)

func seedCount(def int64) int64 {
	if n, err := strconv.ParseInt(os.Getenv("WARREN_DIFFTEST_SEEDS"), 10, 64); err == nil && n > 0 {
		return n
	}
	return def
}

// workers is how many connections the differential tests use at once.
const workers = 4

// generateAll makes the cases for n seeds from firstSeed.
func generateAll(n int64, prefix string) []Case {
	cases := make([]Case, 0, n)
	for seed := firstSeed; seed < firstSeed+n; seed++ {
		cases = append(cases, Generate(seed, prefix))
	}
	return cases
}

// TestModelAgreesWithRabbitMQ runs random cases on the live RabbitMQ and
// holds the routing model (at the server's version) to what each queue
// received, in order, and to what was returned.
func TestModelAgreesWithRabbitMQ(t *testing.T) {
	o := dialRabbitMQ(t)
	model := routing.Model{Version: o.Version()}
	start := time.Now()
	cases := generateAll(seeds, NewPrefix())
	observed, err := ObserveCases(rabbitURL(), cases, workers)
	if err != nil {
		t.Fatalf("RabbitMQ: %v", err)
	}
	var msgs, deliveries, returns, failed, newestDiffers int
	for n, c := range cases {
		want, err := Predict(model, c)
		if err != nil {
			t.Fatalf("seed %d: %v\n%s", c.Seed, err, Describe(model, c))
		}
		got := observed[n]
		if d := Diff("model", want, "RabbitMQ "+o.Version(), got); d != "" {
			failed++
			t.Errorf("seed %d: the model and RabbitMQ disagree:\n%s%s", c.Seed, d, Describe(model, c))
			if failed >= 3 {
				t.Fatal("stopping after 3 disagreeing cases")
			}
		}
		if newest, err := Predict(routing.Model{}, c); err == nil && Diff("", newest, "", got) != "" {
			newestDiffers++
		}
		msgs += len(c.Messages)
		returns += len(got.Returned)
		for _, ids := range got.Queues {
			deliveries += len(ids)
		}
	}
	t.Logf("RabbitMQ %s: %d cases, %d messages, %d deliveries, %d returned, in %s; the 4.x model differs on %d cases",
		o.Version(), len(cases), msgs, deliveries, returns, time.Since(start).Round(time.Millisecond), newestDiffers)
	// The test must be able to fail: against a server older than 3.13 the
	// 4.x rules (1 =/= 1.0) have to disagree somewhere.
	if !routingAtLeast313(o.Version()) && newestDiffers == 0 {
		t.Errorf("the 4.x model agreed with RabbitMQ %s on every case: the cases never compare an integer with a float", o.Version())
	}
}

// TestGenerate checks the generator covers what the differential tests
// claim to cover, and is repeatable.
func TestGenerate(t *testing.T) {
	const prefix = "p-"
	seen := map[string]bool{}
	for seed := firstSeed; seed < firstSeed+seeds; seed++ {
		c := Generate(seed, prefix)
		for i := 0; i < 5; i++ { // map order differs between calls; the case must not
			if again := Generate(seed, prefix); !reflect.DeepEqual(again, c) {
				t.Fatalf("Generate(%d) differs between two calls:\n%s\n%s", seed, Describe(routing.Model{}, c), Describe(routing.Model{}, again))
			}
		}
		names := map[string]bool{}
		for _, x := range c.Topology.Exchanges {
			seen["type "+string(x.Type)] = true
			if x.AlternateExchange() != "" {
				seen["alternate exchange"] = true
			}
			if x.Internal {
				seen["internal exchange"] = true
			}
			names[x.Name] = true
		}
		for _, q := range c.Topology.Queues {
			if !q.Durable {
				t.Fatalf("seed %d: queue %s is not durable", seed, q.Name)
			}
			names[q.Name] = true
		}
		for n := range names {
			if !strings.HasPrefix(n, prefix) {
				t.Fatalf("seed %d: name %q lacks the prefix", seed, n)
			}
		}
		for _, b := range c.Topology.Bindings {
			if b.DestinationType == routing.ToExchange {
				seen["exchange-to-exchange"] = true
				if b.Source == b.Destination {
					seen["cycle"] = true
				}
			}
			seen["binding key "+b.RoutingKey] = true
			for _, v := range b.Arguments {
				seen[typeName(v)] = true
			}
			if b.Arguments["x-match"] != nil {
				seen["x-match "+b.Arguments["x-match"].(string)] = true
			}
		}
		for _, m := range c.Messages {
			seen["routing key "+m.RoutingKey] = true
			for k, v := range m.Headers {
				seen[typeName(v)] = true
				if k == "CC" || k == "BCC" {
					seen["CC/BCC"] = true
				}
			}
			if m.Exchange == "" {
				seen["default exchange"] = true
			}
		}
		r := routing.Model{}.Route(&c.Topology, c.Messages[0].Message)
		if len(r.AlternateExchanges) > 0 {
			seen["alternate exchange used"] = true
		}
	}
	for _, want := range []string{
		"type direct", "type fanout", "type topic", "type headers",
		"alternate exchange", "alternate exchange used", "internal exchange",
		"exchange-to-exchange", "cycle", "default exchange", "CC/BCC",
		"routing key ", "routing key .", "routing key a..b", "routing key #.#",
		"binding key #", "binding key *.*", "binding key #.#", "binding key ",
		"int8", "int16", "int32", "int64", "float32", "float64", "string", "bool", "void", "uint8", "[]uint8", "time.Time", "Decimal", "Table", "[]interface {}",
		"x-match all", "x-match any", "x-match all-with-x", "x-match any-with-x",
	} {
		if !seen[want] {
			t.Errorf("no case in seeds %d..%d has %s", firstSeed, firstSeed+seeds-1, want)
		}
	}
}

func typeName(v any) string {
	if v == nil {
		return "void"
	}
	return strings.TrimPrefix(reflect.TypeOf(v).String(), "routing.")
}

// TestDiff checks that a disagreement is reported per queue and for returns.
func TestDiff(t *testing.T) {
	a := Observed{Queues: map[string][]string{"q1": {"m1", "m2"}, "q2": {}}, Returned: []string{"m3"}}
	if d := Diff("a", a, "b", a); d != "" {
		t.Fatalf("Diff of equal observations = %q", d)
	}
	b := Observed{Queues: map[string][]string{"q1": {"m2", "m1"}, "q2": {}}, Returned: nil}
	d := Diff("model", a, "rabbit", b)
	for _, want := range []string{"queue q1: model [m1 m2], rabbit [m2 m1]", "returned: model [m3], rabbit []"} {
		if !strings.Contains(d, want) {
			t.Errorf("Diff = %q, want it to contain %q", d, want)
		}
	}
}

// routingAtLeast313 reports whether version v compares header values
// strictly (3.13 and later).
func routingAtLeast313(v string) bool {
	var major, minor int
	if _, err := fmt.Sscanf(v, "%d.%d", &major, &minor); err != nil {
		return true
	}
	return major > 3 || (major == 3 && minor >= 13)
}
