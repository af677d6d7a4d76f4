package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// writeConfig writes a configuration file and returns its path.
func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "flarewatch.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadFileThenEnv(t *testing.T) {
	path := writeConfig(t, `
kafka:
  brokers: [file-0:9092, file-1:9092]
  topics: [from-file]
  sasl: {mechanism: PLAIN, username: $ConnectionString, password: env:EH_CONN}
redis:
  namespace: replay
rule:
  profile: kql-parity
  lookback: 7d
  cert_grace: 1d12h
sinks:
  stdout: true
`)
	env := mapEnv(map[string]string{
		"FLAREWATCH_KAFKA_BROKERS":       "env-0:9092, env-1:9092,",
		"FLAREWATCH_RULE_LOOKBACK":       "14d",
		"FLAREWATCH_RULE_MAX_GROUPS":     "10",
		"FLAREWATCH_SINKS_KAFKA":         "false",
		"FLAREWATCH_TENANTS":             "separate",
		"FLAREWATCH_METRICS_LISTEN":      "",
		"FLAREWATCH_REDIS_PASSWORD":      "file:" + writeConfig(t, "redis-pw\n"),
		"FLAREWATCH_ENRICHMENT_PROVIDER": "file",
		"FLAREWATCH_ENRICHMENT_FILE":     "/data/profiles.csv",
		"EH_CONN":                        "Endpoint=sb://x/;SharedAccessKey=k",
	})

	got, err := LoadFrom(path, env)
	if err != nil {
		t.Fatalf("LoadFrom: %v", err)
	}

	want := Default()
	want.Kafka.Brokers = []string{"env-0:9092", "env-1:9092"}
	want.Kafka.Topics = []string{"from-file"}
	want.Kafka.SASL = SASL{Mechanism: SASLPlain, Username: "$ConnectionString",
		Password: "Endpoint=sb://x/;SharedAccessKey=k"}
	want.Redis.Namespace = "replay"
	want.Redis.Password = "redis-pw"
	want.Rule.Profile = ProfileKQLParity
	want.Rule.Lookback = Duration(14 * 24 * time.Hour)
	want.Rule.CertGrace = Duration(36 * time.Hour)
	want.Rule.MaxGroups = 10
	want.Sinks.Stdout = true
	want.Sinks.Kafka = false
	want.Tenants = TenantsSeparate
	want.Metrics.Listen = ""
	want.Enrichment.Provider = ProviderFile
	want.Enrichment.File = "/data/profiles.csv"
	if !reflect.DeepEqual(got, want) {
		t.Errorf("LoadFrom =\n%+v\nwant\n%+v", got, want)
	}
}

func TestLoadNoFile(t *testing.T) {
	got, err := LoadFrom("", mapEnv(map[string]string{"FLAREWATCH_KAFKA_BROKERS": "k:9092"}))
	if err != nil {
		t.Fatalf("LoadFrom: %v", err)
	}
	want := Default()
	want.Kafka.Brokers = []string{"k:9092"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("LoadFrom = %+v, want the defaults with the broker", got)
	}
}

func TestLoadFileProblems(t *testing.T) {
	tests := []struct {
		name string
		file string
		want []string // each a substring of one problem
	}{
		{
			name: "unknown keys, nested and top level",
			file: "kafka:\n  brokers: [k:9092]\n  fetch_max_byte: 1\nlogging: {}\n",
			want: []string{
				"kafka.fetch_max_byte: line 3: unknown key; kafka has keys alert_topic,",
				"logging: line 4: unknown key; the top level has keys enrichment,",
			},
		},
		{
			name: "key set twice",
			file: "kafka:\n  brokers: [k:9092]\n  group: a\n  group: b\n",
			want: []string{"kafka.group: line 4: set twice (first on line 3)"},
		},
		{
			name: "bad values",
			file: "kafka:\n  brokers: k:9092\n  fetch_max_bytes: 3000000000\n" +
				"  create_topics: yes\nrule:\n  lookback: 30x\n  max_groups: many\n" +
				"  profile: [default]\nredis: 7\n",
			want: []string{
				"kafka.brokers: line 2: expected a list",
				"kafka.fetch_max_bytes: line 3: \"3000000000\" is out of range for a 32-bit integer",
				"kafka.create_topics: line 4: \"yes\" is not a boolean",
				"rule.lookback: line 6: duration \"30x\"",
				"rule.max_groups: line 7: \"many\" is not an integer",
				"rule.profile: line 8: expected a single value",
				"redis: line 9: expected a mapping of settings",
				"kafka.brokers: required", // the bad list left it empty
			},
		},
		{
			name: "unresolvable secret",
			file: "kafka:\n  brokers: [k:9092]\nredis:\n  password: env:NOT_SET_ANYWHERE\n",
			want: []string{"redis.password: variable NOT_SET_ANYWHERE is not set"},
		},
		{
			name: "check's output fed back",
			file: "kafka:\n  brokers: [k:9092]\nredis:\n  password: '[redacted]'\n",
			want: []string{"redis.password: is the [redacted] placeholder from check's output: " +
				"set the real value"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadFrom(writeConfig(t, tt.file), nil)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("LoadFrom = %v, want ErrInvalid", err)
			}
			assertProblems(t, err, tt.want)
		})
	}
}

