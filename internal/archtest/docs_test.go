package archtest

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// pathLike is a backticked token that names a file or folder of the
// repository: a relative path with a known ending, or a folder of ours.
var (
	backticked = regexp.MustCompile("`([^`\\s]+)`")
	pathLike   = regexp.MustCompile(`^(\.ci|docs|internal|sandbox|scenarios|tui|classroom|warrentest)(/[\w.-]+)*/?$|^[\w./-]+\.(go|md|yaml|yml)$`)
)

// TestDocsNameOnlyFilesThatExist keeps the documents a newcomer reads
// first true to the tree: every file or folder they name in backticks is
// there. (A doc that points at a file that has gone is how a reader gets
// lost.)
func TestDocsNameOnlyFilesThatExist(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	docs, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	docs = append(docs, filepath.Join(root, "README.md"))
	checked := 0
	for _, doc := range docs {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, doc)
		for _, m := range backticked.FindAllStringSubmatch(string(b), -1) {
			p := strings.TrimPrefix(m[1], "./")
			if !pathLike.MatchString(p) || strings.ContainsAny(p, "*<>") || strings.HasSuffix(p, "/...") {
				continue
			}
			checked++
			candidates := []string{filepath.Join(root, p), filepath.Join(filepath.Dir(doc), p)}
			found := false
			for _, c := range candidates {
				if _, err := os.Stat(c); err == nil {
					found = true
				}
			}
			// A bare file name (`queue.go`) names a file somewhere in the tree.
			if !found && !strings.Contains(strings.TrimSuffix(p, "/"), "/") {
				found = existsBelow(root, p)
			}
			if !found {
				t.Errorf("%s names `%s`, which is not in the repository", rel, m[1])
			}
		}
	}
	if checked < 20 {
		t.Fatalf("only %d paths checked in %d documents: the pattern no longer finds them", checked, len(docs))
	}
}

func existsBelow(root, name string) bool {
	found := false
	_ = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || found {
			return filepath.SkipDir
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != root {
			return filepath.SkipDir
		}
		if d.Name() == strings.TrimSuffix(name, "/") {
			found = true
		}
		return nil
	})
	return found
}
