package routing

import (
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"
)

// Words the property test builds keys from: few, so that patterns and keys
// collide often, with the empty word and the wildcards as ordinary words.
var propWords = []string{"a", "b", "c", "", "*", "#"}

var edgeKeys = []string{"", ".", "..", "a..b", "#.#", "#", "*", "*.*", "a.", ".a", "a.b.c.d.e.f"}

func randTopicKey(r *rand.Rand, wildcards bool) string {
	if r.Intn(5) == 0 {
		return edgeKeys[r.Intn(len(edgeKeys))]
	}
	n := r.Intn(6)
	words := make([]string, n)
	for i := range words {
		w := propWords[r.Intn(len(propWords))]
		if !wildcards && (w == "*" || w == "#") && r.Intn(2) == 0 {
			w = "a"
		}
		words[i] = w
	}
	return strings.Join(words, ".")
}

// TestTopicIndexAgreesWithMatchTopic holds the trie equal to MatchTopic on
// random bindings, with adds and removes, for fixed seeds.
func TestTopicIndexAgreesWithMatchTopic(t *testing.T) {
	const seeds, ops, keysPerCheck, every = 20, 400, 30, 20
	checks := 0
	for seed := int64(1); seed <= seeds; seed++ {
		r := rand.New(rand.NewSource(seed))
		var ix TopicIndex[int]
		type binding struct {
			pattern string
			dest    int
		}
		var live []binding
		for op := 0; op < ops; op++ {
			if len(live) > 0 && r.Intn(4) == 0 {
				n := r.Intn(len(live))
				if !ix.Remove(live[n].pattern, live[n].dest) {
					t.Fatalf("seed %d: Remove(%q, %d) found nothing", seed, live[n].pattern, live[n].dest)
				}
				live = append(live[:n], live[n+1:]...)
			} else {
				b := binding{randTopicKey(r, true), r.Intn(30)}
				ix.Add(b.pattern, b.dest)
				live = append(live, b)
			}
			if ix.Len() != len(live) {
				t.Fatalf("seed %d: Len %d, want %d", seed, ix.Len(), len(live))
			}
			if op%every != 0 {
				continue
			}
			for k := 0; k < keysPerCheck; k++ {
				key := randTopicKey(r, false)
				want := map[int]bool{}
				for _, b := range live {
					if ok, _ := MatchTopic(b.pattern, key); ok {
						want[b.dest] = true
					}
				}
				got := ix.Match(key)
				gotSet := map[int]bool{}
				for _, d := range got {
					if gotSet[d] {
						t.Fatalf("seed %d key %q: destination %d returned twice: %v", seed, key, d, got)
					}
					gotSet[d] = true
				}
				if fmt.Sprint(sortedKeys(gotSet)) != fmt.Sprint(sortedKeys(want)) {
					t.Fatalf("seed %d key %q: index %v, MatchTopic %v\nbindings %v", seed, key, sortedKeys(gotSet), sortedKeys(want), live)
				}
				checks++
			}
		}
		for _, b := range live {
			ix.Remove(b.pattern, b.dest)
		}
		if ix.Len() != 0 || !ix.root.empty() {
			t.Fatalf("seed %d: index not empty after removing everything", seed)
		}
	}
	t.Logf("%d seeds x %d add/remove operations; %d key checks against MatchTopic", seeds, ops, checks)
}

func sortedKeys(m map[int]bool) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}

// TestTopicIndexManyHashes guards against the combinatorial walk: several
// '#' words against a long key must finish quickly and agree.
func TestTopicIndexManyHashes(t *testing.T) {
	var ix TopicIndex[string]
	patterns := []string{"#.a.#.a.#.a.#.b", "#.a.#.a.#", "a.#.#.#.#", "#.*.#.*.#"}
	for _, p := range patterns {
		ix.Add(p, p)
	}
	key := strings.Repeat("a.", 40) + "a"
	got := ix.Match(key)
	sort.Strings(got)
	var want []string
	for _, p := range patterns {
		if ok, _ := MatchTopic(p, key); ok {
			want = append(want, p)
		}
	}
	sort.Strings(want)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Match = %v, want %v", got, want)
	}
}

func TestTopicIndexRefCounts(t *testing.T) {
	var ix TopicIndex[string]
	ix.Add("a.*", "q")
	ix.Add("a.*", "q") // same key and queue, other arguments
	ix.Add("a.#.#", "q2")
	if got := ix.Match("a.b"); len(got) != 2 {
		t.Fatalf("Match = %v, want q and q2 once each", got)
	}
	ix.Remove("a.*", "q")
	if got := ix.Match("a.b"); len(got) != 2 {
		t.Fatalf("after one Remove: %v, want q still bound", got)
	}
	ix.Remove("a.*", "q")
	if !ix.Remove("a.#", "q2") { // "a.#.#" and "a.#" are the same binding key to the index
		t.Fatal(`Remove("a.#", "q2") after Add("a.#.#", "q2") found nothing`)
	}
	if ix.Remove("a.*", "q") {
		t.Fatal("a third Remove succeeded")
	}
	if got := ix.Match("a.b"); len(got) != 0 || ix.Len() != 0 {
		t.Fatalf("after removing all: %v, Len %d", got, ix.Len())
	}
}

