package management

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/warrenmq/warren/sandbox/broker"
	"github.com/warrenmq/warren/sandbox/broker/wire"
	"github.com/warrenmq/warren/sandbox/definitions"
	"github.com/warrenmq/warren/sandbox/routing"
)

func (s *Server) writeRoutes() {
	s.handle("PUT /api/vhosts/{vhost}", adminOnly, s.putVHost)
	s.handle("DELETE /api/vhosts/{vhost}", adminOnly, s.deleteVHost)
	s.handle("PUT /api/users/{user}", adminOnly, s.putUser)
	s.handle("DELETE /api/users/{user}", adminOnly, s.deleteUser)
	s.handle("POST /api/users/bulk-delete", adminOnly, s.bulkDeleteUsers)
	s.handle("PUT /api/permissions/{vhost}/{user}", adminOnly, s.putPermission)
	s.handle("DELETE /api/permissions/{vhost}/{user}", adminOnly, s.deletePermission)
	s.handle("DELETE /api/connections/{name}", anyUser, s.closeConnection)

	s.handle("PUT /api/exchanges/{vhost}/{name}", anyUser, s.putExchange)
	s.handle("DELETE /api/exchanges/{vhost}/{name}", anyUser, s.deleteExchange)
	s.handle("POST /api/exchanges/{vhost}/{name}/publish", anyUser, s.publish)
	s.handle("PUT /api/queues/{vhost}/{name}", anyUser, s.putQueue)
	s.handle("DELETE /api/queues/{vhost}/{name}", anyUser, s.deleteQueue)
	s.handle("DELETE /api/queues/{vhost}/{name}/contents", anyUser, s.purgeQueue)
	s.handle("POST /api/queues/{vhost}/{name}/get", anyUser, s.get)
	s.handle("POST /api/bindings/{vhost}/e/{source}/{kind}/{dest}", anyUser, s.postBinding)
	s.handle("DELETE /api/bindings/{vhost}/e/{source}/{kind}/{dest}/{props}", anyUser, s.deleteBinding)

	s.handle("POST /api/definitions", adminOnly, s.postDefinitions)
	s.handle("POST /api/definitions/{vhost}", anyUser, s.postVHostDefinitions)
}

// created is 201 for a new thing, 204 for one that was there.
func created(c bool) int {
	if c {
		return http.StatusCreated
	}
	return http.StatusNoContent
}

func (s *Server) putVHost(c caller, r *http.Request) (int, any, error) {
	vh := r.PathValue("vhost")
	var body map[string]any
	if err := readBody(r, &body); err != nil {
		return 0, nil, err
	}
	existed := contains(s.b.VHostNames(), vh)
	if err := s.b.PutVHost(vh); err != nil {
		return 0, nil, badRequest(err.Error())
	}
	if !existed {
		// as RabbitMQ's API does: who creates a vhost may use it
		if err := s.b.SetPermission(definitions.Permission{User: c.name, VHost: vh, Configure: ".*", Write: ".*", Read: ".*"}); err != nil {
			return 0, nil, err
		}
	}
	return created(!existed), nil, nil
}

func contains(l []string, s string) bool {
	for _, e := range l {
		if e == s {
			return true
		}
	}
	return false
}

func (s *Server) deleteVHost(_ caller, r *http.Request) (int, any, error) {
	return http.StatusNoContent, nil, s.b.DeleteVHost(r.PathValue("vhost"))
}

func (s *Server) putUser(_ caller, r *http.Request) (int, any, error) {
	var body struct {
		Password         *string          `json:"password"`
		PasswordHash     *string          `json:"password_hash"`
		HashingAlgorithm string           `json:"hashing_algorithm"`
		Tags             *json.RawMessage `json:"tags"`
	}
	if err := readBody(r, &body); err != nil {
		return 0, nil, err
	}
	if body.Tags == nil {
		return 0, nil, badRequest("tags_not_present")
	}
	var tags definitions.Tags
	if err := json.Unmarshal(*body.Tags, &tags); err != nil {
		return 0, nil, badRequest(err.Error())
	}
	name := r.PathValue("user")
	u := definitions.User{Name: name, Tags: tags, HashingAlgorithm: body.HashingAlgorithm}
	switch {
	case body.Password != nil:
		if *body.Password == "" {
			return 0, nil, badRequest("a blank password is not accepted: give one, or password_hash \"\" for a user who logs in without one")
		}
		u.Password = *body.Password
	case body.PasswordHash != nil:
		u.PasswordHash = *body.PasswordHash
	}
	_, existed := s.b.LookupUser(name)
	if err := s.b.PutUser(u); err != nil {
		return 0, nil, badRequest(err.Error())
	}
	return created(!existed), nil, nil
}

