package config

import (
	"os"
	"strings"
	"testing"
	"time"
)

// TestAlertsDocSettings loads the HTTP sinks' settings shown in
// docs/alerts.md, so that the page names the settings as they are.
func TestAlertsDocSettings(t *testing.T) {
	page, err := os.ReadFile("../docs/alerts.md")
	if err != nil {
		t.Fatal(err)
	}
	block := yamlBlock(string(page), "sinks:")
	if block == "" {
		t.Fatal("docs/alerts.md shows no yaml block starting with sinks:")
	}
	env := mapEnv(map[string]string{
		"FLAREWATCH_KAFKA_BROKERS":   "k:9092",
		"FLAREWATCH_WEBHOOK_AUTH":    "Bearer w",
		"FLAREWATCH_HEC_TOKEN":       "h",
		"FLAREWATCH_SENTINEL_SECRET": "s",
	})
	c, err := LoadFrom(writeConfig(t, block), env)
	if err != nil {
		t.Fatalf("the settings of docs/alerts.md do not load:\n%v\n%s", err, block)
	}
	s := c.Sinks
	if !s.Webhook.On() || !s.SplunkHEC.On() || !s.Sentinel.On() {
		t.Errorf("the page does not turn every HTTP sink on: %+v", s)
	}
	if s.Webhook.AuthValue.Reveal() != "Bearer w" || s.SplunkHEC.Token.Reveal() != "h" ||
		s.Sentinel.ClientSecret.Reveal() != "s" {
		t.Error("the page's secrets were not resolved from the environment")
	}
	out, err := c.YAML()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "Bearer w") || strings.Count(string(out), RedactedValue) != 3 {
		t.Errorf("check's output shows a sink secret or redacts the wrong settings:\n%s", out)
	}
	if s.Webhook.Retry != defaultRetry() || s.Webhook.Retry.Budget != Duration(time.Minute) {
		t.Errorf("the page's retry %+v is not the default %+v", s.Webhook.Retry, defaultRetry())
	}
}

// yamlBlock returns the first fenced yaml block of page whose text starts
// with first.
func yamlBlock(page, first string) string {
	for _, part := range strings.Split(page, "```yaml\n")[1:] {
		block, _, _ := strings.Cut(part, "```")
		if strings.HasPrefix(block, first) {
			return block
		}
	}
	return ""
}
