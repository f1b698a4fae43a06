package management

import (
	"net/http"
	"slices"
	"testing"
	"time"

	rabbithole "github.com/michaelklishin/rabbit-hole/v2"

	"github.com/warrenmq/warren/internal/brokertest"
)

// The rabbit-hole Go client (what tbunny and other tools are built on),
// unchanged, against both brokers.
func TestRabbitHoleClient(t *testing.T) {
	forBoth(t, func(t *testing.T, a api) {
		rh, err := rabbithole.NewClient(a.m.URL, a.m.User, a.m.Pass)
		if err != nil {
			t.Fatal(err)
		}
		// no keep-alive: rabbit-hole hands back responses whose bodies
		// the deferred clean-ups do not close
		tr := &http.Transport{DisableKeepAlives: true}
		rh.SetTransport(tr)
		rh.SetTimeout(10 * time.Second)
		ok := func(what string, res *http.Response, err error) {
			t.Helper()
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			res.Body.Close()
			if res.StatusCode/100 != 2 {
				t.Fatalf("%s: %s", what, res.Status)
			}
		}
		ov, err := rh.Overview()
		if err != nil || ov.RabbitMQVersion == "" || len(ov.ExchangeTypes) < 4 {
			t.Fatalf("Overview: %+v, %v", ov, err)
		}
		vh := brokertest.Unique("warren-rh")
		res, err := rh.PutVhost(vh, rabbithole.VhostSettings{Description: "rabbit-hole's"})
		ok("PutVhost", res, err)
		defer func() { closeBody(rh.DeleteVhost(vh)) }()
		user := vh + "-user"
		res, err = rh.PutUser(user, rabbithole.UserSettings{Password: "pw", Tags: rabbithole.UserTags{"management"}})
		ok("PutUser", res, err)
		defer func() { closeBody(rh.DeleteUser(user)) }()
		res, err = rh.UpdatePermissionsIn(vh, user, rabbithole.Permissions{Configure: ".*", Write: ".*", Read: ".*"})
		ok("UpdatePermissionsIn", res, err)
		res, err = rh.DeclareExchange(vh, "events", rabbithole.ExchangeSettings{Type: "topic", Durable: true})
		ok("DeclareExchange", res, err)
		res, err = rh.DeclareQueue(vh, "orders", rabbithole.QueueSettings{Durable: true, Arguments: map[string]any{"x-max-length": 5}})
		ok("DeclareQueue", res, err)
		res, err = rh.DeclareBinding(vh, rabbithole.BindingInfo{Source: "events", Destination: "orders", DestinationType: "queue", RoutingKey: "order.#"})
		ok("DeclareBinding", res, err)

		vhs, err := rh.ListVhosts()
		if err != nil || !slices.ContainsFunc(vhs, func(v rabbithole.VhostInfo) bool { return v.Name == vh }) {
			t.Errorf("ListVhosts: %v, %v", vhs, err)
		}
		us, err := rh.ListUsers()
		if err != nil || !slices.ContainsFunc(us, func(u rabbithole.UserInfo) bool {
			return u.Name == user && slices.Equal([]string(u.Tags), []string{"management"})
		}) {
			t.Errorf("ListUsers: %+v, %v", us, err)
		}
		xs, err := rh.ListExchangesIn(vh)
		if err != nil || !slices.ContainsFunc(xs, func(x rabbithole.ExchangeInfo) bool { return x.Name == "events" && x.Type == "topic" && x.Durable }) {
			t.Errorf("ListExchangesIn: %+v, %v", xs, err)
		}
		qs, err := rh.ListQueuesIn(vh)
		if err != nil || len(qs) != 1 || qs[0].Name != "orders" || !qs[0].Durable {
			t.Errorf("ListQueuesIn: %+v, %v", qs, err)
		}
		q, err := rh.GetQueue(vh, "orders")
		if err != nil || q.Name != "orders" || q.Arguments["x-max-length"] != 5.0 {
			t.Errorf("GetQueue: %+v, %v", q, err)
		}
		bs, err := rh.ListQueueBindings(vh, "orders")
		if err != nil || !slices.ContainsFunc(bs, func(b rabbithole.BindingInfo) bool { return b.Source == "events" && b.RoutingKey == "order.#" }) {
			t.Errorf("ListQueueBindings: %+v, %v", bs, err)
		}
		defs, err := rh.ListDefinitions()
		if err != nil || !slices.ContainsFunc(*defs.Queues, func(q rabbithole.QueueInfo) bool { return q.Name == "orders" && q.Vhost == vh }) {
			t.Errorf("ListDefinitions: %v", err)
		}
		perms, err := rh.ListPermissionsOf(user)
		if err != nil || len(perms) != 1 || perms[0].Vhost != vh {
			t.Errorf("ListPermissionsOf: %+v, %v", perms, err)
		}
		for _, b := range bs {
			if b.Source == "events" {
				res, err = rh.DeleteBinding(vh, b)
				ok("DeleteBinding", res, err)
			}
		}
		res, err = rh.DeleteQueue(vh, "orders")
		ok("DeleteQueue", res, err)
		res, err = rh.DeleteExchange(vh, "events")
		ok("DeleteExchange", res, err)
		if _, err := rh.GetQueue(vh, "orders"); err == nil {
			t.Error("GetQueue of a deleted queue succeeded")
		} else if e, isErr := err.(rabbithole.ErrorResponse); !isErr || e.StatusCode != 404 {
			t.Errorf("GetQueue of a deleted queue: %#v", err)
		}
		res, err = rh.DeleteUser(user)
		ok("DeleteUser", res, err)
		res, err = rh.DeleteVhost(vh)
		ok("DeleteVhost", res, err)
	})
}

// closeBody closes the body of a response a deferred clean-up got.
func closeBody(res *http.Response, err error) {
	if err == nil {
		res.Body.Close()
	}
}