func (s *Server) deleteUser(_ caller, r *http.Request) (int, any, error) {
	return http.StatusNoContent, nil, s.b.DeleteUser(r.PathValue("user"))
}

func (s *Server) bulkDeleteUsers(_ caller, r *http.Request) (int, any, error) {
	var body struct {
		Users []string `json:"users"`
	}
	if err := readBody(r, &body); err != nil {
		return 0, nil, err
	}
	for _, u := range body.Users {
		if err := s.b.DeleteUser(u); err != nil && !errors.Is(err, broker.ErrNotFound) {
			return 0, nil, err
		}
	}
	return http.StatusNoContent, nil, nil
}

func (s *Server) putPermission(_ caller, r *http.Request) (int, any, error) {
	var body struct{ Configure, Write, Read *string }
	if err := readBody(r, &body); err != nil {
		return 0, nil, err
	}
	if body.Configure == nil || body.Write == nil || body.Read == nil {
		return 0, nil, badRequest("[{configure,write,read}] are required")
	}
	p := definitions.Permission{User: r.PathValue("user"), VHost: r.PathValue("vhost"), Configure: *body.Configure, Write: *body.Write, Read: *body.Read}
	_, existed := s.b.LookupPermission(p.User, p.VHost)
	if err := s.b.SetPermission(p); err != nil {
		if errors.Is(err, broker.ErrNotFound) {
			return 0, nil, badRequest("vhost_or_user_not_found")
		}
		return 0, nil, badRequest(err.Error())
	}
	return created(!existed), nil, nil
}

func (s *Server) deletePermission(_ caller, r *http.Request) (int, any, error) {
	return http.StatusNoContent, nil, s.b.ClearPermission(r.PathValue("user"), r.PathValue("vhost"))
}