func TestLoadNullsAndEmptyFile(t *testing.T) {
	for _, text := range []string{"", "# nothing\n", "kafka:\nrule: ~\n"} {
		env := mapEnv(map[string]string{"FLAREWATCH_KAFKA_BROKERS": "k:9092"})
		got, err := LoadFrom(writeConfig(t, text), env)
		if err != nil {
			t.Fatalf("LoadFrom(%q): %v", text, err)
		}
		if got.Rule != Default().Rule || got.Kafka.Group != "flarewatch" {
			t.Errorf("LoadFrom(%q) changed defaults: %+v", text, got)
		}
	}

	// A null setting empties it: "listen:" turns metrics off.
	got, err := LoadFrom(writeConfig(t, "kafka: {brokers: [k:9092]}\nmetrics:\n  listen:\n"), nil)
	if err != nil || got.Metrics.Listen != "" {
		t.Errorf("listen: (null) gave %q, %v; want it empty", got.Metrics.Listen, err)
	}
}

func TestLoadFileErrors(t *testing.T) {
	_, err := LoadFrom(filepath.Join(t.TempDir(), "missing.yaml"), nil)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want fs.ErrNotExist", err)
	}
	_, err = LoadFrom(writeConfig(t, "kafka: [unclosed\n"), nil)
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("bad YAML: %v, want ErrInvalid", err)
	}
}

func TestEnvProblems(t *testing.T) {
	env := mapEnv(map[string]string{
		"FLAREWATCH_KAFKA_BROKERS":           "k:9092",
		"FLAREWATCH_RULE_CERT_GRACE":         "soon",
		"FLAREWATCH_SINKS_STDOUT":            "yes",
		"FLAREWATCH_KAFKA_MAX_MESSAGE_BYTES": "1MiB",
		"FLAREWATCH_REDIS_PASSWORD":          "env:ALSO_NOT_SET",
	})
	_, err := LoadFrom("", env)
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("LoadFrom = %v, want ErrInvalid", err)
	}
	assertProblems(t, err, []string{
		"rule.cert_grace: FLAREWATCH_RULE_CERT_GRACE: duration \"soon\"",
		"sinks.stdout: FLAREWATCH_SINKS_STDOUT: \"yes\" is not a boolean",
		"kafka.max_message_bytes: FLAREWATCH_KAFKA_MAX_MESSAGE_BYTES: \"1MiB\" is not an integer",
		"redis.password: variable ALSO_NOT_SET is not set",
	})
}

// TestEverySettingFromEnv sets every setting through its variable, so that
// a field added later is overridable or this test fails.
func TestEverySettingFromEnv(t *testing.T) {
	values := map[reflect.Kind]string{
		reflect.String: "v", reflect.Bool: "true", reflect.Int: "7",
		reflect.Int32: "7", reflect.Int64: "7", reflect.Slice: "a,b",
	}
	paths := settingPaths()
	seen := make(map[string]string)
	for _, path := range paths {
		name := EnvName(path)
		if other, dup := seen[name]; dup {
			t.Errorf("%s and %s share %s", path, other, name)
		}
		seen[name] = path
	}

	var c Config
	env := make(map[string]string)
	walk(reflect.ValueOf(&c).Elem(), "", func(path string, v reflect.Value) {
		value, ok := values[v.Kind()]
		if v.Type() == reflect.TypeFor[Duration]() {
			value, ok = "3d", true
		}
		if !ok {
			t.Errorf("%s: no test value for %s", path, v.Type())
		}
		env[EnvName(path)] = value
	})
	if p := applyEnv(&c, mapEnv(env)); len(p) > 0 {
		t.Fatalf("applyEnv: %v", p.err())
	}
	walk(reflect.ValueOf(&c).Elem(), "", func(path string, v reflect.Value) {
		if v.IsZero() {
			t.Errorf("%s was not set by %s", path, EnvName(path))
		}
	})
	if len(paths) < 60 || !slices.Contains(paths, "enrichment.mde.client_secret") {
		t.Errorf("settingPaths = %v, want every setting", paths)
	}
}

func TestEnvName(t *testing.T) {
	tests := map[string]string{
		"kafka.brokers":                "FLAREWATCH_KAFKA_BROKERS",
		"kafka.sasl.password":          "FLAREWATCH_KAFKA_SASL_PASSWORD",
		"rule.cert_grace":              "FLAREWATCH_RULE_CERT_GRACE",
		"rule.ranges.file":             "FLAREWATCH_RULE_RANGES_FILE",
		"enrichment.mde.client_secret": "FLAREWATCH_ENRICHMENT_MDE_CLIENT_SECRET",
		"tenants":                      "FLAREWATCH_TENANTS",
	}
	for path, want := range tests {
		if got := EnvName(path); got != want {
			t.Errorf("EnvName(%q) = %q, want %q", path, got, want)
		}
	}
}

// assertProblems checks that err holds a problem containing each of want.
func assertProblems(t *testing.T, err error, want []string) {
	t.Helper()
	lines := strings.Split(err.Error(), "\n")
	for _, w := range want {
		if !slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, w) }) {
			t.Errorf("no problem says %q; got:\n%v", w, err)
		}
	}
}
