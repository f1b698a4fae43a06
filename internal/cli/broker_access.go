package cli

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/warrenmq/warren/sandbox/broker"
	"github.com/warrenmq/warren/sandbox/definitions"
)

// The broker command's users, vhosts and permissions: a few flags for the
// usual cases, and RabbitMQ's own definitions file for the rest. A
// password never has to be on the command line, where ps shows it: it
// may come from a users file or the environment.

func addAccessFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringArray("user", nil, "a user as name:password, or name alone to read the password from $WARREN_PASSWORD_<NAME> (repeatable; default guest:guest)")
	f.String("users-file", "", "a file of users, one name:password a line (# comments), so that no password is on the command line")
	f.StringArray("vhost", nil, `a vhost besides "/" (repeatable)`)
	f.StringArray("permission", nil, "user@vhost (every permission there) or user@vhost=configure:write:read regular expressions (repeatable); a user named in none gets every permission on every vhost")
	f.String("definitions", "", "RabbitMQ definitions to load at start (rabbitmqadmin export, GET /api/definitions): users with their password hashes, vhosts, permissions, exchanges, queues, bindings")
}

// passwordEnv is the environment variable a --user without a password is
// read from: WARREN_PASSWORD_ and the name in capitals, other characters
// as '_' (alice -> WARREN_PASSWORD_ALICE, ci-bot -> WARREN_PASSWORD_CI_BOT).
func passwordEnv(name string) string {
	var b strings.Builder
	b.WriteString("WARREN_PASSWORD_")
	for _, r := range strings.ToUpper(name) {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

type namedPassword struct{ name, password, from string }

// accessDefinitions turns the access flags into the definitions the
// broker starts with (nil when no flag asks for anything but users given
// as name:password, which broker.Options.Users covers), and those users.
func (e *env) accessDefinitions(cmd *cobra.Command) (*definitions.Definitions, map[string]string, error) {
	userFlags, _ := cmd.Flags().GetStringArray("user")
	usersFile, _ := cmd.Flags().GetString("users-file")
	vhostFlags, _ := cmd.Flags().GetStringArray("vhost")
	permFlags, _ := cmd.Flags().GetStringArray("permission")
	defsFile, _ := cmd.Flags().GetString("definitions")

	var users []namedPassword
	for _, u := range userFlags {
		name, pass, hasPass := strings.Cut(u, ":")
		from := fmt.Sprintf("--user %q", u)
		if name == "" {
			return nil, nil, badInput("%s: want name:password, or name with the password in $WARREN_PASSWORD_<NAME>", from)
		}
		if !hasPass {
			v := passwordEnv(name)
			pass = e.getenv(v)
			if pass == "" {
				return nil, nil, badInput("--user %s: no password: set %s, give name:password, or use --users-file", name, v)
			}
			from = "$" + v
		}
		users = append(users, namedPassword{name, pass, from})
	}
	if usersFile != "" {
		fu, err := readUsersFile(usersFile)
		if err != nil {
			return nil, nil, err
		}
		users = append(users, fu...)
	}
	byName := map[string]string{}
	for _, u := range users {
		if u.password == "" {
			// RabbitMQ refuses a blank password at login; a user no
			// client can log in as is a typing mistake.
			return nil, nil, badInput("%s: the password is empty (user %q); RabbitMQ refuses blank passwords: give name:password", u.from, u.name)
		}
		if _, dup := byName[u.name]; dup {
			return nil, nil, badInput("%s: user %q is given twice; keep one", u.from, u.name)
		}
		byName[u.name] = u.password
	}
	if len(vhostFlags) == 0 && len(permFlags) == 0 && defsFile == "" {
		return nil, byName, nil
	}

	d := definitions.Empty()
	if defsFile != "" {
		fd, err := definitions.ParseFile(defsFile)
		if err != nil {
			return nil, nil, badInput("--definitions: %v", err)
		}
		d = *fd
	}
	vhosts := map[string]bool{}
	for _, v := range d.VHosts {
		vhosts[v.Name] = true
	}
	addVHost := func(name string) {
		if !vhosts[name] {
			vhosts[name] = true
			d.VHosts = append(d.VHosts, definitions.VHost{Name: name})
		}
	}
	if defsFile == "" || len(d.VHosts) == 0 {
		addVHost("/")
	}
	for _, v := range vhostFlags {
		if v == "" {
			return nil, nil, badInput("--vhost: a vhost needs a name")
		}
		addVHost(v)
	}
	names := make([]string, 0, len(byName))
	for _, u := range users {
		names = append(names, u.name)
		d.Users = append(d.Users, definitions.User{Name: u.name, Password: u.password, Tags: definitions.Tags{broker.TagAdministrator}})
	}
	if defsFile == "" && len(names) == 0 {
		names = append(names, "guest")
		d.Users = append(d.Users, definitions.User{Name: "guest", Password: "guest", Tags: definitions.Tags{broker.TagAdministrator}})
	}
	known := map[string]bool{}
	for _, u := range d.Users {
		known[u.Name] = true
	}
	restricted := map[string]bool{}
	for _, p := range permFlags {
		perm, err := parsePermission(p)
		if err != nil {
			return nil, nil, err
		}
		if !known[perm.User] {
			return nil, nil, badInput("--permission %q: no user %q; add it with --user", p, perm.User)
		}
		if !vhosts[perm.VHost] {
			return nil, nil, badInput("--permission %q: no vhost %q; add it with --vhost", p, perm.VHost)
		}
		restricted[perm.User] = true
		d.Permissions = append(d.Permissions, perm)
	}
	// a user of the flags that no --permission names may do anything
	// anywhere, as the broker's users always could
	for _, name := range names {
		if restricted[name] {
			continue
		}
		for _, v := range d.VHosts {
			d.Permissions = append(d.Permissions, definitions.Permission{User: name, VHost: v.Name, Configure: ".*", Write: ".*", Read: ".*"})
		}
	}
	return &d, nil, nil
}

// parsePermission reads user@vhost or user@vhost=configure:write:read.
// The user is what comes before the last '@' (user names may be e-mail
// addresses); a regular expression with ':' needs a definitions file.
func parsePermission(s string) (definitions.Permission, error) {
	who, res, hasRes := strings.Cut(s, "=")
	at := strings.LastIndex(who, "@")
	if at <= 0 || at == len(who)-1 {
		return definitions.Permission{}, badInput("--permission %q: want user@vhost or user@vhost=configure:write:read", s)
	}
	p := definitions.Permission{User: who[:at], VHost: who[at+1:], Configure: ".*", Write: ".*", Read: ".*"}
	if hasRes {
		parts := strings.Split(res, ":")
		if len(parts) != 3 {
			return p, badInput("--permission %q: want three regular expressions, configure:write:read (\"\" allows nothing: a::.* may configure 'a' and read anything); one with ':' in it needs --definitions", s)
		}
		p.Configure, p.Write, p.Read = parts[0], parts[1], parts[2]
	}
	for _, re := range []string{p.Configure, p.Write, p.Read} {
		if _, err := definitions.CompilePermission(re); err != nil {
			return p, badInput("--permission %q: %q %v", s, re, err)
		}
	}
	return p, nil
}

// readUsersFile reads name:password lines.
func readUsersFile(path string) ([]namedPassword, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, badInput("--users-file: %v", err)
	}
	defer f.Close()
	var out []namedPassword
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, pass, ok := strings.Cut(line, ":")
		if !ok || name == "" {
			return nil, badInput("%s:%d: want name:password", path, n)
		}
		out = append(out, namedPassword{name, pass, fmt.Sprintf("%s:%d", path, n)})
	}
	if err := sc.Err(); err != nil {
		return nil, badInput("--users-file: %v", err)
	}
	return out, nil
}
