package classroom

import (
	"bufio"
	"crypto/rand"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Student is one line of the roster. Its JSON is `warren class --json`'s
// contract: exactly these keys.
type Student struct {
	Name     string `json:"name"`
	User     string `json:"user"`
	Password string `json:"password"`
	VHost    string `json:"vhost"`
	URL      string `json:"url"`
}

// MaxStudents bounds a class (each student is a vhost, a user and, for the
// teacher, a connection).
const MaxStudents = 500

// Numbered is a roster of n students named student-01, student-02, ...
// (as many digits as n needs, at least two), each user and vhost named
// after the student, without passwords or URLs yet (Complete).
func Numbered(n int) ([]Student, error) {
	if n < 1 || n > MaxStudents {
		return nil, fmt.Errorf("--students %d: give 1 to %d", n, MaxStudents)
	}
	width := max(2, len(strconv.Itoa(n)))
	out := make([]Student, n)
	for i := range out {
		name := fmt.Sprintf("student-%0*d", width, i+1)
		out[i] = Student{Name: name, User: name, VHost: name}
	}
	return out, nil
}

// ReadRoster reads a roster file: one student's name a line; blank lines
// and lines starting with # are skipped. Each user and vhost is the name
// in lower case without accents, with runs of anything but letters, digits, '.', '_' and
// '-' made one '-' ("Ada Lovelace" is ada-lovelace). file names the
// roster in errors.
func ReadRoster(file string, r io.Reader) ([]Student, error) {
	var out []Student
	lineOf := map[string]int{}
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		name := strings.TrimSpace(sc.Text())
		if name == "" || strings.HasPrefix(name, "#") {
			continue
		}
		slug := Slug(name)
		switch {
		case slug == "":
			return nil, fmt.Errorf("%s:%d: %q has no letter or digit to make a user name of", file, n, name)
		case len(slug) > 64:
			return nil, fmt.Errorf("%s:%d: %q is too long for a user name; keep names under 64 characters", file, n, name)
		case lineOf[slug] > 0:
			return nil, fmt.Errorf("%s:%d: %q makes the user %s, as line %d does; make the names differ", file, n, name, slug, lineOf[slug])
		}
		lineOf[slug] = n
		out = append(out, Student{Name: name, User: slug, VHost: slug})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	switch {
	case len(out) == 0:
		return nil, fmt.Errorf("%s: no students: write one name a line", file)
	case len(out) > MaxStudents:
		return nil, fmt.Errorf("%s: %d students; a class is at most %d", file, len(out), MaxStudents)
	}
	return out, nil
}

// ReadRosterFile is ReadRoster on a file.
func ReadRosterFile(path string) ([]Student, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadRoster(path, f)
}

// Slug makes a user or vhost name of a person's name (see ReadRoster).
func Slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFD.String(strings.ToLower(name)) {
		if unicode.Is(unicode.Mn, r) {
			continue // the accent of a decomposed letter: é is e
		}
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
		if !ok {
			dash = b.Len() > 0
			continue
		}
		if dash {
			b.WriteByte('-')
			dash = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

const passwordChars = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789" // no 0/O, 1/l/I

// NewPassword is a random password of 16 characters that read unambiguously.
func NewPassword() string {
	b := make([]byte, 16)
	for i := range b {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(passwordChars))))
		if err != nil {
			panic(err) // crypto/rand does not fail on the systems Go supports
		}
		b[i] = passwordChars[n.Int64()]
	}
	return string(b)
}

// Complete gives every student a new password (when it has none) and the
// AMQP URL of their vhost on the broker at hostPort (scheme "amqp" or
// "amqps").
func Complete(roster []Student, scheme, hostPort string) {
	for i := range roster {
		s := &roster[i]
		if s.Password == "" {
			s.Password = NewPassword()
		}
		u := url.URL{Scheme: scheme, User: url.UserPassword(s.User, s.Password), Host: hostPort, Path: "/" + s.VHost, RawPath: "/" + url.PathEscape(s.VHost)}
		s.URL = u.String()
	}
}

// ReachableHost is the host students should connect to for a broker
// listening on addr: addr's host, or, for the unspecified address
// (0.0.0.0, [::], empty), this machine's name. It reports whether addr
// listens beyond loopback.
func ReachableHost(addr string) (hostPort string, network bool, err error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", false, err
	}
	ip := net.ParseIP(host)
	switch {
	case host == "localhost" || (ip != nil && ip.IsLoopback()):
		return addr, false, nil
	case host == "" || (ip != nil && ip.IsUnspecified()):
		name, err := os.Hostname()
		if err != nil || name == "" {
			name = "localhost"
		}
		return net.JoinHostPort(name, port), true, nil
	}
	return addr, true, nil
}
