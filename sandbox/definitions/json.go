package definitions

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// UnmarshalJSON reads a list of tags or one comma-separated string.
func (t *Tags) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*t = SplitTags(s)
		return nil
	}
	var l []string
	if err := json.Unmarshal(b, &l); err != nil {
		return fmt.Errorf("tags must be a list of strings or a comma-separated string")
	}
	*t = l
	return nil
}

// MarshalJSON writes the tags as a list, never null.
func (t Tags) MarshalJSON() ([]byte, error) {
	if t == nil {
		return []byte("[]"), nil
	}
	return json.Marshal([]string(t))
}

// SplitTags splits "administrator, monitoring" into its tags.
func SplitTags(s string) Tags {
	tags := Tags{}
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			tags = append(tags, f)
		}
	}
	return tags
}

// The entities marshal their arguments as RabbitMQ writes them: {} for
// none, and AMQP values as JSON ones (ToJSON).

func (q Queue) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Name       string         `json:"name"`
		VHost      string         `json:"vhost,omitempty"`
		Type       string         `json:"type,omitempty"`
		Durable    bool           `json:"durable"`
		AutoDelete bool           `json:"auto_delete"`
		Arguments  map[string]any `json:"arguments"`
	}{q.Name, q.VHost, q.Type, q.Durable, q.AutoDelete, TableToJSON(q.Arguments)})
}

func (x Exchange) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Name       string         `json:"name"`
		VHost      string         `json:"vhost,omitempty"`
		Type       string         `json:"type"`
		Durable    bool           `json:"durable"`
		AutoDelete bool           `json:"auto_delete"`
		Internal   bool           `json:"internal"`
		Arguments  map[string]any `json:"arguments"`
	}{x.Name, x.VHost, x.Type, x.Durable, x.AutoDelete, x.Internal, TableToJSON(x.Arguments)})
}

func (b Binding) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Source          string         `json:"source"`
		VHost           string         `json:"vhost,omitempty"`
		Destination     string         `json:"destination"`
		DestinationType string         `json:"destination_type"`
		RoutingKey      string         `json:"routing_key"`
		Arguments       map[string]any `json:"arguments"`
	}{b.Source, b.VHost, b.Destination, b.DestinationType, b.RoutingKey, TableToJSON(b.Arguments)})
}

func (v VHost) MarshalJSON() ([]byte, error) {
	m := map[string]any{"name": v.Name}
	if len(v.Metadata) > 0 {
		m["metadata"] = v.Metadata
	}
	if len(v.Limits) > 0 {
		m["limits"] = v.Limits
	}
	for k, raw := range v.Other {
		m[k] = raw
	}
	return json.Marshal(m)
}

func (v *VHost) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("a vhost must be an object with a name")
	}
	*v = VHost{}
	for k, raw := range m {
		switch k {
		case "name":
			if err := json.Unmarshal(raw, &v.Name); err != nil {
				return fmt.Errorf("vhost name must be a string")
			}
		case "metadata":
			v.Metadata = raw
		case "limits":
			v.Limits = raw
		default:
			if v.Other == nil {
				v.Other = map[string]json.RawMessage{}
			}
			v.Other[k] = raw
		}
	}
	return nil
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