func (s *Server) closeConnection(c caller, r *http.Request) (int, any, error) {
	ci, err := s.findConnection(c, r.PathValue("name"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, s.b.CloseConnection(ci.Name, r.Header.Get("X-Reason"))
}

// boolField reads an optional JSON boolean, also as the strings "true"
// and "false" that rabbitmqadmin sends.
func boolField(v any, def bool) (bool, error) {
	switch b := v.(type) {
	case nil:
		return def, nil
	case bool:
		return b, nil
	case string:
		switch b {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
	}
	return false, fmt.Errorf("%v is not a boolean", v)
}

// tableField reads an arguments object as AMQP values.
func tableField(v any) (routing.Table, error) {
	switch m := v.(type) {
	case nil:
		return nil, nil
	case map[string]any:
		if len(m) == 0 {
			return nil, nil
		}
		return definitions.FromJSON(m).(routing.Table), nil
	}
	return nil, fmt.Errorf("arguments must be an object")
}

// entityBody reads a PUT body's fields.
func entityBody(r *http.Request) (map[string]any, error) {
	var body map[string]any
	if err := readBody(r, &body); err != nil {
		return nil, err
	}
	if body == nil {
		body = map[string]any{}
	}
	return body, nil
}

func (s *Server) putExchange(c caller, r *http.Request) (int, any, error) {
	vh, err := s.vhostOf(c, r)
	if err != nil {
		return 0, nil, err
	}
	body, err := entityBody(r)
	if err != nil {
		return 0, nil, err
	}
	x := broker.ExchangeInfo{Name: exchangeName(r), VHost: vh, Type: "direct"}
	if t, ok := body["type"].(string); ok {
		x.Type = t
	}
	for _, f := range []struct {
		key string
		dst *bool
	}{{"durable", &x.Durable}, {"auto_delete", &x.AutoDelete}, {"internal", &x.Internal}} {
		if *f.dst, err = boolField(body[f.key], false); err != nil {
			return 0, nil, badRequest(f.key + ": " + err.Error())
		}
	}
	if x.Arguments, err = tableField(body["arguments"]); err != nil {
		return 0, nil, badRequest(err.Error())
	}
	isNew, err := s.b.DeclareExchange(c.name, x)
	if err != nil {
		return 0, nil, err
	}
	return created(isNew), nil, nil
}

func (s *Server) deleteExchange(c caller, r *http.Request) (int, any, error) {
	vh, err := s.vhostOf(c, r)
	if err != nil {
		return 0, nil, err
	}
	ifUnused := r.URL.Query().Get("if-unused") == "true"
	return http.StatusNoContent, nil, s.b.DeleteExchange(c.name, vh, exchangeName(r), ifUnused)
}

func (s *Server) putQueue(c caller, r *http.Request) (int, any, error) {
	vh, err := s.vhostOf(c, r)
	if err != nil {
		return 0, nil, err
	}
	body, err := entityBody(r)
	if err != nil {
		return 0, nil, err
	}
	q := broker.QueueInfo{Name: r.PathValue("name"), VHost: vh}
	if q.Durable, err = boolField(body["durable"], false); err != nil {
		return 0, nil, badRequest("durable: " + err.Error())
	}
	if q.AutoDelete, err = boolField(body["auto_delete"], false); err != nil {
		return 0, nil, badRequest("auto_delete: " + err.Error())
	}
	if q.Arguments, err = tableField(body["arguments"]); err != nil {
		return 0, nil, badRequest(err.Error())
	}
	if t, ok := body["type"].(string); ok {
		q.Type = t
	}
	isNew, err := s.b.DeclareQueue(c.name, q)
	if err != nil {
		return 0, nil, err
	}
	return created(isNew), nil, nil
}

func (s *Server) deleteQueue(c caller, r *http.Request) (int, any, error) {
	vh, err := s.vhostOf(c, r)
	if err != nil {
		return 0, nil, err
	}
	q := r.URL.Query()
	return http.StatusNoContent, nil, s.b.DeleteQueue(c.name, vh, r.PathValue("name"), q.Get("if-unused") == "true", q.Get("if-empty") == "true")
}

func (s *Server) purgeQueue(c caller, r *http.Request) (int, any, error) {
	vh, err := s.vhostOf(c, r)
	if err != nil {
		return 0, nil, err
	}
	_, err = s.b.PurgeQueue(c.name, vh, r.PathValue("name"))
	return http.StatusNoContent, nil, err
}

// publishBody is POST .../publish's body.
type publishBody struct {
	Properties      map[string]any `json:"properties"`
	RoutingKey      string         `json:"routing_key"`
	Payload         string         `json:"payload"`
	PayloadEncoding string         `json:"payload_encoding"`
}

func (s *Server) publish(c caller, r *http.Request) (int, any, error) {
	vh, err := s.vhostOf(c, r)
	if err != nil {
		return 0, nil, err
	}
	var body publishBody
	if err := readBody(r, &body); err != nil {
		return 0, nil, err
	}
	var payload []byte
	switch body.PayloadEncoding {
	case "string", "":
		payload = []byte(body.Payload)
	case "base64":
		if payload, err = base64.StdEncoding.DecodeString(body.Payload); err != nil {
			return 0, nil, badRequest("payload is not base64")
		}
	default:
		return 0, nil, badRequest("payload_encoding must be string or base64")
	}
	props, err := properties(body.Properties)
	if err != nil {
		return 0, nil, badRequest(err.Error())
	}
	name := exchangeName(r)
	routed, err := s.b.Publish(c.name, vh, broker.Message{Exchange: name, RoutingKey: body.RoutingKey, Properties: props, Body: payload})
	if err != nil {
		var we *wire.Error
		if errors.As(err, &we) && we.Code == wire.NotFound {
			// RabbitMQ words this one with its code and name
			return 0, nil, badRequest(we.Error())
		}
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"routed": routed, "warren_routing": s.explain(vh, name, body.RoutingKey, props.Headers)}, nil
}

// explain is the routing model's account of a publish, per binding:
// Warren's own field beside "routed" (tools that do not know it ignore
// it).
func (s *Server) explain(vhost, exchange, key string, headers routing.Table) map[string]any {
	d := s.b.Definitions()
	top := d.Topology(vhost)
	res := routing.Route(&top, routing.Message{Exchange: exchange, RoutingKey: key, Headers: headers})
	verdicts := []map[string]any{}
	for _, v := range res.Verdicts {
		verdicts = append(verdicts, map[string]any{"source": v.Binding.Source, "destination": v.Binding.Destination,
			"destination_type": v.Binding.DestinationType, "routing_key": v.Binding.RoutingKey,
			"matched": v.Matched, "reason": v.Reason})
	}
	out := map[string]any{"queues": nonNil(res.Queues), "fate": res.Fate, "bindings": verdicts, "notes": nonNil(res.Notes)}
	if res.Err != nil {
		out["error"] = res.Err.Error()
	}
	return out
}

// properties reads a message's properties as the management API writes
// them (content_type, delivery_mode, headers, ...).
func properties(m map[string]any) (wire.Properties, error) {
	var p wire.Properties
	str := func(k string) (string, error) {
		v, ok := m[k]
		if !ok || v == nil {
			return "", nil
		}
		s, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("property %s must be a string", k)
		}
		return s, nil
	}
	num := func(k string) (int64, bool, error) {
		v, ok := m[k]
		if !ok || v == nil {
			return 0, false, nil
		}
		n, ok := definitions.FromJSON(v).(int64)
		if !ok {
			if s, isStr := v.(string); isStr {
				var i int64
				if _, err := fmt.Sscan(s, &i); err == nil {
					return i, true, nil
				}
			}
			return 0, false, fmt.Errorf("property %s must be an integer", k)
		}
		return n, true, nil
	}
	var err error
	for _, f := range []struct {
		key string
		dst *string
	}{{"content_type", &p.ContentType}, {"content_encoding", &p.ContentEncoding}, {"correlation_id", &p.CorrelationID},
		{"reply_to", &p.ReplyTo}, {"expiration", &p.Expiration}, {"message_id", &p.MessageID}, {"type", &p.Type},
		{"user_id", &p.UserID}, {"app_id", &p.AppID}} {
		if *f.dst, err = str(f.key); err != nil {
			return p, err
		}
	}
	if n, ok, err := num("delivery_mode"); err != nil {
		return p, err
	} else if ok {
		p.DeliveryMode = uint8(n)
	}
	if n, ok, err := num("priority"); err != nil {
		return p, err
	} else if ok {
		p.Priority = uint8(n)
	}
	if n, ok, err := num("timestamp"); err != nil {
		return p, err
	} else if ok {
		p.Timestamp = time.Unix(n, 0)
	}
	if h, ok := m["headers"]; ok && h != nil {
		t, err := tableField(h)
		if err != nil {
			return p, fmt.Errorf("headers must be an object")
		}
		p.Headers = t
	}
	return p, nil
}

func propertiesJSON(p wire.Properties) map[string]any {
	m := map[string]any{}
	for k, v := range map[string]string{"content_type": p.ContentType, "content_encoding": p.ContentEncoding,
		"correlation_id": p.CorrelationID, "reply_to": p.ReplyTo, "expiration": p.Expiration, "message_id": p.MessageID,
		"type": p.Type, "user_id": p.UserID, "app_id": p.AppID} {
		if v != "" {
			m[k] = v
		}
	}
	if p.DeliveryMode != 0 {
		m["delivery_mode"] = p.DeliveryMode
	}
	if p.Priority != 0 {
		m["priority"] = p.Priority
	}
	if !p.Timestamp.IsZero() {
		m["timestamp"] = p.Timestamp.Unix()
	}
	if len(p.Headers) > 0 {
		m["headers"] = definitions.TableToJSON(p.Headers)
	}
	return m
}

func (s *Server) get(c caller, r *http.Request) (int, any, error) {
	vh, err := s.vhostOf(c, r)
	if err != nil {
		return 0, nil, err
	}
	var body struct {
		Count    json.Number `json:"count"`
		AckMode  string      `json:"ackmode"`
		Encoding string      `json:"encoding"`
		Truncate json.Number `json:"truncate"`
		Requeue  *bool       `json:"requeue"` // before 3.7
	}
	if err := readBody(r, &body); err != nil {
		return 0, nil, err
	}
	count, err := body.Count.Int64()
	if err != nil {
		return 0, nil, badRequest("count must be an integer")
	}
	mode := broker.AckMode(body.AckMode)
	if mode == "" && body.Requeue != nil {
		mode = broker.AckRequeueFalse
		if *body.Requeue {
			mode = broker.AckRequeueTrue
		}
	}
	truncate, _ := body.Truncate.Int64()
	msgs, err := s.b.Get(c.name, vh, r.PathValue("name"), int(count), mode)
	if err != nil {
		if errors.Is(err, broker.ErrNotFound) {
			return 0, nil, &apiError{status: http.StatusNotFound, kind: "not_found", reason: "NOT_FOUND - " + strings.TrimPrefix(err.Error(), "not found: ")}
		}
		var we *wire.Error
		if !errors.As(err, &we) {
			return 0, nil, badRequest(err.Error())
		}
		return 0, nil, err
	}
	out := []map[string]any{}
	for _, m := range msgs {
		payload, enc := m.Body, "string"
		if truncate > 0 && int64(len(payload)) > truncate {
			payload = payload[:truncate]
		}
		text := string(payload)
		if body.Encoding == "base64" || !utf8.Valid(payload) {
			text, enc = base64.StdEncoding.EncodeToString(payload), "base64"
		}
		out = append(out, map[string]any{"payload_bytes": len(m.Body), "redelivered": m.Redelivered, "exchange": m.Exchange,
			"routing_key": m.RoutingKey, "message_count": m.MessageCount, "properties": propertiesJSON(m.Properties),
			"payload": text, "payload_encoding": enc})
	}
	return http.StatusOK, out, nil
}

func (s *Server) bindingFromPath(c caller, r *http.Request) (broker.BindingInfo, error) {
	vh, err := s.vhostOf(c, r)
	if err != nil {
		return broker.BindingInfo{}, err
	}
	dt := map[string]string{"q": "queue", "e": "exchange"}[r.PathValue("kind")]
	if dt == "" {
		return broker.BindingInfo{}, errNotFound
	}
	src := r.PathValue("source")
	if src == "amq.default" {
		src = ""
	}
	return broker.BindingInfo{Source: src, VHost: vh, Destination: r.PathValue("dest"), DestinationType: dt}, nil
}

func (s *Server) postBinding(c caller, r *http.Request) (int, any, error) {
	b, err := s.bindingFromPath(c, r)
	if err != nil {
		return 0, nil, err
	}
	body, err := entityBody(r)
	if err != nil {
		return 0, nil, err
	}
	if k, ok := body["routing_key"].(string); ok {
		b.RoutingKey = k
	}
	if b.Arguments, err = tableField(body["arguments"]); err != nil {
		return 0, nil, badRequest(err.Error())
	}
	if err := s.b.Bind(c.name, b); err != nil {
		var we *wire.Error
		if errors.As(err, &we) && we.Code == wire.NotFound {
			return 0, nil, &apiError{status: http.StatusNotFound, kind: "not_found", reason: broker.ReplyText(we)}
		}
		return 0, nil, err
	}
	return http.StatusCreated, locationHeader{url.PathEscape(b.Destination) + "/" + url.QueryEscape(b.PropertiesKey())}, nil
}

// locationHeader is a 201 answer with a Location header and no body.
type locationHeader struct{ location string }

func (s *Server) deleteBinding(c caller, r *http.Request) (int, any, error) {
	bs, err := s.between(c, r)
	if err != nil {
		return 0, nil, err
	}
	for _, b := range bs {
		if b.PropertiesKey() == r.PathValue("props") {
			return http.StatusNoContent, nil, s.b.Unbind(c.name, b)
		}
	}
	return 0, nil, errNotFound
}

func (s *Server) postDefinitions(_ caller, r *http.Request) (int, any, error) {
	d, err := s.readDefinitions(r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, s.importDefinitions(d, "")
}

func (s *Server) postVHostDefinitions(c caller, r *http.Request) (int, any, error) {
	vh, err := s.vhostOf(c, r)
	if err != nil {
		return 0, nil, err
	}
	if !c.admin() {
		return 0, nil, errNotAdmin
	}
	d, err := s.readDefinitions(r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, s.importDefinitions(d, vh)
}

func (s *Server) readDefinitions(r *http.Request) (*definitions.Definitions, error) {
	data, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, 64<<20))
	if err != nil {
		return nil, badRequest("the definitions could not be read: " + err.Error())
	}
	d, err := definitions.Parse("definitions", data)
	if err != nil {
		return nil, badRequest(err.Error())
	}
	return d, nil
}

func (s *Server) importDefinitions(d *definitions.Definitions, vhost string) error {
	if err := s.b.ImportDefinitions(d, vhost); err != nil {
		return badRequest(err.Error())
	}
	return nil
}
