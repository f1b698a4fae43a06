package cli

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/warrenmq/warren/scenarios"
)

var update = flag.Bool("update", false, "rewrite testdata/diagram/*.golden with what warren diagram prints now")

// publishArgs are the flags that publish a scenario's first step.
func publishArgs(sc scenarios.Scenario) []string {
	p := sc.Steps[0].Publish
	args := []string{"--exchange", p.Exchange, "--publish", p.RoutingKey}
	if p.Mandatory {
		args = append(args, "--mandatory")
	}
	for k, v := range p.Headers {
		args = append(args, "--header", fmt.Sprintf("%s=%v", k, v)) // the built-ins' headers in step 1 are strings
	}
	return args
}

// Golden text of warren diagram for every built-in scenario, at 80 and 120
// columns, with and without its first step's message. Run with -update
// after a deliberate change, and read the diff.
func TestDiagramGolden(t *testing.T) {
	t.Parallel()
	for _, sc := range scenarios.Builtins() {
		for _, w := range []int{80, 120} {
			for _, publish := range []bool{false, true} {
				name := fmt.Sprintf("%s-%d", sc.Name, w)
				args := []string{"diagram", sc.Name, "--width", fmt.Sprint(w)}
				if publish {
					name += "-publish"
					args = append(args, publishArgs(sc)...)
				}
				t.Run(name, func(t *testing.T) {
					stdout, stderr, code := warren(t, args...)
					if code != exitOK || stderr != "" {
						t.Fatalf("warren %s: exit %d, stderr %q", strings.Join(args, " "), code, stderr)
					}
					drawing, _, _ := strings.Cut(stdout, "\n\n")
					for i, line := range strings.Split(drawing, "\n") {
						if n := len([]rune(line)); n > w {
							t.Errorf("line %d is %d columns, over %d: %q", i+1, n, w, line)
						}
					}
					if strings.Contains(stdout, "\x1b") {
						t.Errorf("colour codes in output that is not a terminal:\n%s", stdout)
					}
					path := filepath.Join("testdata", "diagram", name+".golden")
					if *update {
						if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
							t.Fatal(err)
						}
						if err := os.WriteFile(path, []byte(stdout), 0o644); err != nil {
							t.Fatal(err)
						}
						return
					}
					want, err := os.ReadFile(path)
					if err != nil {
						t.Fatalf("%v (run go test ./internal/cli -run TestDiagramGolden -update)", err)
					}
					if stdout != string(want) {
						t.Errorf("warren %s differs from %s:\n%s", strings.Join(args, " "), path, stdout)
					}
				})
			}
		}
	}
}

// The acceptance: the topic topology with Q1 and Q2 both marked
// as receiving and lazy.# as not matching, within 80 columns.
func TestDiagramTopicQuickOrangeRabbit(t *testing.T) {
	t.Parallel()
	stdout, _, code := warren(t, "diagram", "topic", "--publish", "quick.orange.rabbit")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	diagram, _, _ := strings.Cut(stdout, "\n\n")
	for _, want := range []string{"Q1 ✓", "Q2 ✓", "✓ *.orange.*", "✓ *.*.rabbit", "✗ lazy.#", "publisher", "animals"} {
		if !strings.Contains(diagram, want) {
			t.Errorf("the diagram lacks %q:\n%s", want, diagram)
		}
	}
	for i, line := range strings.Split(diagram, "\n") {
		if n := len([]rune(line)); n > 80 {
			t.Errorf("line %d is %d columns: %q", i+1, n, line)
		}
	}
	if !strings.Contains(stdout, "✗ animals → Q2 [lazy.#]: 'lazy' != 'quick' at word 1") || !strings.HasSuffix(stdout, "→ Q1, Q2\n") {
		t.Errorf("the explanation under the diagram is not the model's:\n%s", stdout)
	}
}

func TestDiagramBadInput(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"diagram"}, "warren diagram takes one scenario name or file"},
		{[]string{"diagram", "nope"}, "the built-in scenarios are"},
		{[]string{"diagram", "topic", "--width", "5"}, "--width 5 is too narrow"},
		{[]string{"diagram", "topic", "--publish", strings.Repeat("k", 256)}, "the routing key: \"kkkkkkkkkkkkkkkkkkkk\"... is 256 bytes long"},
		{[]string{"diagram", "headers", "--header", "format"}, `--header "format": "format": write key=value`},
		{[]string{"diagram", "headers", "--header", "n:int=x"}, `n: "x" is not an int (a 32-bit integer`},
		{[]string{"diagram", "headers", "--header", "n:wide=1"}, `unknown type "wide"`},
	} {
		stdout, stderr, code := warren(t, tc.args...)
		if code != exitBadInput || !strings.Contains(stderr, tc.want) || stdout != "" {
			t.Errorf("warren %s: exit %d, stdout %q, stderr %q; want exit 2 saying %q", strings.Join(tc.args, " "), code, stdout, stderr, tc.want)
		}
	}
}
