package definitions

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/warrenmq/warren/sandbox/routing"
)

// maxFileSize bounds what ParseFile reads: a definitions file of a
// broker with tens of thousands of queues is a few MiB.
const maxFileSize = 64 << 20

// Error is one thing wrong in a definitions file, where it is (a line
// when the JSON itself is at fault, else the entry: "bindings[3]") and
// what to do about it.
type Error struct {
	File  string
	Line  int
	Where string
	Msg   string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Where != "" {
		b.WriteString(": " + e.Where)
	}
	b.WriteString(": " + e.Msg)
	return b.String()
}

// Errors is every problem found in one file.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// ParseFile reads and parses a definitions file.
func ParseFile(path string) (*Definitions, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file: give a definitions.json", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("%s is over %d MiB: not a definitions file", path, maxFileSize>>20)
	}
	return Parse(path, data)
}

// Looks reports whether data looks like a definitions file rather than a
// scenario: a JSON object with one of the keys only definitions have.
func Looks(data []byte) bool {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return false
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) != nil {
		return false
	}
	for _, k := range []string{"rabbit_version", "rabbitmq_version", "exchanges", "queues", "bindings", "vhosts", "users"} {
		if _, ok := top[k]; ok {
			return true
		}
	}
	return false
}

// Parse reads definitions from data, whole-broker or one vhost's (then
// the entities' VHost is ""), and checks them as RabbitMQ's import would:
// names given, binding destination types, no duplicates, bindings between
// exchanges and queues that exist (or that every vhost has: amq.*).
// file names it in errors.
func Parse(file string, data []byte) (*Definitions, error) {
	var d Definitions
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&d); err != nil {
		return nil, Errors{jsonError(file, data, err)}
	}
	if dec.More() {
		off := dec.InputOffset()
		return nil, Errors{{File: file, Line: lineAt(data, off), Msg: "more JSON after the definitions object: one object per file"}}
	}
	d.normalise()
	if errs := d.check(file); len(errs) > 0 {
		return nil, errs
	}
	return &d, nil
}

func jsonError(file string, data []byte, err error) *Error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return &Error{File: file, Line: lineAt(data, se.Offset), Msg: "not valid JSON: " + se.Error()}
	case errors.As(err, &te):
		where := te.Field
		if where == "" {
			return &Error{File: file, Line: lineAt(data, te.Offset), Msg: "a definitions file is one JSON object (as rabbitmqadmin export writes it), not a " + te.Value}
		}
		return &Error{File: file, Line: lineAt(data, te.Offset), Where: where, Msg: fmt.Sprintf("a %s where %s was expected", te.Value, jsonKind(te.Type.String()))}
	case errors.Is(err, io.EOF):
		return &Error{File: file, Msg: "the file is empty: export definitions with rabbitmqadmin export FILE or GET /api/definitions"}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &Error{File: file, Line: lineAt(data, int64(len(data))), Msg: "the JSON ends early: the file is cut short"}
	}
	return &Error{File: file, Msg: err.Error()}
}

func jsonKind(goType string) string {
	switch {
	case goType == "string":
		return "a string"
	case goType == "bool":
		return "true or false"
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	}
	return "an object"
}

func lineAt(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	return bytes.Count(data[:off], []byte("\n")) + 1
}

// normalise turns the decoder's json.Numbers and maps into AMQP values,
// and fills what RabbitMQ takes as given when it is missing.
func (d *Definitions) normalise() {
	for i := range d.Queues {
		d.Queues[i].Arguments = normTable(d.Queues[i].Arguments)
	}
	for i := range d.Exchanges {
		d.Exchanges[i].Arguments = normTable(d.Exchanges[i].Arguments)
	}
	for i := range d.Bindings {
		b := &d.Bindings[i]
		b.Arguments = normTable(b.Arguments)
		if b.DestinationType == "" {
			b.DestinationType = "queue"
		}
	}
}

// normTable converts a decoded table; an empty one is nil, as a scenario
// without arguments has none.
func normTable(t routing.Table) routing.Table {
	if len(t) == 0 {
		return nil
	}
	out := make(routing.Table, len(t))
	for k, v := range t {
		out[k] = FromJSON(v)
	}
	return out
}

