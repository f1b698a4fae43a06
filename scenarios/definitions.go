package scenarios

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/warrenmq/warren/sandbox/definitions"
	"github.com/warrenmq/warren/sandbox/routing"
)

// A RabbitMQ definitions file (rabbitmqadmin export, GET
// /api/definitions) opens as a scenario: its exchanges, queues and
// bindings, no steps, publishing left to the person. Parse and LoadFile
// take one wherever they take a scenario, so the TUI, warren diagram and
// warren run open it alike.

// parseDefinitions makes a scenario of a definitions file's topology in
// one vhost: "/" when it has entities there or is one vhost's
// definitions, else the only vhost that has entities.
func parseDefinitions(file string, data []byte) (*Scenario, error) {
	d, err := definitions.Parse(file, data)
	if err != nil {
		var le LoadErrors
		var des definitions.Errors
		if asErrors(err, &des) {
			for _, e := range des {
				le = append(le, &LoadError{File: e.File, Line: e.Line, Msg: strings.TrimPrefix(e.Where+": "+e.Msg, ": ")})
			}
			return nil, le
		}
		return nil, LoadErrors{{File: file, Msg: err.Error()}}
	}
	vhost, err := d.PickVHost("")
	if err != nil {
		return nil, LoadErrors{{File: file, Msg: err.Error() + " (export one vhost: rabbitmqadmin -V VHOST export FILE, or warren definitions export --vhost VHOST FILE)"}}
	}
	top := d.Topology(vhost)
	var errs LoadErrors
	fail := func(format string, a ...any) {
		errs = append(errs, &LoadError{File: file, Msg: fmt.Sprintf(format, a...)})
	}
	for _, x := range top.Exchanges {
		if !routing.IsKnownExchangeType(x.Type) {
			fail("exchange %q has type %q, a plugin's: Warren models direct, fanout, topic and headers (warren explain routes around it)", x.Name, x.Type)
		}
	}
	for _, q := range top.Queues {
		if strings.HasPrefix(q.Name, "amq.") {
			fail("queue %q: a server-named queue, which no client may declare by name; leave it out of the file", q.Name)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	name := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	from := d.ProductName
	if from == "" {
		from = "RabbitMQ"
	}
	if d.ProductVersion != "" {
		from += " " + d.ProductVersion
	}
	return &Scenario{
		Name:     name,
		Title:    fmt.Sprintf("Definitions of vhost %s (%s)", vhost, from),
		About:    fmt.Sprintf("The topology of %s: %d exchanges, %d queues and %d bindings. It has no steps: publish and see where messages go.", filepath.Base(file), len(top.Exchanges), len(top.Queues), len(top.Bindings)),
		File:     file,
		Topology: top,
	}, nil
}

func asErrors(err error, target *definitions.Errors) bool {
	es, ok := err.(definitions.Errors)
	if ok {
		*target = es
	}
	return ok
}

// ToDefinitions is a scenario's topology as one vhost's definitions, the
// file RabbitMQ imports (rabbitmqadmin import, POST /api/definitions):
// what `warren definitions export --scenario` writes. It opens again as
// the same topology, but for the widths of integer arguments: JSON has
// one kind of number, and RabbitMQ imports every integer as a long (the
// routing of headers never looks at widths). Steps and consumers are a
// scenario's own and stay in its file.
func ToDefinitions(sc *Scenario) definitions.VHostDefinitions {
	d := definitions.Empty()
	d.Exchanges, d.Queues, d.Bindings = definitions.FromTopology("", sc.Topology)
	return d.ForVHost("")
}
