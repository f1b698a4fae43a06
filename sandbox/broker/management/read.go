package management

import (
	"net"
	"net/http"
	"runtime"
	"strconv"

	"github.com/warrenmq/warren/sandbox/broker"
	"github.com/warrenmq/warren/sandbox/definitions"
)

// routes registers every endpoint. A path answers with and without a
// trailing slash, as RabbitMQ's does.
func (s *Server) routes() {
	get := func(path string, n need, h handler) { s.handle("GET "+path, n, h) }
	get("/api/overview", anyUser, s.overview)
	get("/api/whoami", anyUser, func(c caller, _ *http.Request) (int, any, error) {
		return 200, map[string]any{"name": c.name, "tags": nonNil(c.tags)}, nil
	})
	get("/api/nodes", anyUser, func(caller, *http.Request) (int, any, error) { return 200, []map[string]any{nodeJSON()}, nil })
	get("/api/nodes/{node}", anyUser, func(_ caller, r *http.Request) (int, any, error) {
		if r.PathValue("node") != node {
			return 0, nil, errNotFound
		}
		return 200, nodeJSON(), nil
	})
	get("/api/extensions", anyUser, func(caller, *http.Request) (int, any, error) { return 200, []map[string]any{}, nil })
	for _, p := range []string{"/api/policies", "/api/operator-policies", "/api/parameters", "/api/global-parameters", "/api/topic-permissions", "/api/feature-flags"} {
		get(p, anyUser, func(caller, *http.Request) (int, any, error) { return 200, []map[string]any{}, nil })
	}
	get("/api/policies/{vhost}", anyUser, s.emptyIn)
	get("/api/aliveness-test/{vhost}", anyUser, func(c caller, r *http.Request) (int, any, error) {
		if _, err := s.vhostOf(c, r); err != nil {
			return 0, nil, err
		}
		return 200, map[string]any{"status": "ok"}, nil
	})

	get("/api/vhosts", anyUser, s.vhosts)
	get("/api/vhosts/{vhost}", anyUser, s.vhost)
	get("/api/vhosts/{vhost}/permissions", adminOnly, s.vhostPermissions)
	get("/api/vhosts/{vhost}/connections", anyUser, s.connections)
	get("/api/vhosts/{vhost}/channels", anyUser, s.channels)
	get("/api/users", adminOnly, s.users)
	get("/api/users/without-permissions", adminOnly, s.usersWithoutPermissions)
	get("/api/users/{user}", adminOnly, s.user)
	get("/api/users/{user}/permissions", adminOnly, s.userPermissions)
	get("/api/permissions", adminOnly, s.permissions)
	get("/api/permissions/{vhost}/{user}", adminOnly, s.permission)

	get("/api/connections", anyUser, s.connections)
	get("/api/connections/{name}", anyUser, s.connection)
	get("/api/connections/{name}/channels", anyUser, s.connectionChannels)
	get("/api/channels", anyUser, s.channels)
	get("/api/channels/{name}", anyUser, s.channel)
	get("/api/consumers", anyUser, s.consumers)
	get("/api/consumers/{vhost}", anyUser, s.consumers)

	get("/api/exchanges", anyUser, s.exchanges)
	get("/api/exchanges/{vhost}", anyUser, s.exchanges)
	get("/api/exchanges/{vhost}/{name}", anyUser, s.exchange)
	get("/api/exchanges/{vhost}/{name}/bindings/source", anyUser, s.exchangeBindings("source"))
	get("/api/exchanges/{vhost}/{name}/bindings/destination", anyUser, s.exchangeBindings("destination"))
	get("/api/queues", anyUser, s.queues)
	get("/api/queues/{vhost}", anyUser, s.queues)
	get("/api/queues/{vhost}/{name}", anyUser, s.queue)
	get("/api/queues/{vhost}/{name}/bindings", anyUser, s.queueBindings)
	get("/api/bindings", anyUser, s.bindings)
	get("/api/bindings/{vhost}", anyUser, s.bindings)
	get("/api/bindings/{vhost}/e/{source}/{kind}/{dest}", anyUser, s.bindingsBetween)
	get("/api/bindings/{vhost}/e/{source}/{kind}/{dest}/{props}", anyUser, s.binding)

	get("/api/definitions", adminOnly, s.definitions)
	get("/api/definitions/{vhost}", anyUser, s.vhostDefinitions)

	s.writeRoutes()
}

