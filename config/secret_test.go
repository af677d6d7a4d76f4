package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

const hunter2 = "hunter2-s3cret"

func TestSecretNeverShown(t *testing.T) {
	s := Secret(hunter2)
	inStruct := struct{ Password Secret }{s}

	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("connect", "password", s)
	y, _ := yaml.Marshal(inStruct)
	j, _ := json.Marshal(inStruct)

	shown := map[string]string{
		"%v":    fmt.Sprintf("%v", s),
		"%s":    fmt.Sprintf("%s", s),
		"%q":    fmt.Sprintf("%q", s),
		"%#v":   fmt.Sprintf("%#v", s),
		"%x":    fmt.Sprintf("%x", s),
		"%+v":   fmt.Sprintf("%+v", inStruct),
		"%#v{}": fmt.Sprintf("%#v", inStruct),
		"yaml":  string(y),
		"json":  string(j),
		"slog":  logged.String(),
	}
	for how, out := range shown {
		if strings.Contains(out, hunter2) {
			t.Errorf("%s shows the secret: %s", how, out)
		}
		if how != "%x" && !strings.Contains(out, RedactedValue) {
			t.Errorf("%s = %s, want it to say %s", how, out, RedactedValue)
		}
	}
	if s.Reveal() != hunter2 {
		t.Errorf("Reveal() = %q, want %q", s.Reveal(), hunter2)
	}
}

func TestEmptySecretShowsEmpty(t *testing.T) {
	var s Secret
	j, _ := json.Marshal(s)
	if s.String() != "" || string(j) != `""` {
		t.Errorf("empty secret shows %q and %s, want empty", s.String(), j)
	}
}

func TestSecretResolve(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	withNewline := write("pw", hunter2+"\n")
	withCRLF := write("pw-crlf", hunter2+"\r\n")
	empty := write("empty", "\n")
	env := mapEnv(map[string]string{"PW": hunter2, "EMPTY": ""})

	tests := []struct {
		name    string
		in      Secret
		want    string
		wantErr string
		wantIs  error
	}{
		{name: "literal", in: hunter2, want: hunter2},
		{name: "empty", in: "", want: ""},
		{name: "env", in: "env:PW", want: hunter2},
		{name: "file", in: Secret("file:" + withNewline), want: hunter2},
		{name: "file crlf", in: Secret("file:" + withCRLF), want: hunter2},
		{name: "env unset", in: "env:NOPE", wantErr: "NOPE is not set"},
		{name: "env empty", in: "env:EMPTY", wantErr: "EMPTY is empty"},
		{name: "env no name", in: "env:", wantErr: "needs a variable name"},
		{name: "file missing", in: Secret("file:" + dir + "/nope"), wantIs: fs.ErrNotExist},
		{name: "file empty", in: Secret("file:" + empty), wantErr: "is empty"},
		{name: "file no path", in: "file:", wantErr: "needs a path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.in.resolve(env)
			switch {
			case tt.wantErr != "" || tt.wantIs != nil:
				if err == nil {
					t.Fatalf("resolve(%q) succeeded, want an error", tt.in)
				}
				if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
					t.Errorf("resolve(%q) = %v, want it to match %v", tt.in, err, tt.wantIs)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("resolve(%q) = %v, want it to say %q", tt.in, err, tt.wantErr)
				}
			case err != nil || got.Reveal() != tt.want:
				t.Errorf("resolve(%q) = %q, %v; want %q", tt.in, got.Reveal(), err, tt.want)
			}
		})
	}
}

// mapEnv is an environment for LoadFrom.
func mapEnv(m map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := m[name]
		return v, ok
	}
}
