package scenarios

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// YAML aliases (*name) let a small file stand for a huge tree: nine
// levels of ten aliases each are a billion nodes in a kilobyte. The YAML
// library bounds that when it decodes into Go values, but the loader walks
// yaml.Node trees, which it does not guard, so Parse measures the tree
// with every alias expanded before walking it, against a budget that
// grows with the file: what a hand-written scenario never comes near.
const (
	expansionPerByte = 16
	expansionFloor   = 100_000
)

// checkExpansion reports an error when root, aliases expanded, has more
// nodes than the budget for a file of size bytes.
func checkExpansion(file string, root *yaml.Node, size int) *LoadError {
	budget := int64(size)*expansionPerByte + expansionFloor
	memo := map[*yaml.Node]int64{}
	visiting := map[*yaml.Node]bool{}
	var bad *LoadError
	var count func(n *yaml.Node) int64
	count = func(n *yaml.Node) int64 {
		if n == nil || bad != nil {
			return 0
		}
		if c, ok := memo[n]; ok {
			return c
		}
		if visiting[n] {
			bad = &LoadError{File: file, Line: n.Line, Msg: "a YAML alias refers to the node it is in: an endless value"}
			return 0
		}
		visiting[n] = true
		total := int64(1)
		if n.Kind == yaml.AliasNode {
			total += count(n.Alias)
		}
		for _, c := range n.Content {
			total += count(c)
			if total > budget {
				break
			}
		}
		delete(visiting, n)
		if total > budget && bad == nil {
			bad = &LoadError{File: file, Line: n.Line, Msg: fmt.Sprintf(
				"YAML aliases here expand to more than %d values (the budget for a file of %d bytes): write the values out, or nest fewer aliases", budget, size)}
		}
		memo[n] = total
		return total
	}
	count(root)
	return bad
}