// check finds what RabbitMQ's import would refuse.
func (d *Definitions) check(file string) Errors {
	var errs Errors
	fail := func(where, format string, a ...any) {
		errs = append(errs, &Error{File: file, Where: where, Msg: fmt.Sprintf(format, a...)})
	}
	vhosts := map[string]bool{}
	for i, v := range d.VHosts {
		where := fmt.Sprintf("vhosts[%d]", i)
		switch {
		case v.Name == "":
			fail(where, "a vhost needs a name")
		case vhosts[v.Name]:
			fail(where, "vhost %q is listed twice; keep one", v.Name)
		}
		vhosts[v.Name] = true
	}
	users := map[string]bool{}
	for i, u := range d.Users {
		where := fmt.Sprintf("users[%d]", i)
		switch {
		case u.Name == "":
			fail(where, "a user needs a name")
		case users[u.Name]:
			fail(where, "user %q is listed twice; keep one", u.Name)
		}
		users[u.Name] = true
		if u.PasswordHash != "" {
			if err := CheckHash(u.PasswordHash, u.HashingAlgorithm); err != nil {
				fail(where, "user %q: %v", u.Name, err)
			}
		}
	}
	for i, p := range d.Permissions {
		where := fmt.Sprintf("permissions[%d]", i)
		if p.User == "" || p.VHost == "" {
			fail(where, "a permission needs a user and a vhost")
			continue
		}
		for _, re := range []struct{ what, re string }{{"configure", p.Configure}, {"write", p.Write}, {"read", p.Read}} {
			if _, err := CompilePermission(re.re); err != nil {
				fail(where, "%s %q: %v", re.what, re.re, err)
			}
		}
	}
	type key struct{ vhost, name string }
	exchanges := map[key]string{}
	for i, x := range d.Exchanges {
		where := fmt.Sprintf("exchanges[%d]", i)
		k := key{x.VHost, x.Name}
		switch {
		case x.Name == "":
			fail(where, "an exchange needs a name (the default exchange \"\" is implicit)")
		case x.Type == "":
			fail(where, "exchange %q needs a type (direct, fanout, topic or headers)", x.Name)
		case exchanges[k] != "":
			fail(where, "exchange %q is listed twice in vhost %q; keep one", x.Name, x.VHost)
		}
		exchanges[k] = x.Type
	}
	queues := map[key]bool{}
	for i, q := range d.Queues {
		where := fmt.Sprintf("queues[%d]", i)
		k := key{q.VHost, q.Name}
		switch {
		case q.Name == "":
			fail(where, "a queue needs a name")
		case queues[k]:
			fail(where, "queue %q is listed twice in vhost %q; keep one", q.Name, q.VHost)
		}
		queues[k] = true
	}
	for i, b := range d.Bindings {
		where := fmt.Sprintf("bindings[%d]", i)
		if b.Source == "" {
			fail(where, "binding to %q: the default exchange cannot be bound", b.Destination)
			continue
		}
		if _, ok := exchanges[key{b.VHost, b.Source}]; !ok && !Predeclared(b.Source) {
			fail(where, "source exchange %q is not among the exchanges of vhost %q", b.Source, b.VHost)
		}
		switch b.DestinationType {
		case "queue":
			if !queues[key{b.VHost, b.Destination}] {
				fail(where, "destination queue %q is not among the queues of vhost %q", b.Destination, b.VHost)
			}
		case "exchange":
			if _, ok := exchanges[key{b.VHost, b.Destination}]; !ok && !Predeclared(b.Destination) {
				fail(where, "destination exchange %q is not among the exchanges of vhost %q", b.Destination, b.VHost)
			}
		default:
			fail(where, "destination_type %q: use queue or exchange", b.DestinationType)
		}
		srcType, ok := exchanges[key{b.VHost, b.Source}]
		if !ok {
			srcType = PredeclaredExchanges[b.Source]
		}
		if srcType == "headers" {
			if _, err := routing.ParseXMatch(b.Arguments); err != nil {
				fail(where, "%v", err)
			}
		}
	}
	return errs
}

// Predeclared reports whether every vhost has an exchange of this name
// (amq.direct and the other amq.* exchanges RabbitMQ declares).
func Predeclared(name string) bool {
	_, ok := PredeclaredExchanges[name]
	return ok
}

// PredeclaredExchanges are the exchanges every vhost has, by type.
var PredeclaredExchanges = map[string]string{
	"amq.direct": "direct", "amq.fanout": "fanout", "amq.topic": "topic",
	"amq.headers": "headers", "amq.match": "headers", "amq.rabbitmq.trace": "topic",
}
