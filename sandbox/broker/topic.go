package broker

import (
	"github.com/warrenmq/warren/sandbox/routing"
)

// topicRouter indexes topic bindings with the routing model's trie
// (routing.TopicIndex), so the cost of routing grows with the words of the
// routing key, not with the number of bindings, and the broker matches
// exactly as the model explains.
type topicRouter struct{ ix routing.TopicIndex[*binding] }

func newTopicRouter() *topicRouter { return &topicRouter{} }

func (r *topicRouter) add(b *binding)    { r.ix.Add(b.key, b) }
func (r *topicRouter) remove(b *binding) { r.ix.Remove(b.key, b) }

func (r *topicRouter) match(key string, _ routing.Table, dst []*binding) []*binding {
	return r.ix.AppendMatch(dst, key)
}
