package definitions

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"regexp"
)

// The hashing algorithms of RabbitMQ's internal user database. A hash is
// base64(salt ++ H(salt ++ password)) with a 4-byte random salt.
const (
	SHA256 = "rabbit_password_hashing_sha256" // RabbitMQ's default since 3.6
	SHA512 = "rabbit_password_hashing_sha512"
	MD5    = "rabbit_password_hashing_md5" // what 3.5 and earlier used
)

var hashers = map[string]func() hash.Hash{SHA256: sha256.New, SHA512: sha512.New, MD5: md5.New}

func algorithmOrDefault(a string) string {
	if a == "" {
		return SHA256 // definitions from before 3.6 name none: RabbitMQ reads them as its default
	}
	return a
}

// HashPassword hashes a password as RabbitMQ does with SHA-256, salted.
func HashPassword(password string) string {
	var salt [4]byte
	rand.Read(salt[:])
	return base64.StdEncoding.EncodeToString(saltedHash(sha256.New, salt[:], password))
}

func saltedHash(h func() hash.Hash, salt []byte, password string) []byte {
	d := h()
	d.Write(salt)
	d.Write([]byte(password))
	return d.Sum(append([]byte{}, salt...))
}

func decodeHash(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, errors.New("is not base64")
	}
	if len(b) <= 4 {
		return nil, errors.New("is too short to hold a salt and a hash")
	}
	return b, nil
}

// CheckHash says what is wrong with a password hash and its algorithm
// ("" is SHA-256), or nil.
func CheckHash(passwordHash, algorithm string) error {
	if _, ok := hashers[algorithmOrDefault(algorithm)]; !ok {
		return fmt.Errorf("hashing_algorithm %q; use %s, %s or %s", algorithm, SHA256, SHA512, MD5)
	}
	if _, err := decodeHash(passwordHash); err != nil {
		return fmt.Errorf("password_hash %v", err)
	}
	return nil
}

// CheckPassword reports whether password matches a hash made by
// algorithm ("" is RabbitMQ's default, SHA-256).
func CheckPassword(passwordHash, algorithm, password string) bool {
	h, ok := hashers[algorithmOrDefault(algorithm)]
	if !ok {
		return false
	}
	b, err := decodeHash(passwordHash)
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(saltedHash(h, b[:4], password), b) == 1
}

// CompilePermission compiles a permission's regular expression as
// RabbitMQ reads it: unanchored, and "" matching nothing (RabbitMQ
// turns it into "^$"). The syntax is Go's (RE2), which has no lookahead
// or backreferences; the usual patterns ("^app\\.", ".*", "^(a|b)$") read
// the same.
func CompilePermission(re string) (*regexp.Regexp, error) {
	if re == "" {
		re = "^$"
	}
	r, err := regexp.Compile(re)
	if err != nil {
		return nil, errors.New("is not a regular expression Warren can use (Go's RE2 syntax: no lookahead or backreferences): " + err.Error())
	}
	return r, nil
}
