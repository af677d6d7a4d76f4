package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
)

// RedactedValue is what a non-empty Secret shows instead of its value.
const RedactedValue = "[redacted]"

// Secret is a setting that must not be shown: it formats, marshals and logs
// as RedactedValue when set and as "" when empty. Reveal returns the value.
//
// In the file or the environment a secret is given as a literal, as
// "env:NAME" (the value of variable NAME) or as "file:/path" (the file's
// contents less trailing newlines). Load resolves the references; a literal
// that itself starts with "env:" or "file:" cannot be given.
type Secret string

// Reveal returns the secret's value, for the one place that uses it.
func (s Secret) Reveal() string { return string(s) }

// String returns RedactedValue, or "" for an empty secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return RedactedValue
}

// GoString keeps the value out of %#v.
func (s Secret) GoString() string { return fmt.Sprintf("config.Secret(%q)", s.String()) }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalYAML writes String's form.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// MarshalJSON writes String's form.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// Secret reference prefixes.
const (
	envRef  = "env:"
	fileRef = "file:"
)

// resolve returns the value s refers to: the named variable for "env:", the
// file's contents for "file:", s itself otherwise.
func (s Secret) resolve(lookup func(string) (string, bool)) (Secret, error) {
	v := string(s)
	switch {
	case strings.HasPrefix(v, envRef):
		name := strings.TrimPrefix(v, envRef)
		if name == "" {
			return s, errors.New("env: needs a variable name, e.g. env:REDIS_PASSWORD")
		}
		val, ok := lookup(name)
		if !ok {
			return s, fmt.Errorf("variable %s is not set", name)
		}
		if val == "" {
			return s, fmt.Errorf("variable %s is empty", name)
		}
		return Secret(val), nil

	case strings.HasPrefix(v, fileRef):
		path := strings.TrimPrefix(v, fileRef)
		if path == "" {
			return s, errors.New("file: needs a path, e.g. file:/run/secrets/redis")
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return s, fmt.Errorf("read secret file: %w", err)
		}
		val := strings.TrimRight(string(data), "\r\n")
		if val == "" {
			return s, fmt.Errorf("secret file %s is empty", path)
		}
		return Secret(val), nil
	}
	return s, nil
}
