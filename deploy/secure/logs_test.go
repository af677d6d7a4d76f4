package secure

import (
	"bytes"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/flarewatch/flarewatch/config"
)

// TestSecretsStayOutOfLogs logs the Kafka and Redis sections and what
// `flarewatch check` prints, through the service's JSON handler and the
// text handler, and looks for the secrets in the output. It needs no
// backend.
func TestSecretsStayOutOfLogs(t *testing.T) {
	const (
		kafkaSecret = "kafka-secret-0x5ec7e7"
		redisSecret = "redis-secret-0x7ed15"
		mdeSecret   = "mde-secret-0xc1ea7"
	)
	cfg := config.Default()
	cfg.Kafka.Brokers = []string{"127.0.0.1:9093"}
	cfg.Kafka.SASL = config.SASL{Mechanism: config.SASLScramSHA512, Username: "fw",
		Password: config.Secret(kafkaSecret)}
	cfg.Kafka.TLS = config.TLS{Enabled: true, CAFile: "/etc/fw/ca.pem"}
	cfg.Redis.Username, cfg.Redis.Password = "fw", config.Secret(redisSecret)
	cfg.Enrichment.MDE.ClientSecret = config.Secret(mdeSecret)
	check, err := cfg.Redacted().YAML()
	if err != nil {
		t.Fatalf("YAML: %v", err)
	}

	handlers := []struct {
		name string
		new  func(io.Writer) slog.Handler
	}{
		{"json", func(w io.Writer) slog.Handler { return slog.NewJSONHandler(w, nil) }},
		{"text", func(w io.Writer) slog.Handler { return slog.NewTextHandler(w, nil) }},
	}
	for _, h := range handlers {
		t.Run(h.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(h.new(&buf))
			log.Info("config", slog.Any("kafka", cfg.Kafka), slog.Any("redis", cfg.Redis))
			log.Info("config", slog.Any("sasl", cfg.Kafka.SASL),
				slog.Any("password", cfg.Redis.Password))
			log.Info("check", slog.String("yaml", string(check)))
			log.Info("config", slog.Any("config", cfg))

			out := buf.String()
			for _, s := range []string{kafkaSecret, redisSecret, mdeSecret} {
				if strings.Contains(out, s) {
					t.Errorf("the log shows %q:\n%s", s, out)
				}
			}
			// Each secret was logged, redacted: four by the first two lines,
			// three in check's YAML and three in the whole configuration.
			if n := strings.Count(out, config.RedactedValue); n != 10 {
				t.Errorf("the log shows %s %d times, want 10:\n%s",
					config.RedactedValue, n, out)
			}
		})
	}
}
