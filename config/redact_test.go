package config

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestYAMLRedactsSecrets(t *testing.T) {
	const (
		fileSecret = "from-the-file-0xdeadbeef"
		envSecret  = "from-the-env-0xfeedface"
		refSecret  = "from-a-reference-0xcafe"
	)
	path := writeConfig(t, `
kafka:
  brokers: [k:9092]
  sasl: {mechanism: PLAIN, username: u, password: `+fileSecret+`}
enrichment:
  provider: mde
  mde: {tenant_id: t, client_id: c, client_secret: env:MDE_SECRET}
`)
	c, err := LoadFrom(path, mapEnv(map[string]string{
		"FLAREWATCH_REDIS_PASSWORD": envSecret,
		"MDE_SECRET":                refSecret,
	}))
	if err != nil {
		t.Fatalf("LoadFrom: %v", err)
	}

	out, err := c.YAML()
	if err != nil {
		t.Fatalf("YAML: %v", err)
	}
	j, _ := json.Marshal(c)
	shown := map[string]string{
		"YAML":           string(out),
		"JSON":           string(j),
		"%v":             fmt.Sprintf("%v", c),
		"%+v":            fmt.Sprintf("%+v", c),
		"%#v":            fmt.Sprintf("%#v", c),
		"Redacted() %#v": fmt.Sprintf("%#v", c.Redacted()),
	}
	for how, text := range shown {
		for _, secret := range []string{fileSecret, envSecret, refSecret} {
			if strings.Contains(text, secret) {
				t.Errorf("%s shows %q:\n%s", how, secret, text)
			}
		}
	}
	if n := strings.Count(string(out), RedactedValue); n != 3 {
		t.Errorf("YAML shows %s %d times, want 3:\n%s", RedactedValue, n, out)
	}

	// Redacted leaves the original alone and hides even Reveal.
	r := c.Redacted()
	if r.Redis.Password.Reveal() != RedactedValue || c.Redis.Password.Reveal() != envSecret {
		t.Errorf("Redacted: copy reveals %q, original %q",
			r.Redis.Password.Reveal(), c.Redis.Password.Reveal())
	}
	r.Kafka.Brokers[0] = "changed:1"
	if c.Kafka.Brokers[0] != "k:9092" {
		t.Error("changing the Redacted copy's list changed the original")
	}
}

// TestYAMLLoadsBack checks that check's output is a valid file giving the
// same configuration, secrets aside.
func TestYAMLLoadsBack(t *testing.T) {
	c := valid()
	c.Rule.Lookback = Duration(36 * time.Hour)
	c.Kafka.Topics = []string{"a", "b"}
	c.Metrics.Listen = ""
	out, err := c.YAML()
	if err != nil {
		t.Fatalf("YAML: %v", err)
	}
	back, err := LoadFrom(writeConfig(t, string(out)), nil)
	if err != nil {
		t.Fatalf("LoadFrom(YAML()): %v\n%s", err, out)
	}
	if !reflect.DeepEqual(back, c) {
		t.Errorf("loaded back\n%+v\nwant\n%+v", back, c)
	}
}
