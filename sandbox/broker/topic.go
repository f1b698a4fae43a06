package broker

import (
	"strings"

	"github.com/warrenmq/warren/sandbox/routing"
)

// topicRouter is a trie over the words of binding keys, so the cost of
// routing grows with the words of the routing key, not with the number of
// bindings. Words split on "."; "*" matches exactly one word, "#" zero or
// more; an empty key has no words (RabbitMQ's split_topic_key).
type topicRouter struct{ root *topicNode }

type topicNode struct {
	children map[string]*topicNode
	bindings []*binding
}

func newTopicRouter() *topicRouter { return &topicRouter{root: &topicNode{}} }

func topicWords(key string) []string {
	if key == "" {
		return nil
	}
	return strings.Split(key, ".")
}

func (r *topicRouter) add(b *binding) {
	n := r.root
	for _, w := range topicWords(b.key) {
		if n.children == nil {
			n.children = map[string]*topicNode{}
		}
		c := n.children[w]
		if c == nil {
			c = &topicNode{}
			n.children[w] = c
		}
		n = c
	}
	n.bindings = append(n.bindings, b)
}

func (r *topicRouter) remove(b *binding) {
	words := topicWords(b.key)
	path := []*topicNode{r.root}
	n := r.root
	for _, w := range words {
		n = n.children[w]
		if n == nil {
			return
		}
		path = append(path, n)
	}
	n.bindings = removeBinding(n.bindings, b)
	// prune empty nodes so that a churn of bindings does not grow the trie
	for i := len(words) - 1; i >= 0; i-- {
		c := path[i+1]
		if len(c.bindings) > 0 || len(c.children) > 0 {
			break
		}
		delete(path[i].children, words[i])
	}
}

func (r *topicRouter) route(key string, _ routing.Table, visit func(*binding)) {
	words := topicWords(key)
	seen := map[*binding]bool{}
	var walk func(n *topicNode, i int)
	walk = func(n *topicNode, i int) {
		if h := n.children["#"]; h != nil {
			// "#" swallows zero or more words
			for j := i; j <= len(words); j++ {
				walk(h, j)
			}
		}
		if i == len(words) {
			for _, b := range n.bindings {
				if !seen[b] {
					seen[b] = true
					visit(b)
				}
			}
			return
		}
		if c := n.children[words[i]]; c != nil {
			walk(c, i+1)
		}
		if c := n.children["*"]; c != nil && words[i] != "*" {
			walk(c, i+1)
		}
	}
	walk(r.root, 0)
}
