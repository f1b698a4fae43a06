package routing

import "strings"

// TopicIndex finds the destinations whose topic binding keys match a
// routing key, in time that depends on the key and on how many bindings
// match, not on how many bindings there are: a trie of binding-key words
// with '*' and '#' edges, walked like RabbitMQ's own
// (rabbit_db_topic_exchange:trie_match). MatchTopic is the specification;
// a property test holds the two equal.
//
// The zero value is empty and ready to use. A TopicIndex is not safe for
// concurrent use: its owner (an exchange in the broker) serialises access.
type TopicIndex[T comparable] struct {
	root     topicNode[T]
	bindings int
}

type topicNode[T comparable] struct {
	words map[string]*topicNode[T]
	star  *topicNode[T]
	hash  *topicNode[T]
	dests []topicDest[T]
}

// topicDest counts bindings with the same key and destination (RabbitMQ
// keeps them apart when their arguments differ; they route the same).
type topicDest[T comparable] struct {
	dest T
	refs int
}

// normalTopicWords splits a binding key. Consecutive '#' words collapse
// into one: "#.#" matches exactly what "#" matches, and collapsing keeps
// the walk from trying the same split of the key many times.
func normalTopicWords(pattern string) []string {
	words := SplitTopicKey(pattern)
	out := words[:0]
	for n, w := range words {
		if w == "#" && n > 0 && words[n-1] == "#" {
			continue
		}
		out = append(out, w)
	}
	return out
}

func (n *topicNode[T]) child(w string, create bool) *topicNode[T] {
	var slot **topicNode[T]
	switch w {
	case "*":
		slot = &n.star
	case "#":
		slot = &n.hash
	default:
		c := n.words[w]
		if c == nil && create {
			if n.words == nil {
				n.words = map[string]*topicNode[T]{}
			}
			c = &topicNode[T]{}
			n.words[w] = c
		}
		return c
	}
	if *slot == nil && create {
		*slot = &topicNode[T]{}
	}
	return *slot
}

func (n *topicNode[T]) empty() bool {
	return len(n.dests) == 0 && len(n.words) == 0 && n.star == nil && n.hash == nil
}

// Add records a binding of pattern to dest. Adding the same pair twice
// needs two Removes to take it away.
func (ix *TopicIndex[T]) Add(pattern string, dest T) {
	n := &ix.root
	for _, w := range normalTopicWords(pattern) {
		n = n.child(w, true)
	}
	ix.bindings++
	for i := range n.dests {
		if n.dests[i].dest == dest {
			n.dests[i].refs++
			return
		}
	}
	n.dests = append(n.dests, topicDest[T]{dest, 1})
}

// Remove takes away one binding of pattern to dest, and reports whether
// there was one. Nodes left empty are pruned.
func (ix *TopicIndex[T]) Remove(pattern string, dest T) bool {
	ok := ix.remove(&ix.root, normalTopicWords(pattern), dest)
	if ok {
		ix.bindings--
	}
	return ok
}

func (ix *TopicIndex[T]) remove(n *topicNode[T], words []string, dest T) bool {
	if len(words) == 0 {
		for i := range n.dests {
			if n.dests[i].dest != dest {
				continue
			}
			if n.dests[i].refs--; n.dests[i].refs == 0 {
				n.dests = append(n.dests[:i], n.dests[i+1:]...)
			}
			return true
		}
		return false
	}
	c := n.child(words[0], false)
	if c == nil || !ix.remove(c, words[1:], dest) {
		return false
	}
	if c.empty() {
		switch words[0] {
		case "*":
			n.star = nil
		case "#":
			n.hash = nil
		default:
			delete(n.words, words[0])
		}
	}
	return true
}

// Len is the number of bindings added and not removed.
func (ix *TopicIndex[T]) Len() int { return ix.bindings }

// Match returns the distinct destinations whose binding keys match key,
// in no promised order.
func (ix *TopicIndex[T]) Match(key string) []T { return ix.AppendMatch(nil, key) }

// AppendMatch appends to dst the distinct destinations whose binding keys
// match key (destinations already in dst are not appended again), so a
// caller can reuse one slice per message.
func (ix *TopicIndex[T]) AppendMatch(dst []T, key string) []T {
	var buf [16]string
	words := buf[:0]
	if key != "" {
		for {
			i := strings.IndexByte(key, '.')
			if i < 0 {
				words = append(words, key)
				break
			}
			words = append(words, key[:i])
			key = key[i+1:]
		}
	}
	w := topicWalk[T]{out: dst}
	w.walk(&ix.root, words, 0)
	return w.out
}

// topicWalk is one Match in progress.
type topicWalk[T comparable] struct {
	out  []T
	seen map[T]struct{} // for dedup once out is large
	// visited memoises (node, words left) once two '#' edges are on the
	// path: only then can the walk reach the same state twice.
	visited map[topicVisit[T]]struct{}
}

type topicVisit[T comparable] struct {
	node *topicNode[T]
	left int
}

func (w *topicWalk[T]) walk(n *topicNode[T], words []string, hashes int) {
	if hashes >= 2 {
		v := topicVisit[T]{n, len(words)}
		if w.visited == nil {
			w.visited = map[topicVisit[T]]struct{}{}
		}
		if _, done := w.visited[v]; done {
			return
		}
		w.visited[v] = struct{}{}
	}
	if len(words) == 0 {
		for _, d := range n.dests {
			w.add(d.dest)
		}
		if n.hash != nil {
			w.walk(n.hash, words, hashes+1)
		}
		return
	}
	if n.words != nil {
		if c := n.words[words[0]]; c != nil {
			w.walk(c, words[1:], hashes)
		}
	}
	if n.star != nil {
		w.walk(n.star, words[1:], hashes)
	}
	if n.hash != nil {
		for i := 0; i <= len(words); i++ {
			w.walk(n.hash, words[i:], hashes+1)
		}
	}
}

func (w *topicWalk[T]) add(d T) {
	const linear = 16
	if w.seen == nil {
		for _, o := range w.out {
			if o == d {
				return
			}
		}
		w.out = append(w.out, d)
		if len(w.out) > linear {
			w.seen = make(map[T]struct{}, 2*len(w.out))
			for _, o := range w.out {
				w.seen[o] = struct{}{}
			}
		}
		return
	}
	if _, dup := w.seen[d]; !dup {
		w.seen[d] = struct{}{}
		w.out = append(w.out, d)
	}
}
