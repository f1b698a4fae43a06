package routing

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// maxNotationDepth bounds how deeply tables and arrays nest in text that
// ParseTable reads.
const maxNotationDepth = 32

// maxFieldName is AMQP's limit on a field-table key (a shortstr).
const maxFieldName = 255

// ParseTable reads the notation FormatTable writes (see notation.go):
// "format=pdf, n:int=5, note=\"a, b\"". Blank text is no table (nil). An
// error says which key is wrong and what to write instead.
func ParseTable(s string) (Table, error) {
	p := &notationParser{s: s}
	t, err := p.pairs(0, "", 0)
	if err != nil {
		return nil, err
	}
	if len(t) == 0 {
		return nil, nil
	}
	return t, nil
}

type notationParser struct {
	s string
	i int
}

func (p *notationParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

// at reports whether the next byte is close; close 0 is the end of the text.
func (p *notationParser) at(close byte) bool {
	if close == 0 {
		return p.i >= len(p.s)
	}
	return p.i < len(p.s) && p.s[p.i] == close
}

func (p *notationParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

// pairs reads key=value pairs up to close ('}' for a nested table, 0 for
// the end of the text). path names the enclosing table in errors.
func (p *notationParser) pairs(close byte, path string, depth int) (Table, error) {
	t := Table{}
	for {
		p.space()
		if p.at(close) {
			return t, nil
		}
		if p.i >= len(p.s) {
			return nil, fmt.Errorf("%s: a '{' is not closed", strings.TrimSuffix(path, "."))
		}
		if p.peek() == ',' {
			p.i++ // an empty pair (a, , b or a trailing comma) is nothing
			continue
		}
		start := p.i
		k, err := p.key()
		if err != nil {
			return nil, err
		}
		name := path + formatKey(k)
		p.space()
		typ := ""
		switch p.peek() {
		case ':':
			p.i++
			p.space()
			typ = p.word()
			p.space()
			if p.peek() != '=' {
				return nil, fmt.Errorf("%s: write %s:type=value (e.g. n:int=5), types are %s", name, formatKey(k), notationTypes)
			}
			p.i++
		case '=':
			p.i++
		default:
			return nil, fmt.Errorf("%q: write key=value (e.g. format=pdf, n:int=5)", strings.TrimSpace(p.s[start:p.scanTo(",")]))
		}
		if len(k) > maxFieldName {
			return nil, fmt.Errorf("%s...: a key is at most %d bytes in AMQP, this one is %d", formatKey(k[:20]), maxFieldName, len(k))
		}
		if _, dup := t[k]; dup {
			return nil, fmt.Errorf("%s is given twice; keep one", name)
		}
		v, err := p.value(typ, name, depth+1)
		if err != nil {
			return nil, err
		}
		t[k] = v
		if err := p.separator(close, name); err != nil {
			return nil, err
		}
	}
}

// separator expects a ',' or the close after a pair or an element.
func (p *notationParser) separator(close byte, name string) error {
	p.space()
	switch {
	case p.at(close):
		return nil
	case p.i >= len(p.s):
		return fmt.Errorf("%s: a '%c' is not closed", name, opening(close))
	case p.peek() == ',':
		p.i++
		return nil
	default:
		return fmt.Errorf("%s: unexpected %q after the value; separate pairs with ',' and put a value holding , \" { } [ ] in double quotes", name, p.peek())
	}
}

func opening(close byte) byte {
	if close == ']' {
		return '['
	}
	return '{'
}

// key reads a key: plain up to '=' or ':', or in double quotes.
func (p *notationParser) key() (string, error) {
	if p.peek() == '"' {
		return p.quoted("key")
	}
	start := p.i
	end := p.scanTo("=:,{}[]\"")
	k := strings.TrimSpace(p.s[start:end])
	p.i = end
	switch c := p.peek(); {
	case k == "" && (c == '=' || c == ':'):
		return "", fmt.Errorf("%q: the key is missing before the '%c' (an empty key is written \"\")", p.s[start:min(len(p.s), end+8)], c)
	case c == '{' || c == '}' || c == '[' || c == ']' || c == '"':
		return "", fmt.Errorf("key %q: a key holding %q must be in double quotes", k+string(c), c)
	}
	return k, nil
}

// word reads a type name.
func (p *notationParser) word() string {
	start := p.i
	for p.i < len(p.s) && (p.s[p.i] >= 'a' && p.s[p.i] <= 'z' || p.s[p.i] >= 'A' && p.s[p.i] <= 'Z') {
		p.i++
	}
	return p.s[start:p.i]
}

// scanTo is the index of the first byte of stop at or after p.i, or the
// end of the text.
func (p *notationParser) scanTo(stop string) int {
	if j := strings.IndexAny(p.s[p.i:], stop); j >= 0 {
		return p.i + j
	}
	return len(p.s)
}

// quoted reads a Go double-quoted string.
func (p *notationParser) quoted(what string) (string, error) {
	q, err := strconv.QuotedPrefix(p.s[p.i:])
	if err != nil {
		rest := p.s[p.i:]
		if len(rest) > 24 {
			rest = rest[:24] + "..."
		}
		return "", fmt.Errorf("%s %s: a '\"' is not closed, or an escape in it is wrong (write \\\" for a quote, \\\\ for a backslash)", what, rest)
	}
	p.i += len(q)
	s, _ := strconv.Unquote(q) // QuotedPrefix accepted it
	return s, nil
}

// raw reads an unquoted value up to ',' or a bracket, trimmed.
func (p *notationParser) raw(name string) (string, error) {
	start := p.i
	end := p.scanTo(",{}[]\"")
	p.i = end
	if c := p.peek(); c == '{' || c == '[' || c == '"' {
		return "", fmt.Errorf("%s: a value holding %q must be in double quotes, or written as a table {...} or array [...] with its type (t:table={k=v}, a:array=[x])", name, c)
	}
	return strings.TrimSpace(p.s[start:end]), nil
}

// value reads the value of the given type (the one after ':', or "" for
// a string).
func (p *notationParser) value(typ string, name string, depth int) (any, error) {
	p.space()
	if depth > maxNotationDepth {
		return nil, fmt.Errorf("%s: tables and arrays nest more than %d deep", name, maxNotationDepth)
	}
	switch typ {
	case "", "str", "string":
		if p.peek() == '"' {
			return p.quoted(name + ":")
		}
		return p.raw(name)
	case notationTable:
		if p.peek() != '{' {
			return nil, fmt.Errorf("%s: a table is written in braces: %s:table={k=v, n:int=5}", name, name)
		}
		p.i++
		t, err := p.pairs('}', name+".", depth)
		if err != nil {
			return nil, err
		}
		if p.peek() != '}' {
			return nil, fmt.Errorf("%s: a '{' is not closed", name)
		}
		p.i++
		return t, nil
	case notationArray:
		if p.peek() != '[' {
			return nil, fmt.Errorf("%s: an array is written in brackets: %s:array=[x, :int=2]", name, name)
		}
		p.i++
		return p.elements(name, depth)
	}
	text, err := p.raw(name)
	if err != nil {
		return nil, err
	}
	v, err := scalar(typ, text)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return v, nil
}

// elements reads an array's elements after its '['.
func (p *notationParser) elements(name string, depth int) ([]any, error) {
	out := []any{}
	for n := 0; ; n++ {
		p.space()
		if p.at(']') {
			p.i++
			return out, nil
		}
		if p.i >= len(p.s) {
			return nil, fmt.Errorf("%s: a '[' is not closed", name)
		}
		elem := fmt.Sprintf("%s[%d]", name, n)
		typ := ""
		if p.peek() == ':' {
			p.i++
			p.space()
			typ = p.word()
			p.space()
			if p.peek() != '=' {
				return nil, fmt.Errorf("%s: write an element as :type=value (e.g. :int=2), or a string as itself; types are %s", elem, notationTypes)
			}
			p.i++
		} else if p.peek() == ',' {
			return nil, fmt.Errorf("%s: an element is missing before the ','; an empty string is written \"\"", elem)
		}
		v, err := p.value(typ, elem, depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		if err := p.separator(']', elem); err != nil {
			return nil, err
		}
	}
}

// scalar converts the text of a typed value that is not a string, table
// or array.
func scalar(typ, v string) (any, error) {
	integer := func(bits int, what string) (int64, error) {
		n, err := strconv.ParseInt(v, 10, bits)
		if err != nil {
			return 0, fmt.Errorf("%q is not %s", v, what)
		}
		return n, nil
	}
	unsigned := func(bits int, what string) (uint64, error) {
		n, err := strconv.ParseUint(v, 10, bits)
		if err != nil {
			return 0, fmt.Errorf("%q is not %s", v, what)
		}
		return n, nil
	}
	switch typ {
	case notationVoid:
		if v != "" {
			return nil, errors.New("a void value has no value: write k:void=")
		}
		return nil, nil
	case notationBool:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("%q is not a bool (true or false)", v)
		}
		return b, nil
	case notationByte:
		n, err := integer(8, "a byte (-128..127)")
		return int8(n), err
	case notationShort:
		n, err := integer(16, "a short (a 16-bit integer, -32768..32767)")
		return int16(n), err
	case notationInt:
		n, err := integer(32, "an int (a 32-bit integer, -2147483648..2147483647)")
		return int32(n), err
	case notationLong:
		return integer(64, "a long (a 64-bit integer)")
	case notationUByte:
		n, err := unsigned(8, "a ubyte (0..255)")
		return uint8(n), err
	case notationUShort:
		n, err := unsigned(16, "a ushort (0..65535)")
		return uint16(n), err
	case notationUInt:
		n, err := unsigned(32, "a uint (0..4294967295)")
		return uint32(n), err
	case notationFloat:
		f, err := strconv.ParseFloat(v, 32)
		if err != nil {
			return nil, fmt.Errorf("%q is not a float (a 32-bit float such as 1.5)", v)
		}
		return float32(f), nil
	case notationDouble:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a double (a 64-bit float such as 0.25)", v)
		}
		return f, nil
	case notationTimestamp:
		if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
			return time.Unix(secs, 0).UTC(), nil
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return nil, fmt.Errorf("%q is not a timestamp: write RFC 3339 (2026-01-02T03:04:05Z) or Unix seconds", v)
		}
		return time.Unix(t.Unix(), 0).UTC(), nil
	case notationBinary:
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return nil, fmt.Errorf("%q is not binary: write its bytes in standard base64 (hi is aGk=)", v)
		}
		return b, nil
	case notationDecimal:
		return parseDecimal(v)
	}
	return nil, fmt.Errorf("unknown type %q (use %s)", typ, notationTypes)
}

// parseDecimal reads digits with an optional point: 1.50 is scale 2,
// value 150.
func parseDecimal(v string) (any, error) {
	bad := fmt.Errorf("%q is not a decimal: write digits with a point (1.25), at most 9 digits in all", v)
	whole, frac, _ := strings.Cut(v, ".")
	if len(frac) > math.MaxUint8 || strings.ContainsAny(frac, "+-") {
		return nil, bad
	}
	n, err := strconv.ParseInt(whole+frac, 10, 32)
	if err != nil || whole == "" || whole == "-" || whole == "+" {
		return nil, bad
	}
	return Decimal{Scale: uint8(len(frac)), Value: int32(n)}, nil
}
