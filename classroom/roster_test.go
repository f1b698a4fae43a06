package classroom

import (
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestNumbered(t *testing.T) {
	r, err := Numbered(3)
	if err != nil || len(r) != 3 || r[0] != (Student{Name: "student-01", User: "student-01", VHost: "student-01"}) || r[2].Name != "student-03" {
		t.Fatalf("Numbered(3) = %+v, %v", r, err)
	}
	if r, _ := Numbered(120); r[0].Name != "student-001" || r[119].Name != "student-120" {
		t.Errorf("Numbered(120) names %s .. %s, want three digits", r[0].Name, r[119].Name)
	}
	for _, n := range []int{0, -1, MaxStudents + 1} {
		if _, err := Numbered(n); err == nil {
			t.Errorf("Numbered(%d) accepted", n)
		}
	}
}

func TestReadRoster(t *testing.T) {
	r, err := ReadRoster("class.txt", strings.NewReader("# autumn\nAda Lovelace\n\n  Grace  Hopper \nalan.turing\nÉmilie du Châtelet\n"))
	if err != nil {
		t.Fatal(err)
	}
	var users []string
	for _, s := range r {
		users = append(users, s.User)
		if s.VHost != s.User {
			t.Errorf("%s: vhost %s, user %s", s.Name, s.VHost, s.User)
		}
	}
	if want := []string{"ada-lovelace", "grace-hopper", "alan.turing", "emilie-du-chatelet"}; !reflect.DeepEqual(users, want) {
		t.Errorf("users %v, want %v", users, want)
	}
	if r[1].Name != "Grace  Hopper" {
		t.Errorf("name %q: want it as written", r[1].Name)
	}
	for _, tc := range []struct{ in, says string }{
		{"ada\nAda\n", "class.txt:2: \"Ada\" makes the user ada, as line 1 does"},
		{"# nobody\n\n", "class.txt: no students"},
		{"???\n", "class.txt:1: \"???\" has no letter or digit"},
		{strings.Repeat("x", 70) + "\n", "too long"},
	} {
		if _, err := ReadRoster("class.txt", strings.NewReader(tc.in)); err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("ReadRoster(%q) = %v; want %q", tc.in, err, tc.says)
		}
	}
}

func TestCompleteAndJSON(t *testing.T) {
	r := []Student{{Name: "A b", User: "a-b", VHost: "a/b"}}
	Complete(r, "amqp", "10.0.0.5:5672")
	s := r[0]
	if len(s.Password) != 16 || strings.ContainsAny(s.Password, "0O1lI") {
		t.Errorf("password %q: want 16 unambiguous characters", s.Password)
	}
	u, err := url.Parse(s.URL)
	if err != nil || u.Host != "10.0.0.5:5672" || u.User.Username() != "a-b" || u.Path != "/a/b" || !strings.HasSuffix(s.URL, "/a%2Fb") {
		t.Errorf("URL %q: want the vhost escaped as one path segment", s.URL)
	}
	pw := s.Password
	Complete(r, "amqp", "h:1")
	if r[0].Password != pw {
		t.Error("Complete changed a password it had")
	}
	b, _ := json.Marshal(r[0])
	var keys map[string]any
	_ = json.Unmarshal(b, &keys)
	if len(keys) != 5 || keys["name"] != "A b" || keys["user"] == nil || keys["password"] == nil || keys["vhost"] == nil || keys["url"] == nil {
		t.Errorf("JSON %s: want exactly name, user, password, vhost, url", b)
	}
}

func TestReachableHost(t *testing.T) {
	for addr, network := range map[string]bool{"127.0.0.1:5672": false, "localhost:1": false, "[::1]:5672": false,
		"0.0.0.0:5672": true, "[::]:5672": true, ":5672": true, "192.168.1.10:5672": true} {
		hp, got, err := ReachableHost(addr)
		if err != nil || got != network || hp == "" || strings.HasPrefix(hp, "0.0.0.0") || strings.HasPrefix(hp, ":") {
			t.Errorf("ReachableHost(%q) = %q, %v, %v; want network %v and a host students can dial", addr, hp, got, err, network)
		}
	}
}