// benchIndex builds an index with n bindings shaped like a real topic
// exchange (service.entity.event with some wildcards), plus the same two
// catch-all bindings in every size. The keys are the literal binding keys
// present, so in both sizes every lookup walks the full depth of the trie
// and matches at least one binding.
func benchIndex(n int) (*TopicIndex[int], []string) {
	r := rand.New(rand.NewSource(42))
	ix := &TopicIndex[int]{}
	ix.Add("#", 0)
	ix.Add("*.audit.#", 1)
	var literal []string
	for i := 2; i < n; i++ {
		svc, ent := r.Intn(1000), r.Intn(100)
		switch i % 4 {
		case 0:
			k := fmt.Sprintf("svc%d.ent%d.created", svc, ent)
			literal = append(literal, k)
			ix.Add(k, i)
		case 1:
			ix.Add(fmt.Sprintf("svc%d.ent%d.*", svc, ent), i)
		case 2:
			ix.Add(fmt.Sprintf("svc%d.*.deleted", svc), i)
		default:
			ix.Add(fmt.Sprintf("svc%d.ent%d.#", svc, ent), i)
		}
	}
	keys := make([]string, 4096)
	for i := range keys {
		keys[i] = literal[r.Intn(len(literal))]
	}
	return ix, keys
}

// BenchmarkTopicIndexMatch shows the cost per routed message with 10 and
// with 100,000 bindings: "svc" keys are 4096 binding keys of the index
// (they walk the whole depth; in a large index each walk finds its nodes
// out of the CPU cache), "svc-hot16" are 16 of them (the walk's nodes stay
// cached, as for a skewed real load), "other" keys match only the two
// catch-all bindings every size has. matches/op says how many
// destinations each lookup returned.
func BenchmarkTopicIndexMatch(b *testing.B) {
	for _, n := range []int{10, 1000, 10_000, 100_000} {
		ix, keys := benchIndex(n)
		others := make([]string, len(keys))
		for i := range others {
			others[i] = fmt.Sprintf("other%d.ent%d.created", i%1000, i%100)
		}
		for _, kind := range []struct {
			name string
			keys []string
		}{{"svc", keys}, {"svc-hot16", keys[:16]}, {"other", others}} {
			b.Run(fmt.Sprintf("bindings=%d/keys=%s", n, kind.name), func(b *testing.B) {
				var dst []int
				matches := 0
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					dst = ix.AppendMatch(dst[:0], kind.keys[i%len(kind.keys)])
					matches += len(dst)
				}
				b.ReportMetric(float64(matches)/float64(b.N), "matches/op")
			})
		}
	}
}

// BenchmarkMatchTopicScan is the linear scan the index replaces.
func BenchmarkMatchTopicScan(b *testing.B) {
	for _, n := range []int{10, 1000} {
		var patterns []string
		r := rand.New(rand.NewSource(42))
		for i := 0; i < n; i++ {
			patterns = append(patterns, fmt.Sprintf("svc%d.ent%d.*", r.Intn(1000), r.Intn(100)))
		}
		b.Run(fmt.Sprintf("bindings=%d", n), func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				for _, p := range patterns {
					MatchTopic(p, "svc1.ent2.created")
				}
			}
		})
	}
}

// FuzzTopicIndex holds the trie equal to MatchTopic for one binding key
// and one routing key of any bytes, and checks neither panics.
func FuzzTopicIndex(f *testing.F) {
	for _, p := range []string{"", "#", "*", "a.#.b", "#.#", "*.*", "a..b", "#.*.#"} {
		for _, k := range edgeKeys {
			f.Add(p, k)
		}
	}
	f.Fuzz(func(t *testing.T, pattern, key string) {
		var ix TopicIndex[int]
		ix.Add(pattern, 1)
		want, _ := MatchTopic(pattern, key)
		if got := len(ix.Match(key)) == 1; got != want {
			t.Fatalf("pattern %q key %q: index %v, MatchTopic %v", pattern, key, got, want)
		}
		if !ix.Remove(pattern, 1) || ix.Len() != 0 || !ix.root.empty() {
			t.Fatalf("pattern %q: Remove did not empty the index", pattern)
		}
	})
}
