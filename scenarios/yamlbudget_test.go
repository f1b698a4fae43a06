package scenarios

import (
	"strings"
	"testing"
	"time"
)

// The 1,084-byte file of the report: aliases nested 9 deep in
// publish.headers, a billion values once expanded. Parse refuses it at
// once, naming a line and what to do.
func TestAliasBombIsRefused(t *testing.T) {
	var b strings.Builder
	b.WriteString("name: bomb\ntitle: t\ntopology:\n  queues: [{name: q}]\nanchors:\n")
	b.WriteString("  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i <= 9; i++ {
		b.WriteString("  a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	b.WriteString("steps:\n  - publish: {exchange: \"\", routing_key: q, headers: {h: *a9}}\n    expect: [q]\n")
	start := time.Now()
	_, err := Parse("bomb.yaml", []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "YAML aliases here expand to more than") || !strings.Contains(err.Error(), "bomb.yaml:") {
		t.Fatalf("alias bomb: %v, want a refusal naming the file and line", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("refusing the alias bomb took %v", d)
	}
}

// Aliases a person writes (a header table shared by a few steps) load.
func TestModestAliasesLoad(t *testing.T) {
	src := `name: shared
title: shared headers
topology:
  exchanges: [{name: h, type: headers}]
  queues: [{name: q}]
  bindings: [{source: h, destination: q, arguments: {x-match: all, format: pdf}}]
steps:
  - publish: {exchange: h, headers: &pdf {format: pdf}}
    expect: [q]
  - publish: {exchange: h, headers: *pdf}
    expect: [q]
`
	if _, err := Parse("shared.yaml", []byte(src)); err != nil {
		t.Fatal(err)
	}
}
