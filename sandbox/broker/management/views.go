package management

import (
	"github.com/warrenmq/warren/sandbox/broker"
	"github.com/warrenmq/warren/sandbox/definitions"
)

// The JSON of each entity, with RabbitMQ's field names and types. Rates
// and byte counters Warren does not sample are there as zeros, since
// tools read them.

// node is the name Warren gives itself where RabbitMQ names its node.
const node = "warren@localhost"

func rate() map[string]any { return map[string]any{"rate": 0.0} }

func args(t map[string]any) map[string]any { return definitions.TableToJSON(t) }

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func connectionJSON(c broker.ConnectionInfo) map[string]any {
	props := definitions.TableToJSON(c.ClientProperties)
	name, _ := c.ClientProperties["connection_name"].(string)
	return map[string]any{
		"name": c.Name, "node": node, "type": "network", "state": "running", "protocol": "AMQP 0-9-1",
		"user": c.User, "user_who_performed_action": c.User, "vhost": c.VHost,
		"host": c.Host, "port": c.Port, "peer_host": c.PeerHost, "peer_port": c.PeerPort,
		"auth_mechanism": c.AuthMechanism, "channels": c.Channels, "channel_max": c.ChannelMax, "frame_max": c.FrameMax,
		"timeout": c.Heartbeat, "connected_at": c.ConnectedAt.UnixMilli(), "client_properties": props,
		"user_provided_name": nullable(name),
		"ssl":                c.TLS, "ssl_protocol": nil, "ssl_key_exchange": nil, "ssl_cipher": nil, "ssl_hash": nil,
		"peer_cert_subject": nil, "peer_cert_issuer": nil, "peer_cert_validity": nil,
		"recv_oct": 0, "send_oct": 0, "recv_cnt": 0, "send_cnt": 0, "send_pend": 0,
		"recv_oct_details": rate(), "send_oct_details": rate(),
	}
}

func channelJSON(ch broker.ChannelInfo) map[string]any {
	return map[string]any{
		"name": ch.Name, "number": ch.Number, "node": node, "state": "running",
		"user": ch.Connection.User, "user_who_performed_action": ch.Connection.User, "vhost": ch.Connection.VHost,
		"connection_details": map[string]any{"name": ch.Connection.Name, "peer_host": ch.Connection.PeerHost, "peer_port": ch.Connection.PeerPort},
		"consumer_count":     ch.Consumers, "messages_unacknowledged": ch.Unacked, "messages_unconfirmed": 0, "messages_uncommitted": 0,
		"acks_uncommitted": 0, "prefetch_count": ch.Prefetch, "global_prefetch_count": ch.GlobalPrefetch,
		"confirm": ch.Confirm, "transactional": ch.Transactional, "pending_raft_commands": 0,
	}
}

func consumerJSON(c broker.ConsumerInfo) map[string]any {
	a := map[string]any{}
	if c.Priority != 0 {
		a["x-priority"] = c.Priority
	}
	return map[string]any{
		"consumer_tag": c.Tag, "queue": map[string]any{"name": c.Queue, "vhost": c.VHost},
		"channel_details": map[string]any{"name": c.Channel.Name, "number": c.Channel.Number, "node": node,
			"connection_name": c.Channel.Connection.Name, "peer_host": c.Channel.Connection.PeerHost,
			"peer_port": c.Channel.Connection.PeerPort, "user": c.Channel.Connection.User},
		"ack_required": c.AckRequired, "exclusive": c.Exclusive, "prefetch_count": c.Prefetch,
		"active": c.Active, "activity_status": activity(c.Active), "arguments": a,
	}
}

func activity(active bool) string {
	if active {
		return "up"
	}
	return "waiting"
}

func exchangeJSON(x broker.ExchangeInfo) map[string]any {
	return map[string]any{
		"name": x.Name, "vhost": x.VHost, "type": x.Type, "durable": x.Durable, "auto_delete": x.AutoDelete,
		"internal": x.Internal, "arguments": args(x.Arguments), "user_who_performed_action": "rmq-internal",
	}
}

