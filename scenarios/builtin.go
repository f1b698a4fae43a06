package scenarios

import (
	"embed"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
)

//go:embed builtin/*.yaml
var builtinFS embed.FS

// builtinOrder is the order Builtins lists them in: from the simplest
// exchange to the whole microservice flow. Files not named here follow,
// sorted.
var builtinOrder = []string{"direct", "fanout", "topic", "headers", "user-update", "unroutable",
	"priority", "retry-with-ttl", "poison-message", "single-active-consumer", "stream-replay", "rpc", "durability",
	"quiz-exchanges", "quiz-topic", "quiz-headers", "quiz-unroutable", "quiz-work-queue"}

var (
	builtinOnce sync.Once
	builtins    []Scenario
	builtinErr  error
)

func loadBuiltins() {
	files, err := fs.Glob(builtinFS, "builtin/*.yaml")
	if err != nil {
		builtinErr = err
		return
	}
	rank := func(f string) int {
		name := strings.TrimSuffix(path.Base(f), ".yaml")
		for i, n := range builtinOrder {
			if n == name {
				return i
			}
		}
		return len(builtinOrder)
	}
	sort.SliceStable(files, func(i, j int) bool {
		ri, rj := rank(files[i]), rank(files[j])
		if ri != rj {
			return ri < rj
		}
		return files[i] < files[j]
	})
	for _, f := range files {
		data, err := builtinFS.ReadFile(f)
		if err != nil {
			builtinErr = err
			continue
		}
		sc, err := Parse(f, data)
		if err != nil {
			// A test holds every built-in valid; a broken one is left out
			// rather than taking the program down.
			builtinErr = err
			continue
		}
		builtins = append(builtins, *sc)
	}
}

// Builtins returns the built-in scenarios in a stable order (see
// builtinOrder). Each call returns fresh copies of the slices' headers;
// treat the scenarios as read-only.
func Builtins() []Scenario {
	builtinOnce.Do(loadBuiltins)
	return append([]Scenario(nil), builtins...)
}

// BuiltinNames returns the built-in scenarios' names, in order.
func BuiltinNames() []string {
	var names []string
	for _, sc := range Builtins() {
		names = append(names, sc.Name)
	}
	return names
}

// builtinError is the first error met loading the built-ins (tests).
func builtinError() error {
	builtinOnce.Do(loadBuiltins)
	return builtinErr
}
