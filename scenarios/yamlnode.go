package scenarios

import (
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/warrenmq/warren/sandbox/routing"
)

// The loader walks yaml.Node trees itself rather than decoding into
// structs: every refusal then carries the line of the offending node, and
// field tables keep the AMQP width the YAML tag asks for.

// decoder collects errors of one file.
type decoder struct {
	file string
	errs []*LoadError
}

func (d *decoder) fail(n *yaml.Node, format string, a ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	if len(d.errs) < 50 {
		d.errs = append(d.errs, &LoadError{File: d.file, Line: line, Msg: fmt.Sprintf(format, a...)})
	}
}

// field is one key of a mapping.
type field struct {
	key   *yaml.Node
	value *yaml.Node
}

// mapping checks that n is a mapping whose keys are all in allowed (what
// refuses unknown fields) and unique, and returns its fields by key.
func (d *decoder) mapping(n *yaml.Node, what string, allowed ...string) map[string]field {
	n = resolve(n)
	out := map[string]field{}
	if n == nil || n.Kind != yaml.MappingNode {
		if n != nil && n.Tag == "!!null" {
			return out
		}
		d.fail(n, "%s must be a mapping (key: value lines or {key: value})", what)
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.fail(k, "%s: keys must be plain words", what)
			continue
		}
		if _, dup := out[k.Value]; dup {
			d.fail(k, "%s: %q is given twice; keep one", what, k.Value)
			continue
		}
		known := false
		for _, a := range allowed {
			if a == k.Value {
				known = true
				break
			}
		}
		if !known {
			d.fail(k, "%s: unknown field %q; the fields are %s", what, k.Value, strings.Join(allowed, ", "))
			continue
		}
		out[k.Value] = field{k, v}
	}
	return out
}

// resolve follows YAML aliases (*name) to their anchors.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func (d *decoder) seq(n *yaml.Node, what string) []*yaml.Node {
	n = resolve(n)
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.fail(n, "%s must be a list ([a, b] or lines starting with -)", what)
		return nil
	}
	out := make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		out[i] = resolve(c)
	}
	return out
}

// str reads a scalar as a string: routing keys like 1 or true stay text.
func (d *decoder) str(f field, what string) string {
	n := resolve(f.value)
	if n == nil {
		return ""
	}
	if n.Kind != yaml.ScalarNode {
		d.fail(n, "%s must be a single value, not a list or mapping", what)
		return ""
	}
	if n.Tag == "!!null" {
		return ""
	}
	return n.Value
}

func (d *decoder) boolean(f field, what string) bool {
	n := resolve(f.value)
	if n == nil {
		return false
	}
	var b bool
	if n.Kind != yaml.ScalarNode || n.Decode(&b) != nil {
		d.fail(n, "%s must be true or false, not %q", what, n.Value)
	}
	return b
}

func (d *decoder) integer(f field, what string) int {
	n := resolve(f.value)
	if n == nil {
		return 0
	}
	var i int
	if n.Kind != yaml.ScalarNode || n.Decode(&i) != nil {
		d.fail(n, "%s must be a whole number, not %q", what, n.Value)
	}
	return i
}

// The YAML tags for explicit AMQP field-table widths (documented in the
// headers scenario's about text). Untagged scalars are string, int64
// (AMQP long), float64 (double), bool or nil (void).
var widthTags = map[string]string{
	"!byte": "a signed 8-bit integer (-128..127)", "!short": "a signed 16-bit integer",
	"!int": "a signed 32-bit integer", "!long": "a signed 64-bit integer",
	"!float": "a 32-bit float", "!double": "a 64-bit float",
	"!timestamp": "a time (RFC 3339, e.g. 2024-05-01T12:00:00Z, or Unix seconds)",
	"!binary":    "bytes (base64)", "!string": "a string",
}

// table reads a field table (headers, arguments).
func (d *decoder) table(n *yaml.Node, what string) routing.Table {
	n = resolve(n)
	if n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.fail(n, "%s must be a mapping of names to values", what)
		return nil
	}
	t := routing.Table{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.fail(k, "%s: names must be plain words", what)
			continue
		}
		if _, dup := t[k.Value]; dup {
			d.fail(k, "%s: %q is given twice; keep one", what, k.Value)
			continue
		}
		if err := routing.ValidName(k.Value); err != nil {
			d.fail(k, "%s: %v", what, err)
			continue
		}
		t[k.Value] = d.value(v, fmt.Sprintf("%s %q", what, k.Value))
	}
	return t
}

// value reads one field-table value, honouring the width tags.
func (d *decoder) value(n *yaml.Node, what string) any {
	n = resolve(n)
	switch n.Kind {
	case yaml.MappingNode:
		return d.table(n, what)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			out = append(out, d.value(c, what))
		}
		return out
	}
	bad := func(kind string) any {
		d.fail(n, "%s: %q is not %s", what, n.Value, kind)
		return nil
	}
	switch n.Tag {
	case "!!str", "!string", "!!timestamp":
		// A plain 2024-05-01 is text; !timestamp asks for an AMQP timestamp.
		return n.Value
	case "!!null":
		return nil
	case "!!bool":
		var b bool
		if n.Decode(&b) != nil {
			return bad("true or false")
		}
		return b
	case "!!int", "!long":
		i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
		if err != nil {
			return bad(widthTags["!long"])
		}
		return i
	case "!!float", "!double":
		f, err := strconv.ParseFloat(n.Value, 64)
		if err != nil {
			return bad(widthTags["!double"])
		}
		return f
	case "!byte", "!short", "!int":
		bits := map[string]int{"!byte": 8, "!short": 16, "!int": 32}[n.Tag]
		i, err := strconv.ParseInt(n.Value, 0, bits)
		if err != nil {
			return bad(widthTags[n.Tag])
		}
		switch bits {
		case 8:
			return int8(i)
		case 16:
			return int16(i)
		}
		return int32(i)
	case "!float":
		f, err := strconv.ParseFloat(n.Value, 32)
		if err != nil || math.IsInf(f, 0) {
			return bad(widthTags["!float"])
		}
		return float32(f)
	case "!timestamp":
		if secs, err := strconv.ParseInt(n.Value, 10, 64); err == nil {
			return time.Unix(secs, 0).UTC()
		}
		tm, err := time.Parse(time.RFC3339, n.Value)
		if err != nil {
			return bad(widthTags["!timestamp"])
		}
		return tm.UTC()
	case "!binary", "!!binary":
		b, err := base64.StdEncoding.DecodeString(n.Value)
		if err != nil {
			return bad(widthTags["!binary"])
		}
		return b
	}
	d.fail(n, "%s: unknown tag %s; use one of !byte !short !int !long !float !double !timestamp !binary !string, or no tag", what, n.Tag)
	return nil
}
