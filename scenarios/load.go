package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/warrenmq/warren/sandbox"
	"github.com/warrenmq/warren/sandbox/definitions"
	"github.com/warrenmq/warren/sandbox/routing"
)

// LoadError is one thing wrong in a scenario file, where it is, and what to
// do about it: "topic.yaml:12: binding destination "Q3" is not a declared
// queue; declare it under topology.queues".
type LoadError struct {
	File string
	Line int
	Msg  string
}

func (e *LoadError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// LoadErrors is every problem found in one file, in file order.
type LoadErrors []*LoadError

func (es LoadErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Parse reads a scenario from data; file names it in errors. It refuses,
// with a LoadErrors, anything RabbitMQ would refuse or Warren could not
// play: unknown fields, undeclared names, bad exchange types or x-match
// values, names over 255 bytes, steps without expect, duplicates.
//
// Queues are durable unless the file says durable: false (RabbitMQ 4.3
// refuses non-durable, non-exclusive queues; Warren deletes what it
// declared anyway).
func Parse(file string, data []byte) (*Scenario, error) {
	if definitions.Looks(data) {
		return parseDefinitions(file, data) // definitions.go
	}
	d := &decoder{file: file}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			// Nothing but blanks and comments: the decoder says only "EOF".
			return nil, LoadErrors{{File: file, Msg: "the file is empty: a scenario needs name, topology and steps"}}
		}
		return nil, yamlError(file, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, LoadErrors{{File: file, Line: extra.Line, Msg: "a second YAML document (---): put one scenario per file"}}
	}
	if len(doc.Content) == 0 {
		return nil, LoadErrors{{File: file, Msg: "the file is empty: a scenario needs name, topology and steps"}}
	}
	if e := checkExpansion(file, &doc, len(data)); e != nil {
		return nil, LoadErrors{e}
	}
	sc := d.scenario(doc.Content[0])
	sc.File = file
	if len(d.errs) > 0 {
		return nil, LoadErrors(d.errs)
	}
	return sc, nil
}

// yamlError turns a YAML syntax error ("yaml: line 3: ...") into file:line.
func yamlError(file string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if n, _ := fmt.Sscanf(msg, "line %d:", &line); n == 1 {
		msg = strings.TrimSpace(msg[strings.Index(msg, ":")+1:])
	}
	return LoadErrors{{File: file, Line: line, Msg: "not valid YAML: " + msg}}
}

// maxScenarioFile bounds what LoadFile reads: scenarios are small.
const maxScenarioFile = 16 << 20

// LoadFile reads and parses a scenario file.
func LoadFile(path string) (*Scenario, error) {
	// Look before reading: a device (/dev/zero) or a FIFO would block or
	// never end, and a huge file would be read whole into memory.
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	switch {
	case fi.IsDir():
		return nil, fmt.Errorf("%s is a directory: give a scenario file (.yaml) in it, or a built-in scenario's name", path)
	case !fi.Mode().IsRegular():
		return nil, fmt.Errorf("%s is not a regular file: give a scenario file (.yaml)", path)
	case fi.Size() > maxScenarioFile:
		return nil, fmt.Errorf("%s is %d bytes: a scenario file is at most %d (16 MiB); is it the right file?", path, fi.Size(), maxScenarioFile)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	sc, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	if sc.Name == "" {
		sc.Name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	return sc, nil
}

// UnknownScenarioError is Lookup's answer for a name that is neither a
// built-in scenario nor a file.
type UnknownScenarioError struct {
	Name  string
	Names []string // the built-in scenarios
}

func (e *UnknownScenarioError) Error() string {
	return fmt.Sprintf("no scenario named %q and no such file; the built-in scenarios are: %s",
		e.Name, strings.Join(e.Names, ", "))
}

// Lookup finds a built-in scenario by name, else loads the file at that
// path.
func Lookup(nameOrPath string) (*Scenario, error) {
	for _, sc := range Builtins() {
		if sc.Name == nameOrPath {
			return &sc, nil
		}
	}
	if _, err := os.Stat(nameOrPath); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, &UnknownScenarioError{Name: nameOrPath, Names: BuiltinNames()}
		}
		return nil, err
	}
	return LoadFile(nameOrPath)
}

// predeclared are the exchanges every RabbitMQ vhost has.
var predeclared = map[string]routing.ExchangeType{
	"amq.direct": routing.Direct, "amq.fanout": routing.Fanout, "amq.topic": routing.Topic,
	"amq.headers": routing.Headers, "amq.match": routing.Headers,
}

// scenario decodes and checks the whole document.
func (d *decoder) scenario(root *yaml.Node) *Scenario {
	f := d.mapping(root, "scenario", "name", "title", "about", "topology", "consumers", "unobserved", "steps")
	sc := &Scenario{
		Name:  d.str(f["name"], "name"),
		Title: terminalText(d.str(f["title"], "title")),
		About: terminalText(d.str(f["about"], "about")),
	}
	if n := f["name"].value; n != nil {
		d.name(n, sc.Name, "scenario name")
	}
	if f["topology"].value == nil {
		d.fail(root, "no topology: declare exchanges, queues and bindings under topology:")
	}
	xs, qs := d.topology(f["topology"].value, &sc.Topology)
	sc.Consumers = d.consumers(f["consumers"].value, qs)
	for _, qn := range d.seq(f["unobserved"].value, "unobserved") {
		switch {
		case qn.Kind != yaml.ScalarNode:
			d.fail(qn, "unobserved lists queue names")
		case !qs[qn.Value]:
			d.fail(qn, "unobserved names queue %q, which is not declared; declare it under topology.queues", qn.Value)
		}
		for _, c := range sc.Consumers {
			if c.Queue == qn.Value {
				d.fail(qn, "queue %q is unobserved but consumer %q reads it; drop one of the two", qn.Value, c.Name)
			}
		}
		sc.Unobserved = append(sc.Unobserved, qn.Value)
	}
	if f["steps"].value == nil {
		d.fail(root, "no steps: add steps, each with publish and expect")
	}
	d.steps(f["steps"].value, sc, xs, qs)
	return sc
}

// name checks an AMQP name or routing key.
func (d *decoder) name(n *yaml.Node, s, what string) {
	if err := routing.ValidName(s); err != nil {
		d.fail(n, "%s: %v; shorten it", what, err)
	}
}

func (d *decoder) topology(n *yaml.Node, t *routing.Topology) (xs map[string]*routing.Exchange, qs map[string]bool) {
	f := d.mapping(n, "topology", "exchanges", "queues", "bindings")
	xs, qs = map[string]*routing.Exchange{}, map[string]bool{}
	for _, xn := range d.seq(f["exchanges"].value, "topology.exchanges") {
		xf := d.mapping(xn, "exchange", "name", "type", "durable", "auto_delete", "internal", "arguments", "vhost")
		x := routing.Exchange{
			Name:       d.str(xf["name"], "exchange name"),
			Type:       routing.ExchangeType(d.str(xf["type"], "exchange type")),
			Durable:    d.boolean(xf["durable"], "durable"),
			AutoDelete: d.boolean(xf["auto_delete"], "auto_delete"),
			Internal:   d.boolean(xf["internal"], "internal"),
			Arguments:  d.table(xf["arguments"].value, "exchange arguments"),
		}
		switch {
		case x.Name == "":
			d.fail(xn, "an exchange needs a name (the default exchange \"\" is implicit: do not declare it)")
		case strings.HasPrefix(x.Name, "amq."):
			d.fail(xf["name"].value, "exchange %q: the amq. prefix is reserved by the broker (403 ACCESS_REFUSED); pick another name", x.Name)
		case xs[x.Name] != nil:
			d.fail(xf["name"].value, "exchange %q is declared twice; keep one", x.Name)
		default:
			d.name(xf["name"].value, x.Name, "exchange name")
		}
		if !routing.IsKnownExchangeType(x.Type) {
			at := xf["type"].value
			if at == nil {
				at = xn
			}
			d.fail(at, "exchange %q: unknown exchange type %q; use direct, fanout, topic or headers", x.Name, x.Type)
		}
		if ae, ok := x.Arguments["alternate-exchange"]; ok {
			if _, isStr := ae.(string); !isStr {
				d.fail(xf["arguments"].value, "exchange %q: alternate-exchange must be an exchange name", x.Name)
			}
		}
		t.Exchanges = append(t.Exchanges, x)
		if _, dup := xs[x.Name]; !dup {
			xs[x.Name] = &t.Exchanges[len(t.Exchanges)-1]
		}
	}
	// Pointers into t.Exchanges stay valid only once it stops growing.
	for i := range t.Exchanges {
		xs[t.Exchanges[i].Name] = &t.Exchanges[i]
	}
	for _, qn := range d.seq(f["queues"].value, "topology.queues") {
		qf := d.mapping(qn, "queue", "name", "durable", "auto_delete", "exclusive", "arguments", "vhost", "type")
		q := routing.Queue{
			Name:       d.str(qf["name"], "queue name"),
			Durable:    true,
			AutoDelete: d.boolean(qf["auto_delete"], "auto_delete"),
			Exclusive:  d.boolean(qf["exclusive"], "exclusive"),
			Arguments:  d.table(qf["arguments"].value, "queue arguments"),
		}
		if _, given := qf["durable"]; given {
			q.Durable = d.boolean(qf["durable"], "durable")
		}
		if typ := d.str(qf["type"], "queue type"); typ != "" {
			if typ != "classic" && typ != "quorum" && typ != "stream" {
				d.fail(qf["type"].value, "queue %q: type %q; use classic, quorum or stream", q.Name, typ)
			} else if typ != "classic" {
				if q.Arguments == nil {
					q.Arguments = routing.Table{}
				}
				q.Arguments["x-queue-type"] = typ
			}
		}
		switch {
		case q.Name == "":
			d.fail(qn, "a queue needs a name (Warren does not use server-named queues)")
		case strings.HasPrefix(q.Name, "amq."):
			d.fail(qf["name"].value, "queue %q: the amq. prefix is reserved by the broker (403 ACCESS_REFUSED); pick another name", q.Name)
		case qs[q.Name]:
			d.fail(qf["name"].value, "queue %q is declared twice; keep one", q.Name)
		default:
			d.name(qf["name"].value, q.Name, "queue name")
		}
		qs[q.Name] = true
		t.Queues = append(t.Queues, q)
	}
	for _, bn := range d.seq(f["bindings"].value, "topology.bindings") {
		bf := d.mapping(bn, "binding", "source", "destination", "destination_type", "routing_key", "arguments", "vhost")
		b := routing.Binding{
			Source:          d.str(bf["source"], "binding source"),
			Destination:     d.str(bf["destination"], "binding destination"),
			DestinationType: routing.DestinationType(d.str(bf["destination_type"], "destination_type")),
			RoutingKey:      d.str(bf["routing_key"], "routing_key"),
			Arguments:       d.table(bf["arguments"].value, "binding arguments"),
		}
		at := func(k string) *yaml.Node {
			if n := bf[k].value; n != nil {
				return n
			}
			return bn
		}
		srcType, srcOK := predeclared[b.Source]
		if x := xs[b.Source]; x != nil {
			srcType, srcOK = x.Type, true
		}
		switch {
		case b.Source == "":
			d.fail(at("source"), "binding to %q: the default exchange cannot be bound (403 ACCESS_REFUSED); bind from a declared exchange", b.Destination)
		case !srcOK:
			d.fail(at("source"), "binding source %q is not a declared exchange; declare it under topology.exchanges", b.Source)
		}
		switch b.DestinationType {
		case "", routing.ToQueue:
			b.DestinationType = routing.ToQueue
			if !qs[b.Destination] {
				d.fail(at("destination"), "binding destination %q is not a declared queue; declare it under topology.queues (or say destination_type: exchange)", b.Destination)
			}
		case routing.ToExchange:
			if _, pre := predeclared[b.Destination]; xs[b.Destination] == nil && !pre {
				d.fail(at("destination"), "binding destination %q is not a declared exchange; declare it under topology.exchanges", b.Destination)
			}
		default:
			d.fail(at("destination_type"), "destination_type %q: use queue or exchange", b.DestinationType)
		}
		d.name(at("routing_key"), b.RoutingKey, "binding routing key")
		if srcOK && srcType == routing.Headers {
			if _, err := routing.ParseXMatch(b.Arguments); err != nil {
				d.fail(at("arguments"), "binding %s -> %s: x-match %v; use all, any, all-with-x or any-with-x", b.Source, b.Destination, xMatchValue(b.Arguments))
			}
		}
		t.Bindings = append(t.Bindings, b)
	}
	return xs, qs
}

func xMatchValue(args routing.Table) string {
	if s, ok := args["x-match"].(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return routing.FormatValue(args["x-match"]) + " (not a string)"
}

func (d *decoder) consumers(n *yaml.Node, qs map[string]bool) []Consumer {
	var out []Consumer
	names := map[string]bool{}
	nodes := d.seq(n, "consumers")
	for _, cn := range nodes {
		cf := d.mapping(cn, "consumer", "name", "queue", "prefetch", "ack", "arguments", "paused", "reply")
		c := Consumer{
			Name:      d.str(cf["name"], "consumer name"),
			Queue:     d.str(cf["queue"], "consumer queue"),
			Prefetch:  d.integer(cf["prefetch"], "prefetch"),
			Ack:       d.str(cf["ack"], "ack"),
			Arguments: d.table(cf["arguments"].value, "consumer arguments"),
			Paused:    d.boolean(cf["paused"], "paused"),
			Reply:     d.str(cf["reply"], "reply"),
		}
		switch {
		case c.Name == "":
			d.fail(cn, "a consumer needs a name (it is also its consumer tag)")
		case names[c.Name]:
			d.fail(cf["name"].value, "consumer %q is declared twice; keep one", c.Name)
		default:
			d.name(cf["name"].value, c.Name, "consumer name")
		}
		names[c.Name] = true
		if c.Queue == sandbox.DirectReplyTo {
			// direct reply-to's pseudo-queue: never declared; its consumer
			// must not ack (RabbitMQ: 406 reply consumer cannot acknowledge)
			if c.Ack != "" && c.Ack != "auto" {
				d.fail(cf["ack"].value, "consumer %q reads %s, whose consumer cannot acknowledge: use ack: auto", c.Name, c.Queue)
			}
		} else if !qs[c.Queue] {
			at := cf["queue"].value
			if at == nil {
				at = cn
			}
			d.fail(at, "consumer %q: queue %q is not a declared queue; declare it under topology.queues", c.Name, c.Queue)
		}
		if c.Prefetch < 0 || c.Prefetch > 65535 {
			d.fail(cf["prefetch"].value, "consumer %q: prefetch %d; use 0 (unlimited) to 65535", c.Name, c.Prefetch)
		}
		if c.Ack != "" && c.Ack != "auto" && c.Ack != "manual" && c.Ack != "nack-requeue" && c.Ack != AckHold {
			d.fail(cf["ack"].value, "consumer %q: ack %q; use auto, manual, nack-requeue or hold", c.Name, c.Ack)
		}
		out = append(out, c)
	}
	// A queue without a scenario consumer gets an observer named after it.
	watched := map[string]bool{}
	for _, c := range out {
		watched[c.Queue] = true
	}
	for i, cn := range nodes {
		if c := out[i]; qs[c.Name] && !watched[c.Name] && c.Name != c.Queue {
			d.fail(cn, "consumer %q has the name of queue %q, whose observer consumer is named so; rename the consumer", c.Name, c.Name)
		}
	}
	return out
}
