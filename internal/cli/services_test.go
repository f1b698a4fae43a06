package cli

import (
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// docker-compose.yml must run commands and flags this binary has, on the
// ports it publishes, with a broker user that may connect from another
// container: a mismatch only shows when someone runs it, far from here.
func TestComposeMatchesTheCommands(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Image       string            `yaml:"image"`
			Command     []string          `yaml:"command"`
			Ports       []string          `yaml:"ports"`
			Environment map[string]string `yaml:"environment"`
			DependsOn   map[string]struct {
				Condition string `yaml:"condition"`
			} `yaml:"depends_on"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(raw, &compose); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	rmq, ok := compose.Services["rabbitmq"]
	if !ok || rmq.Image != "rabbitmq:4-management" {
		t.Errorf("rabbitmq service: image %q, want rabbitmq:4-management", rmq.Image)
	}
	for _, p := range []string{"5672:5672", "15672:15672"} {
		if !slices.ContainsFunc(rmq.Ports, func(s string) bool { return strings.HasPrefix(s, p) }) {
			t.Errorf("rabbitmq does not publish %s", p)
		}
	}

	tests := []struct {
		service string
		command string
		port    string // the published port, = the --listen port
	}{
		{"user-service", "user-service", "3000"},
		{"profile-service", "profile-service", "3001"},
		{"warren", "run", ""},
	}
	root := newRootCmd(&env{getenv: func(string) string { return "" }})
	for _, tc := range tests {
		t.Run(tc.service, func(t *testing.T) {
			svc, ok := compose.Services[tc.service]
			if !ok {
				t.Fatalf("no service %s", tc.service)
			}
			cmd, rest, err := root.Find(svc.Command)
			if err != nil || cmd.Name() != tc.command {
				t.Fatalf("command %q: found %q, %v; want warren %s", svc.Command, cmd.Name(), err, tc.command)
			}
			listen := ""
			for i, a := range rest {
				name, value, hasValue := strings.Cut(strings.TrimPrefix(a, "--"), "=")
				if !strings.HasPrefix(a, "--") {
					continue
				}
				if cmd.Flags().Lookup(name) == nil && cmd.InheritedFlags().Lookup(name) == nil {
					t.Errorf("warren %s has no flag --%s", tc.command, name)
				}
				if name == "listen" {
					if !hasValue && i+1 < len(rest) {
						value = rest[i+1]
					}
					listen = value
				}
			}
			if tc.port != "" {
				if !strings.HasSuffix(listen, ":"+tc.port) || !strings.HasPrefix(listen, "0.0.0.0:") {
					t.Errorf("--listen %q, want 0.0.0.0:%s (reachable from outside the container)", listen, tc.port)
				}
				if !slices.Contains(svc.Ports, tc.port+":"+tc.port) {
					t.Errorf("ports %v, want %s:%s", svc.Ports, tc.port, tc.port)
				}
			}
			u, err := url.Parse(svc.Environment["AMQP_URL"])
			if err != nil || u.Host != "rabbitmq:5672" {
				t.Errorf("AMQP_URL %q, want amqp://...@rabbitmq:5672/", svc.Environment["AMQP_URL"])
			} else if u.User.Username() == "guest" {
				t.Error("AMQP_URL uses guest, which RabbitMQ refuses from another container")
			}
			if svc.DependsOn["rabbitmq"].Condition != "service_healthy" {
				t.Errorf("%s does not wait for rabbitmq to be healthy", tc.service)
			}
		})
	}
}