func nonNil(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

func (s *Server) emptyIn(c caller, r *http.Request) (int, any, error) {
	if _, err := s.vhostOf(c, r); err != nil {
		return 0, nil, err
	}
	return 200, []map[string]any{}, nil
}

func nodeJSON() map[string]any {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return map[string]any{"name": node, "type": "disc", "running": true, "mem_used": ms.Sys, "mem_limit": 0,
		"mem_alarm": false, "disk_free_alarm": false, "uptime": 0, "os_pid": "", "partitions": []any{}}
}

func (s *Server) overview(c caller, r *http.Request) (int, any, error) {
	t := s.b.Totals()
	listeners := []map[string]any{}
	if a, ok := s.b.Addr().(*net.TCPAddr); ok {
		listeners = append(listeners, map[string]any{"node": node, "protocol": "amqp", "ip_address": a.IP.String(), "port": a.Port, "socket_opts": map[string]any{}})
	}
	contexts := []map[string]any{}
	if a := s.Addr(); a != nil {
		h, p, _ := net.SplitHostPort(a.String())
		listeners = append(listeners, map[string]any{"node": node, "protocol": "http", "ip_address": h, "port": atoi(p), "socket_opts": map[string]any{}})
		contexts = append(contexts, map[string]any{"node": node, "description": "RabbitMQ Management", "path": "/", "port": p})
	}
	types := []map[string]any{}
	for _, x := range []struct{ name, desc string }{
		{"direct", "AMQP direct exchange, as per the AMQP specification"},
		{"fanout", "AMQP fanout exchange, as per the AMQP specification"},
		{"headers", "AMQP headers exchange, as per the AMQP specification"},
		{"topic", "AMQP topic exchange, as per the AMQP specification"},
	} {
		types = append(types, map[string]any{"name": x.name, "description": x.desc, "enabled": true})
	}
	return 200, map[string]any{
		"management_version": broker.Version, "rates_mode": "none", "product_name": broker.Product,
		"product_version": broker.Version, "rabbitmq_version": broker.Version, "cluster_name": node,
		"erlang_version": runtime.Version(), "erlang_full_version": "Go " + runtime.Version(),
		"disable_stats": false, "enable_queue_totals": true, "exchange_types": types,
		"message_stats": map[string]any{}, "churn_rates": map[string]any{},
		"queue_totals": map[string]any{"messages": t.Ready + t.Unacked, "messages_ready": t.Ready, "messages_unacknowledged": t.Unacked,
			"messages_details": rate(), "messages_ready_details": rate(), "messages_unacknowledged_details": rate()},
		"object_totals": map[string]any{"connections": t.Connections, "channels": t.Channels, "consumers": t.Consumers,
			"exchanges": t.Exchanges, "queues": t.Queues},
		"statistics_db_event_queue": 0, "node": node, "listeners": listeners, "contexts": contexts,
		"sample_retention_policies": map[string]any{"global": []int{600, 3600, 28800, 86400}, "basic": []int{600, 3600}, "detailed": []int{600}},
	}, nil
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

func (s *Server) vhostTotals(vhost string) broker.Totals {
	var t broker.Totals
	qs, _ := s.b.Queues(vhost)
	for _, q := range qs {
		t.Ready += q.Ready
		t.Unacked += q.Unacked
	}
	return t
}

func (s *Server) vhosts(c caller, r *http.Request) (int, any, error) {
	var out []map[string]any
	for _, name := range s.b.VHostNames() {
		if s.canSee(c, name) {
			out = append(out, vhostJSON(name, s.vhostTotals(name)))
		}
	}
	return 200, nonNilList(out), nil
}

func nonNilList(l []map[string]any) []map[string]any {
	if l == nil {
		return []map[string]any{}
	}
	return l
}

func (s *Server) vhost(c caller, r *http.Request) (int, any, error) {
	vh, err := s.vhostOf(c, r)
	if err != nil {
		return 0, nil, err
	}
	return 200, vhostJSON(vh, s.vhostTotals(vh)), nil
}

func (s *Server) vhostPermissions(c caller, r *http.Request) (int, any, error) {
	vh, err := s.vhostOf(c, r)
	if err != nil {
		return 0, nil, err
	}
	var out []definitions.Permission
	for _, p := range s.b.Permissions() {
		if p.VHost == vh {
			out = append(out, p)
		}
	}
	return 200, list(out, permissionJSON), nil
}

func (s *Server) users(caller, *http.Request) (int, any, error) {
	return 200, list(s.b.Users(), userJSON), nil
}

func (s *Server) usersWithoutPermissions(caller, *http.Request) (int, any, error) {
	has := map[string]bool{}
	for _, p := range s.b.Permissions() {
		has[p.User] = true
	}
	var out []definitions.User
	for _, u := range s.b.Users() {
		if !has[u.Name] {
			out = append(out, u)
		}
	}
	return 200, list(out, userJSON), nil
}

func (s *Server) user(_ caller, r *http.Request) (int, any, error) {
	u, ok := s.b.LookupUser(r.PathValue("user"))
	if !ok {
		return 0, nil, errNotFound
	}
	return 200, userJSON(u), nil
}

func (s *Server) userPermissions(_ caller, r *http.Request) (int, any, error) {
	name := r.PathValue("user")
	if _, ok := s.b.LookupUser(name); !ok {
		return 0, nil, errNotFound
	}
	var out []definitions.Permission
	for _, p := range s.b.Permissions() {
		if p.User == name {
			out = append(out, p)
		}
	}
	return 200, list(out, permissionJSON), nil
}

func (s *Server) permissions(caller, *http.Request) (int, any, error) {
	return 200, list(s.b.Permissions(), permissionJSON), nil
}

func (s *Server) permission(_ caller, r *http.Request) (int, any, error) {
	p, ok := s.b.LookupPermission(r.PathValue("user"), r.PathValue("vhost"))
	if !ok {
		return 0, nil, errNotFound
	}
	return 200, permissionJSON(p), nil
}

// ownConns: a user who is neither administrator nor monitoring sees only
// their own connections and channels, as in RabbitMQ.
func ownOnly(c caller, user string) bool { return c.seesAll() || c.name == user }

func (s *Server) connections(c caller, r *http.Request) (int, any, error) {
	vh := ""
	if r.PathValue("vhost") != "" {
		var err error
		if vh, err = s.vhostOf(c, r); err != nil {
			return 0, nil, err
		}
	}
	var out []broker.ConnectionInfo
	for _, ci := range s.b.Connections() {
		if (vh == "" || ci.VHost == vh) && ownOnly(c, ci.User) {
			out = append(out, ci)
		}
	}
	return 200, list(out, connectionJSON), nil
}

func (s *Server) findConnection(c caller, name string) (broker.ConnectionInfo, error) {
	for _, ci := range s.b.Connections() {
		if ci.Name == name && ownOnly(c, ci.User) {
			return ci, nil
		}
	}
	return broker.ConnectionInfo{}, errNotFound
}

func (s *Server) connection(c caller, r *http.Request) (int, any, error) {
	ci, err := s.findConnection(c, r.PathValue("name"))
	if err != nil {
		return 0, nil, err
	}
	return 200, connectionJSON(ci), nil
}

func (s *Server) connectionChannels(c caller, r *http.Request) (int, any, error) {
	ci, err := s.findConnection(c, r.PathValue("name"))
	if err != nil {
		return 0, nil, err
	}
	var out []broker.ChannelInfo
	for _, ch := range s.b.Channels() {
		if ch.Connection.Name == ci.Name {
			out = append(out, ch)
		}
	}
	return 200, list(out, channelJSON), nil
}

func (s *Server) channels(c caller, r *http.Request) (int, any, error) {
	vh := ""
	if r.PathValue("vhost") != "" {
		var err error
		if vh, err = s.vhostOf(c, r); err != nil {
			return 0, nil, err
		}
	}
	var out []broker.ChannelInfo
	for _, ch := range s.b.Channels() {
		if (vh == "" || ch.Connection.VHost == vh) && ownOnly(c, ch.Connection.User) {
			out = append(out, ch)
		}
	}
	return 200, list(out, channelJSON), nil
}

func (s *Server) channel(c caller, r *http.Request) (int, any, error) {
	for _, ch := range s.b.Channels() {
		if ch.Name == r.PathValue("name") && ownOnly(c, ch.Connection.User) {
			return 200, channelJSON(ch), nil
		}
	}
	return 0, nil, errNotFound
}

// inVHost resolves an optional {vhost}: "" (all) or one c may see.
func (s *Server) inVHost(c caller, r *http.Request) (string, error) {
	if r.PathValue("vhost") == "" {
		return "", nil
	}
	return s.vhostOf(c, r)
}

func (s *Server) consumers(c caller, r *http.Request) (int, any, error) {
	vh, err := s.inVHost(c, r)
	if err != nil {
		return 0, nil, err
	}
	l := visible(s, c, s.b.Consumers(vh), func(x broker.ConsumerInfo) string { return x.VHost })
	return 200, list(l, consumerJSON), nil
}

func (s *Server) exchanges(c caller, r *http.Request) (int, any, error) {
	vh, err := s.inVHost(c, r)
	if err != nil {
		return 0, nil, err
	}
	xs, err := s.b.Exchanges(vh)
	if err != nil {
		return 0, nil, err
	}
	return 200, list(visible(s, c, xs, func(x broker.ExchangeInfo) string { return x.VHost }), exchangeJSON), nil
}

func (s *Server) exchange(c caller, r *http.Request) (int, any, error) {
	vh, err := s.vhostOf(c, r)
	if err != nil {
		return 0, nil, err
	}
	x, err := s.b.Exchange(vh, exchangeName(r))
	if err != nil {
		return 0, nil, errNotFound
	}
	m := exchangeJSON(x)
	m["incoming"], m["outgoing"] = []any{}, []any{}
	return 200, m, nil
}

// exchangeName is the {name} of an exchange path: "amq.default" names the
// default exchange, as in RabbitMQ's API.
func exchangeName(r *http.Request) string {
	n := r.PathValue("name")
	if n == "amq.default" {
		return ""
	}
	return n
}

func (s *Server) exchangeBindings(side string) handler {
	return func(c caller, r *http.Request) (int, any, error) {
		vh, err := s.vhostOf(c, r)
		if err != nil {
			return 0, nil, err
		}
		name := exchangeName(r)
		if _, err := s.b.Exchange(vh, name); err != nil {
			return 0, nil, errNotFound
		}
		bs, err := s.b.Bindings(vh)
		if err != nil {
			return 0, nil, err
		}
		var out []broker.BindingInfo
		for _, b := range bs {
			if (side == "source" && b.Source == name && name != "") ||
				(side == "destination" && b.DestinationType == "exchange" && b.Destination == name) {
				out = append(out, b)
			}
		}
		return 200, list(out, bindingJSON), nil
	}
}

func (s *Server) queues(c caller, r *http.Request) (int, any, error) {
	vh, err := s.inVHost(c, r)
	if err != nil {
		return 0, nil, err
	}
	qs, err := s.b.Queues(vh)
	if err != nil {
		return 0, nil, err
	}
	return 200, list(visible(s, c, qs, func(q broker.QueueInfo) string { return q.VHost }), queueJSON), nil
}

func (s *Server) queue(c caller, r *http.Request) (int, any, error) {
	vh, err := s.vhostOf(c, r)
	if err != nil {
		return 0, nil, err
	}
	q, err := s.b.Queue(vh, r.PathValue("name"))
	if err != nil {
		return 0, nil, errNotFound
	}
	m := queueJSON(q)
	m["consumer_details"] = list(q.ConsumerDetails, consumerJSON)
	m["incoming"], m["deliveries"] = []any{}, []any{}
	return 200, m, nil
}

func (s *Server) queueBindings(c caller, r *http.Request) (int, any, error) {
	vh, err := s.vhostOf(c, r)
	if err != nil {
		return 0, nil, err
	}
	name := r.PathValue("name")
	if _, err := s.b.Queue(vh, name); err != nil {
		return 0, nil, errNotFound
	}
	bs, _ := s.b.Bindings(vh)
	var out []broker.BindingInfo
	for _, b := range bs {
		if b.DestinationType == "queue" && b.Destination == name {
			out = append(out, b)
		}
	}
	return 200, list(out, bindingJSON), nil
}

func (s *Server) bindings(c caller, r *http.Request) (int, any, error) {
	vh, err := s.inVHost(c, r)
	if err != nil {
		return 0, nil, err
	}
	bs, err := s.b.Bindings(vh)
	if err != nil {
		return 0, nil, err
	}
	return 200, list(visible(s, c, bs, func(b broker.BindingInfo) string { return b.VHost }), bindingJSON), nil
}

// between lists the bindings from exchange {source} to the queue ("q")
// or exchange ("e") {dest}.
func (s *Server) between(c caller, r *http.Request) ([]broker.BindingInfo, error) {
	vh, err := s.vhostOf(c, r)
	if err != nil {
		return nil, err
	}
	dt := map[string]string{"q": "queue", "e": "exchange"}[r.PathValue("kind")]
	if dt == "" {
		return nil, errNotFound
	}
	bs, _ := s.b.Bindings(vh)
	var out []broker.BindingInfo
	src := r.PathValue("source")
	if src == "amq.default" {
		src = ""
	}
	for _, b := range bs {
		if b.Source == src && b.DestinationType == dt && b.Destination == r.PathValue("dest") {
			out = append(out, b)
		}
	}
	return out, nil
}

func (s *Server) bindingsBetween(c caller, r *http.Request) (int, any, error) {
	bs, err := s.between(c, r)
	if err != nil {
		return 0, nil, err
	}
	return 200, list(bs, bindingJSON), nil
}

func (s *Server) binding(c caller, r *http.Request) (int, any, error) {
	bs, err := s.between(c, r)
	if err != nil {
		return 0, nil, err
	}
	for _, b := range bs {
		if b.PropertiesKey() == r.PathValue("props") {
			return 200, bindingJSON(b), nil
		}
	}
	return 0, nil, errNotFound
}

func (s *Server) definitions(caller, *http.Request) (int, any, error) {
	return 200, s.b.Definitions(), nil
}

func (s *Server) vhostDefinitions(c caller, r *http.Request) (int, any, error) {
	vh, err := s.vhostOf(c, r)
	if err != nil {
		return 0, nil, err
	}
	d := s.b.Definitions()
	return 200, d.ForVHost(vh), nil
}
