package archtest

import (
	"go/build"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/warrenmq/warren"

// ours lists, for each package of ours (module-relative path; "." is the
// root), the packages of ours its non-test files may import. A package
// not listed fails the test: a new package takes its place in the layers
// by a line here and in docs/architecture.md. "x/..." means x and every
// package below it.
var ours = map[string][]string{
	".":                    {"internal/cli"},
	"internal/cli":         {"..."}, // the CLI wires everything together
	"internal/brokertest":  {"sandbox/broker", "sandbox/amqpuri"},
	"internal/archtest":    {},
	"internal/testbrokers": {"sandbox/broker", "sandbox/amqpuri", "internal/brokertest"},

	"tui":           {"tui/...", "scenarios/...", "sandbox", "sandbox/routing", "sandbox/amqpuri"},
	"tui/...":       {"tui/...", "scenarios", "sandbox", "sandbox/routing", "classroom"},
	"scenarios":     {"sandbox", "sandbox/routing", "sandbox/amqpuri", "sandbox/definitions"},
	"scenarios/...": {"sandbox", "sandbox/routing", "sandbox/amqpuri"},
	// warren class: provisions through an Admin the CLI adapts, watches
	// over the wire; never the embedded broker itself
	"classroom": {"sandbox", "sandbox/routing", "sandbox/amqpuri", "sandbox/definitions", "scenarios"},

	// The Session observes brokers over the wire, as on RabbitMQ: it never
	// imports the embedded broker.
	"sandbox":          {"sandbox/routing", "sandbox/amqpuri"},
	"sandbox/difftest": {"sandbox", "sandbox/routing", "sandbox/amqpuri"},
	"sandbox/bench":    {"sandbox/amqpuri"},
	"sandbox/amqpuri":  {},
	"sandbox/routing":  {}, // pure: the model of RabbitMQ's routing, no I/O
	// RabbitMQ's definitions format: pure, beside the model it feeds
	"sandbox/definitions": {"sandbox/routing"},

	"sandbox/broker/wire": {"sandbox/routing"},
	"sandbox/broker":      {"sandbox/broker/...", "sandbox/routing", "sandbox/amqpuri", "sandbox/definitions"},
	"sandbox/broker/...":  {"sandbox/broker/...", "sandbox/routing", "sandbox/amqpuri", "sandbox/definitions"},

	// The test library is for other people's tests: no TUI, no CLI.
	"warrentest":     {"sandbox/broker/...", "sandbox/routing", "sandbox/amqpuri", "sandbox/definitions"},
	"warrentest/...": {"warrentest", "sandbox/broker/...", "sandbox/routing", "sandbox/amqpuri"},
}

// external lists third-party imports only some packages may use, in any
// file, tests included ("x/..." as above).
var external = map[string][]string{
	// Only the TUI draws on the terminal.
	"github.com/rivo/tview":       {"tui/..."},
	"github.com/gdamore/tcell/v2": {"tui/..."},
	// Only the Session and the user-update services speak AMQP as a client
	// in code that ships; tests of the broker use amqp091-go as a client too.
	"github.com/rabbitmq/amqp091-go": {"sandbox/...", "scenarios/userupdate"},
}

// testOnly: where amqp091-go may appear in _test.go files beyond the above.
var amqpInTests = []string{"...", "."}

func matches(pattern, pkg string) bool {
	switch {
	case pattern == "...":
		return true
	case strings.HasSuffix(pattern, "/..."):
		base := strings.TrimSuffix(pattern, "/...")
		return pkg == base || strings.HasPrefix(pkg, base+"/")
	default:
		return pkg == pattern
	}
}

func anyMatches(patterns []string, pkg string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { return matches(p, pkg) })
}

// rulesFor returns the allowed list of the most specific entry for pkg.
func rulesFor(pkg string) ([]string, bool) {
	if allowed, ok := ours[pkg]; ok {
		return allowed, true
	}
	best, found := "", false
	var allowed []string
	for pattern, list := range ours {
		if strings.HasSuffix(pattern, "/...") && matches(pattern, pkg) && len(pattern) > len(best) {
			best, allowed, found = pattern, list, true
		}
	}
	return allowed, found
}

type pkgInfo struct {
	rel                  string
	imports, testImports []string
}

func packages(t *testing.T) []pkgInfo {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("the module root is not two folders up from internal/archtest: %v", err)
	}
	var out []pkgInfo
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if path != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "vendor") {
			return filepath.SkipDir
		}
		p, err := build.ImportDir(path, 0)
		if err != nil {
			if _, ok := err.(*build.NoGoError); ok {
				return nil
			}
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		out = append(out, pkgInfo{rel: rel, imports: p.Imports, testImports: append(p.TestImports, p.XTestImports...)})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 8 {
		t.Fatalf("found only %d packages under %s: the walk is broken", len(out), root)
	}
	return out
}

func TestImportRules(t *testing.T) {
	for _, p := range packages(t) {
		allowed, ok := rulesFor(p.rel)
		if !ok {
			t.Errorf("package %s has no place in the import rules: add it to internal/archtest and docs/architecture.md", p.rel)
			continue
		}
		for _, imp := range p.imports {
			rel, isOurs := strings.CutPrefix(imp, module+"/")
			if isOurs && !anyMatches(allowed, rel) {
				t.Errorf("%s imports %s; its rule allows only %v (docs/architecture.md)", p.rel, rel, allowed)
			}
		}
		check := func(imps []string, inTests bool) {
			for _, imp := range imps {
				for ext, where := range external {
					if imp != ext && !strings.HasPrefix(imp, ext+"/") {
						continue
					}
					if anyMatches(where, p.rel) {
						continue
					}
					if inTests && ext == "github.com/rabbitmq/amqp091-go" && anyMatches(amqpInTests, p.rel) {
						continue
					}
					where := "non-test files"
					if inTests {
						where = "tests"
					}
					t.Errorf("%s imports %s in its %s; only %v may (docs/architecture.md)", p.rel, imp, where, external[ext])
				}
			}
		}
		check(p.imports, false)
		check(p.testImports, true)
	}
}

// TestRulesCanFail holds the checker itself to a broken layout, so that
// a rule table that matches everything cannot pass unnoticed.
func TestRulesCanFail(t *testing.T) {
	for _, c := range []struct {
		pkg, imp string
		want     bool
	}{
		{"sandbox/routing", "sandbox", false},
		{"sandbox", "sandbox/broker", false},
		{"sandbox", "sandbox/routing", true},
		{"sandbox/broker/wire", "sandbox/routing", true},
		{"scenarios", "tui", false},
		{"tui", "sandbox/broker", false},
		{"tui/diagram", "sandbox/routing", true},
		{"warrentest", "tui", false},
		{"internal/cli", "tui", true},
	} {
		allowed, ok := rulesFor(c.pkg)
		if got := ok && anyMatches(allowed, c.imp); got != c.want {
			t.Errorf("%s importing %s: allowed = %v, want %v", c.pkg, c.imp, got, c.want)
		}
	}
	if anyMatches(external["github.com/rivo/tview"], "internal/cli") {
		t.Error("the CLI may not import tview")
	}
}
