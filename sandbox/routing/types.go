package routing

// Table is an AMQP field table (message headers, binding and declaration
// arguments). Values are nil (void), bool, int8, int16, int32, int64, uint8,
// uint16, uint32, float32, float64, string, []byte, time.Time, Decimal,
// Table and []any -- the types amqp091-go uses on the wire.
type Table map[string]any

// Decimal is an AMQP decimal value: Value / 10^Scale.
type Decimal struct {
	Scale uint8
	Value int32
}

// ExchangeType is one of the four exchange types RabbitMQ ships.
type ExchangeType string

const (
	Direct  ExchangeType = "direct"
	Fanout  ExchangeType = "fanout"
	Topic   ExchangeType = "topic"
	Headers ExchangeType = "headers"
)

// DestinationType says whether a binding's destination is a queue or an
// exchange (an exchange-to-exchange binding).
type DestinationType string

const (
	ToQueue    DestinationType = "queue"
	ToExchange DestinationType = "exchange"
)

// Topology is a set of exchanges, queues and bindings, shaped like the
// exchanges/queues/bindings sections of RabbitMQ's definitions.json so that
// an export can become a scenario and back. The default exchange ("") is
// implicit and must not be listed.
type Topology struct {
	Exchanges []Exchange `yaml:"exchanges,omitempty" json:"exchanges,omitempty"`
	Queues    []Queue    `yaml:"queues,omitempty" json:"queues,omitempty"`
	Bindings  []Binding  `yaml:"bindings,omitempty" json:"bindings,omitempty"`
}

// Exchange is an exchange declaration. The alternate exchange, when there
// is one, is Arguments["alternate-exchange"] (see AlternateExchange).
type Exchange struct {
	Name       string       `yaml:"name" json:"name"`
	Type       ExchangeType `yaml:"type" json:"type"`
	Durable    bool         `yaml:"durable,omitempty" json:"durable"`
	AutoDelete bool         `yaml:"auto_delete,omitempty" json:"auto_delete"`
	Internal   bool         `yaml:"internal,omitempty" json:"internal"`
	Arguments  Table        `yaml:"arguments,omitempty" json:"arguments,omitempty"`
}

// AlternateExchange returns the name of the exchange's alternate exchange,
// or "" when it has none.
func (x Exchange) AlternateExchange() string {
	if s, ok := x.Arguments["alternate-exchange"].(string); ok {
		return s
	}
	return ""
}

// Queue is a queue declaration.
type Queue struct {
	Name       string `yaml:"name" json:"name"`
	Durable    bool   `yaml:"durable,omitempty" json:"durable"`
	AutoDelete bool   `yaml:"auto_delete,omitempty" json:"auto_delete"`
	Exclusive  bool   `yaml:"exclusive,omitempty" json:"exclusive,omitempty"`
	Arguments  Table  `yaml:"arguments,omitempty" json:"arguments,omitempty"`
}

// Binding binds Source (an exchange) to Destination (a queue or, with
// DestinationType "exchange", another exchange).
type Binding struct {
	Source          string          `yaml:"source" json:"source"`
	Destination     string          `yaml:"destination" json:"destination"`
	DestinationType DestinationType `yaml:"destination_type,omitempty" json:"destination_type"`
	RoutingKey      string          `yaml:"routing_key,omitempty" json:"routing_key"`
	Arguments       Table           `yaml:"arguments,omitempty" json:"arguments,omitempty"`
}

// Message is what the model routes: where it is published and what it
// carries that routing can look at.
type Message struct {
	Exchange   string
	RoutingKey string
	Headers    Table
	Mandatory  bool
}

// Fate is what became of a message that reached no queue, or "routed".
type Fate string

const (
	Routed    Fate = "routed"    // at least one queue got a copy
	Dropped   Fate = "dropped"   // unroutable and not mandatory: silently discarded
	Returned  Fate = "returned"  // unroutable and mandatory: basic.return 312 NO_ROUTE
	Alternate Fate = "alternate" // reached queues only through an alternate exchange
)

// Verdict is the model's decision about one binding it considered.
type Verdict struct {
	Binding Binding
	Matched bool
	// Reason is short and human: "'*' matched 'orange'",
	// "'lazy' != 'quick' at word 1", "x-match=all: header 'format' missing".
	Reason string
}

// Result answers where a message goes and why.
type Result struct {
	// Queues are the destination queues, sorted, each at most once.
	Queues []string
	// Fate sums up the outcome.
	Fate Fate
	// Verdicts lists every binding considered, in the order considered,
	// across all exchanges visited (exchange-to-exchange bindings included).
	Verdicts []Verdict
	// Exchanges lists the exchanges visited, in order, starting with the one
	// published to.
	Exchanges []string
	// AlternateExchanges lists the alternate exchanges that were used, in order.
	AlternateExchanges []string
	// Notes are human remarks about the route as a whole ("default exchange:
	// routing key 'tasks' names queue 'tasks'", "exchange 'x' visited twice:
	// cycle ignored").
	Notes []string
	// Err is set when the publish itself would fail, e.g. the exchange does not
	// exist (404 NOT_FOUND on the channel).
	Err error
}