func queueJSON(q broker.QueueInfo) map[string]any {
	m := map[string]any{
		"name": q.Name, "vhost": q.VHost, "type": q.Type, "durable": q.Durable, "auto_delete": q.AutoDelete,
		"exclusive": q.Exclusive, "arguments": args(q.Arguments), "node": node, "state": "running",
		"policy": nil, "operator_policy": nil, "effective_policy_definition": map[string]any{},
		"messages": q.Messages(), "messages_ready": q.Ready, "messages_unacknowledged": q.Unacked,
		"messages_details": rate(), "messages_ready_details": rate(), "messages_unacknowledged_details": rate(),
		"messages_ram": q.Messages(), "messages_ready_ram": q.Ready, "messages_unacknowledged_ram": q.Unacked,
		"messages_persistent": 0, "messages_paged_out": 0,
		"message_bytes": q.ReadyBytes + q.UnackedBytes, "message_bytes_ready": q.ReadyBytes,
		"message_bytes_unacknowledged": q.UnackedBytes, "message_bytes_ram": q.ReadyBytes + q.UnackedBytes,
		"message_bytes_persistent": 0, "message_bytes_paged_out": 0,
		"consumers": q.Consumers, "consumer_capacity": capacity(q), "consumer_utilisation": capacity(q),
		"exclusive_consumer_tag": nullable(q.ExclusiveConsumerTag), "single_active_consumer_tag": nullable(q.SingleActiveConsumerTag),
		"memory": 0, "reductions": 0, "reductions_details": rate(), "head_message_timestamp": nil,
		"recoverable_slaves": nil,
	}
	if q.ExclusiveOwner != "" {
		m["owner_pid_details"] = map[string]any{"name": q.ExclusiveOwner}
	}
	return m
}

// capacity is RabbitMQ's consumer_capacity: 1 while consumers can take
// more, 0 with none.
func capacity(q broker.QueueInfo) float64 {
	if q.Consumers > 0 {
		return 1.0
	}
	return 0.0
}

func bindingJSON(b broker.BindingInfo) map[string]any {
	return map[string]any{
		"source": b.Source, "vhost": b.VHost, "destination": b.Destination, "destination_type": b.DestinationType,
		"routing_key": b.RoutingKey, "arguments": args(b.Arguments), "properties_key": b.PropertiesKey(),
	}
}

func vhostJSON(name string, t broker.Totals) map[string]any {
	desc := ""
	if name == "/" {
		desc = "Default virtual host"
	}
	return map[string]any{
		"name": name, "description": desc, "tags": []string{}, "default_queue_type": "undefined",
		"metadata": map[string]any{"description": desc, "tags": []string{}}, "tracing": false,
		"cluster_state": map[string]any{node: "running"},
		"messages":      t.Ready + t.Unacked, "messages_ready": t.Ready, "messages_unacknowledged": t.Unacked,
		"messages_details": rate(), "messages_ready_details": rate(), "messages_unacknowledged_details": rate(),
		"recv_oct": 0, "send_oct": 0, "recv_oct_details": rate(), "send_oct_details": rate(),
	}
}

func userJSON(u definitions.User) map[string]any {
	tags := []string(u.Tags)
	if tags == nil {
		tags = []string{}
	}
	return map[string]any{"name": u.Name, "password_hash": u.PasswordHash, "hashing_algorithm": u.HashingAlgorithm,
		"tags": tags, "limits": map[string]any{}}
}

func permissionJSON(p definitions.Permission) map[string]any {
	return map[string]any{"user": p.User, "vhost": p.VHost, "configure": p.Configure, "write": p.Write, "read": p.Read}
}

func list[T any](l []T, f func(T) map[string]any) []map[string]any {
	out := make([]map[string]any, 0, len(l))
	for _, e := range l {
		out = append(out, f(e))
	}
	return out
}
