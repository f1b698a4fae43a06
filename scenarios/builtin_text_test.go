package scenarios

import (
	"io/fs"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestBuiltinNarrationIsNotCutByAComment guards the built-in files against a
// YAML trap: in a plain scalar, " #" starts a comment, so
// `say: keys (shipping, #) are ignored` silently becomes "keys (shipping,".
// Built-in narration must carry no trailing comment.
func TestBuiltinNarrationIsNotCutByAComment(t *testing.T) {
	files, err := fs.Glob(builtinFS, "builtin/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no built-in scenarios found: %v", err)
	}
	for _, f := range files {
		data, err := builtinFS.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		var walk func(n *yaml.Node)
		walk = func(n *yaml.Node) {
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					k, v := n.Content[i], n.Content[i+1]
					switch k.Value {
					case "say", "about", "title":
						if v.Kind == yaml.ScalarNode && v.Style == 0 && v.LineComment != "" {
							t.Errorf("%s:%d: %s is cut at %q (a ' #' in a plain scalar starts a comment): quote the text",
								f, v.Line, k.Value, v.LineComment)
						}
					}
				}
			}
			for _, c := range n.Content {
				walk(c)
			}
		}
		walk(&doc)
	}
}
