package definitions

import (
	"encoding/json"

	"github.com/warrenmq/warren/sandbox/routing"
)

// Definitions is a whole broker's definitions, as GET /api/definitions
// answers them. The version fields say which broker exported them.
type Definitions struct {
	RabbitVersion    string            `json:"rabbit_version,omitempty"`
	RabbitMQVersion  string            `json:"rabbitmq_version,omitempty"`
	ProductName      string            `json:"product_name,omitempty"`
	ProductVersion   string            `json:"product_version,omitempty"`
	Users            []User            `json:"users"`
	VHosts           []VHost           `json:"vhosts"`
	Permissions      []Permission      `json:"permissions"`
	TopicPermissions []json.RawMessage `json:"topic_permissions"`
	Parameters       []json.RawMessage `json:"parameters"`
	GlobalParameters []json.RawMessage `json:"global_parameters"`
	Policies         []json.RawMessage `json:"policies"`
	Queues           []Queue           `json:"queues"`
	Exchanges        []Exchange        `json:"exchanges"`
	Bindings         []Binding         `json:"bindings"`
}

// User is a user: its name, RabbitMQ's salted password hash and the
// algorithm that made it, and its tags (administrator, monitoring,
// management, policymaker, impersonator). On import a plain Password may
// stand instead of the hash, as RabbitMQ accepts.
type User struct {
	Name             string          `json:"name"`
	Password         string          `json:"password,omitempty"`
	PasswordHash     string          `json:"password_hash"`
	HashingAlgorithm string          `json:"hashing_algorithm"`
	Tags             Tags            `json:"tags"`
	Limits           json.RawMessage `json:"limits,omitempty"`
}

// Tags are a user's tags. RabbitMQ exports them as a list since 3.9 and
// as one comma-separated string before; both are read.
type Tags []string

// VHost is a virtual host. RabbitMQ 3.10 exports the name alone; newer
// versions add a description, tags and metadata, kept in Other.
type VHost struct {
	Name     string          `json:"name"`
	Metadata json.RawMessage `json:"metadata,omitempty"`
	Limits   json.RawMessage `json:"limits,omitempty"`
	// Other keeps the fields of newer RabbitMQs (description, tags,
	// default_queue_type) as they were read, to be written back.
	Other map[string]json.RawMessage `json:"-"`
}

// Permission is what a user may do in a vhost: three regular expressions
// matched against resource names ("" matches nothing, ".*" everything).
type Permission struct {
	User      string `json:"user"`
	VHost     string `json:"vhost"`
	Configure string `json:"configure"`
	Write     string `json:"write"`
	Read      string `json:"read"`
}

// Queue is a queue declaration. VHost is empty in one vhost's definitions.
// Type is RabbitMQ 3.13+'s "type" field; older exports say x-queue-type
// in the arguments, or nothing for a classic queue.
type Queue struct {
	Name       string        `json:"name"`
	VHost      string        `json:"vhost,omitempty"`
	Type       string        `json:"type,omitempty"`
	Durable    bool          `json:"durable"`
	AutoDelete bool          `json:"auto_delete"`
	Arguments  routing.Table `json:"arguments"`
}

// Exchange is an exchange declaration.
type Exchange struct {
	Name       string        `json:"name"`
	VHost      string        `json:"vhost,omitempty"`
	Type       string        `json:"type"`
	Durable    bool          `json:"durable"`
	AutoDelete bool          `json:"auto_delete"`
	Internal   bool          `json:"internal"`
	Arguments  routing.Table `json:"arguments"`
}

// Binding binds an exchange (Source) to a queue or an exchange.
type Binding struct {
	Source          string        `json:"source"`
	VHost           string        `json:"vhost,omitempty"`
	Destination     string        `json:"destination"`
	DestinationType string        `json:"destination_type"`
	RoutingKey      string        `json:"routing_key"`
	Arguments       routing.Table `json:"arguments"`
}

// VHostDefinitions is one vhost's definitions, as
// GET /api/definitions/{vhost} answers them: no users, vhosts or
// permissions, and no vhost field on the entities.
type VHostDefinitions struct {
	RabbitVersion string            `json:"rabbit_version,omitempty"`
	Parameters    []json.RawMessage `json:"parameters"`
	Policies      []json.RawMessage `json:"policies"`
	Queues        []Queue           `json:"queues"`
	Exchanges     []Exchange        `json:"exchanges"`
	Bindings      []Binding         `json:"bindings"`
}
