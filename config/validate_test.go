package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// valid returns a configuration that passes Validate.
func valid() Config {
	c := Default()
	c.Kafka.Brokers = []string{"broker-0:9092"}
	return c
}

func TestValidateDefaultsWithBrokers(t *testing.T) {
	if err := valid().Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	err := Default().Validate()
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("Default().Validate() = %v, want ErrInvalid", err)
	}
	if err.Error() != "kafka.brokers: required: set it in the file or FLAREWATCH_KAFKA_BROKERS" {
		t.Errorf("Default().Validate() = %q, want only the missing brokers", err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   string // the whole problem: field and message
	}{
		// kafka
		{"broker without port", func(c *Config) { c.Kafka.Brokers = []string{"a:9092", "b"} },
			`kafka.brokers[1]: "b" is not host:port, e.g. broker-0:9092`},
		{"no topics", func(c *Config) { c.Kafka.Topics = nil },
			"kafka.topics: required: set it in the file or FLAREWATCH_KAFKA_TOPICS"},
		{"empty topic", func(c *Config) { c.Kafka.Topics = []string{"a", ""} },
			"kafka.topics[1]: empty topic name"},
		{"no group", func(c *Config) { c.Kafka.Group = "" },
			"kafka.group: required: set it in the file or FLAREWATCH_KAFKA_GROUP"},
		{"no dead-letter topic", func(c *Config) { c.Kafka.DeadLetterTopic = "" },
			"kafka.dead_letter_topic: required: set it in the file or FLAREWATCH_KAFKA_DEAD_LETTER_TOPIC"},
		{"no alert topic", func(c *Config) { c.Kafka.AlertTopic = "" },
			"kafka.alert_topic: required while sinks.kafka is true: set it in the file or " +
				"FLAREWATCH_KAFKA_ALERT_TOPIC"},
		{"alert topic is input", func(c *Config) { c.Kafka.Topics = []string{"in", "flarewatch-alerts"} },
			`kafka.alert_topic: "flarewatch-alerts" is also in kafka.topics: alerts would be ` +
				`read back as input`},
		{"dead letters are input", func(c *Config) { c.Kafka.DeadLetterTopic = "mde-events" },
			`kafka.dead_letter_topic: "mde-events" is also in kafka.topics: dead letters would ` +
				`be read back as input`},
		{"dead letters are alerts", func(c *Config) { c.Kafka.DeadLetterTopic = "flarewatch-alerts" },
			`kafka.dead_letter_topic: "flarewatch-alerts" is also kafka.alert_topic: give dead ` +
				`letters a topic of their own`},
		{"message too large for reads", func(c *Config) {
			c.Kafka.MaxMessageBytes, c.Kafka.BrokerMaxReadBytes = 1000000, 1048576
			c.Kafka.FetchMaxBytes = 524288
		}, "kafka.broker_max_read_bytes: 1048576 must exceed kafka.max_message_bytes (1000000) plus " +
			"fetch-response overhead (64 KiB): raise it to at least 1065536"},
		{"fetch above read limit", func(c *Config) { c.Kafka.FetchMaxBytes = 200 << 20 },
			"kafka.fetch_max_bytes: 209715200 must not exceed kafka.broker_max_read_bytes " +
				"(104857600): lower it to at most 104857600"},
		{"zero size", func(c *Config) { c.Kafka.MaxMessageBytes = 0 },
			"kafka.max_message_bytes: must be positive, got 0"},
		{"huge message", func(c *Config) { c.Kafka.MaxMessageBytes = 1<<31 - 1 },
			"kafka.max_message_bytes: 2147483647 leaves no room for the fetch-response " +
				"overhead (64 KiB) under the 2 GiB response limit: lower it"},
		{"tls option while off", func(c *Config) {
			c.Kafka.TLS.CAFile, c.Kafka.TLS.InsecureSkipVerify = "ca.pem", true
		},
			"kafka.tls.enabled: false, but ca_file, insecure_skip_verify set: set enabled to " +
				"true or remove them"},
		{"tls cert without key", func(c *Config) { c.Kafka.TLS = TLS{Enabled: true, CertFile: "c.pem"} },
			"kafka.tls.key_file: required with kafka.tls.cert_file: set it in the file or " +
				"FLAREWATCH_KAFKA_TLS_KEY_FILE"},
		{"tls key without cert", func(c *Config) { c.Redis.TLS = TLS{Enabled: true, KeyFile: "k.pem"} },
			"redis.tls.cert_file: required with redis.tls.key_file: set it in the file or " +
				"FLAREWATCH_REDIS_TLS_CERT_FILE"},
		{"sasl unknown", func(c *Config) { c.Kafka.SASL.Mechanism = "plain" },
			`kafka.sasl.mechanism: "plain" is not one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 ` +
				`(or empty for none)`},
		{"sasl without user", func(c *Config) {
			c.Kafka.SASL = SASL{Mechanism: SASLScramSHA512, Password: "p"}
		},
			"kafka.sasl.username: required with kafka.sasl.mechanism SCRAM-SHA-512: set it in " +
				"the file or FLAREWATCH_KAFKA_SASL_USERNAME"},
		{"sasl without password", func(c *Config) {
			c.Kafka.SASL = SASL{Mechanism: SASLPlain, Username: "u"}
		},
			"kafka.sasl.password: required with kafka.sasl.mechanism PLAIN: set it in the file " +
				"or FLAREWATCH_KAFKA_SASL_PASSWORD"},
		{"sasl credentials without mechanism", func(c *Config) { c.Kafka.SASL.Username = "u" },
			"kafka.sasl.mechanism: empty, but a username or password is set: set it to PLAIN, " +
				"SCRAM-SHA-256 or SCRAM-SHA-512, or remove them"},

		{"event hubs without tls", func(c *Config) {
			c.Kafka.Brokers = []string{"ns.servicebus.windows.net:9093"}
			c.Kafka.SASL = SASL{Mechanism: SASLPlain, Username: "$ConnectionString",
				Password: "Endpoint=sb://ns/"}
		}, "kafka.tls.enabled: false, but kafka.brokers[0] is an Event Hubs namespace, which " +
			"requires TLS: set it to true"},
		{"event hubs without sasl", func(c *Config) {
			c.Kafka.Brokers = []string{"ns.servicebus.windows.net:9093"}
			c.Kafka.TLS.Enabled = true
		}, "kafka.sasl.mechanism: empty, but kafka.brokers[0] is an Event Hubs namespace, " +
			"which requires SASL"},

		// redis
		{"no redis addrs", func(c *Config) { c.Redis.Addrs = nil },
			"redis.addrs: required: set it in the file or FLAREWATCH_REDIS_ADDRS"},
		{"redis mode", func(c *Config) { c.Redis.Mode = "replica" },
			`redis.mode: "replica" is not one of standalone, cluster, sentinel`},
		{"standalone with many", func(c *Config) { c.Redis.Addrs = []string{"a:6379", "b:6379"} },
			"redis.addrs: standalone mode takes one address, got 2: list one, or set " +
				"redis.mode to cluster or sentinel"},
		{"cluster db", func(c *Config) { c.Redis.Mode, c.Redis.DB = RedisCluster, 2 },
			"redis.db: 2, but Redis Cluster has only database 0: set 0"},
		{"sentinel without master", func(c *Config) { c.Redis.Mode = RedisSentinel },
			"redis.master_name: required in sentinel mode: set it in the file or " +
				"FLAREWATCH_REDIS_MASTER_NAME"},
		{"master without sentinel", func(c *Config) { c.Redis.MasterName = "m" },
			"redis.master_name: set, but only sentinel mode uses it: set redis.mode to " +
				"sentinel or remove it"},
		{"negative db", func(c *Config) { c.Redis.DB = -1 },
			"redis.db: must not be negative, got -1"},
		{"negative wait", func(c *Config) { c.Redis.WaitReplicas = -1 },
			"redis.wait_replicas: must not be negative, got -1"},
		{"wait on a cluster", func(c *Config) { c.Redis.Mode, c.Redis.WaitReplicas = RedisCluster, 1 },
			"redis.wait_replicas: 1, but WAIT reaches one node of a Redis Cluster"},
		{"wait without timeout", func(c *Config) { c.Redis.WaitReplicas, c.Redis.WaitTimeout = 1, 0 },
			"redis.wait_timeout: must be above 0 and at most 2s with redis.wait_replicas, got 0s"},
		{"wait too long", func(c *Config) { c.Redis.WaitReplicas, c.Redis.WaitTimeout = 1, Duration(5*time.Second) },
			"redis.wait_timeout: must be above 0 and at most 2s with redis.wait_replicas, got 5s"},
		{"namespace with colon", func(c *Config) { c.Redis.Namespace = "fw:replay" },
			`redis.namespace: "fw:replay" may hold only letters, digits, '-', '_' and '.' ` +
				`('{', '}' and ':' belong to the key layout)`},
		{"namespace with brace", func(c *Config) { c.Redis.Namespace = "{fw}" },
			`redis.namespace: "{fw}" may hold only letters`},
		{"no namespace", func(c *Config) { c.Redis.Namespace = "" },
			"redis.namespace: required: set it in the file or FLAREWATCH_REDIS_NAMESPACE"},

		// rule
		{"profile", func(c *Config) { c.Rule.Profile = "foo" },
			`rule.profile: "foo" is not one of default, kql-parity`},
		{"lookback zero", func(c *Config) { c.Rule.Lookback = 0 },
			"rule.lookback: must be positive, got 0s"},
		{"dedup negative", func(c *Config) { c.Rule.DedupWindow = Duration(-time.Minute) },
			"rule.dedup_window: must be positive, got -1m"},
		{"lateness negative", func(c *Config) { c.Rule.AllowedLateness = Duration(-time.Minute) },
			"rule.allowed_lateness: must not be negative, got -1m: 0 turns it off"},
		{"grace negative", func(c *Config) { c.Rule.CertGrace = Duration(-time.Minute) },
			"rule.cert_grace: must not be negative, got -1m"},
		{"update interval negative", func(c *Config) { c.Rule.UpdateInterval = Duration(-time.Minute) },
			"rule.update_interval: must not be negative, got -1m"},
		{"lateness beyond lookback", func(c *Config) { c.Rule.AllowedLateness = Duration(31 * day) },
			"rule.allowed_lateness: 31d must be shorter than rule.lookback (30d)"},
		{"bucket does not divide a day", func(c *Config) { c.Rule.Bucket = Duration(7 * time.Hour) },
			"rule.bucket: 7h does not divide 24h: use e.g. 15m, 1h, 2h or 1d"},
		{"bucket zero", func(c *Config) { c.Rule.Bucket = 0 },
			"rule.bucket: must be positive, got 0s"},
		{"bucket tiny", func(c *Config) { c.Rule.Bucket = Duration(time.Second) },
			"rule.bucket: 1s is under 1m and would make a key per few events: use e.g. 1h"},
		{"bucket above lookback", func(c *Config) {
			c.Rule.Bucket, c.Rule.Lookback = Duration(day), Duration(12*time.Hour)
		},
			"rule.bucket: 1d exceeds rule.lookback (12h): use a bucket no wider than the window"},
		{"prevalence", func(c *Config) { c.Rule.MaxPrevalence = 0 },
			"rule.max_prevalence: must be at least 1, got 0"},
		{"groups", func(c *Config) { c.Rule.MaxGroups = -1 },
			"rule.max_groups: must be at least 1, got -1"},
		{"list items", func(c *Config) { c.Rule.MaxListItems = 0 },
			"rule.max_list_items: must be at least 1, got 0"},

		// enrichment
		{"provider", func(c *Config) { c.Enrichment.Provider = "virustotal" },
			`enrichment.provider: "virustotal" is not one of none, file, mde`},
		{"file provider without file", func(c *Config) { c.Enrichment.Provider = ProviderFile },
			"enrichment.file: required with enrichment.provider file: set it in the file or " +
				"FLAREWATCH_ENRICHMENT_FILE"},
		{"file without file provider", func(c *Config) { c.Enrichment.File = "p.csv" },
			`enrichment.file: set, but enrichment.provider is "none": set provider to file or remove file`},
		{"cache ttl", func(c *Config) { c.Enrichment.CacheTTL = 0 },
			"enrichment.cache_ttl: must be positive, got 0s"},
		{"unknown ttl", func(c *Config) { c.Enrichment.UnknownTTL = 0 },
			"enrichment.unknown_ttl: must be positive, got 0s"},
		{"mde without tenant", withMDE(func(m *MDE) { m.TenantID = "" }),
			"enrichment.mde.tenant_id: required with enrichment.provider mde: set it in the " +
				"file or FLAREWATCH_ENRICHMENT_MDE_TENANT_ID"},
		{"mde without client", withMDE(func(m *MDE) { m.ClientID = "" }),
			"enrichment.mde.client_id: required with enrichment.provider mde: set it in the " +
				"file or FLAREWATCH_ENRICHMENT_MDE_CLIENT_ID"},
		{"mde without secret", withMDE(func(m *MDE) { m.ClientSecret = "" }),
			"enrichment.mde.client_secret: required with enrichment.provider mde: set it in " +
				"the file or FLAREWATCH_ENRICHMENT_MDE_CLIENT_SECRET"},
		{"mde without scope", withMDE(func(m *MDE) { m.Scope = "" }),
			"enrichment.mde.scope: required with enrichment.provider mde"},
		{"mde base url", withMDE(func(m *MDE) { m.BaseURL = "api.security.microsoft.com" }),
			`enrichment.mde.base_url: "api.security.microsoft.com" is not an http(s) URL, e.g. ` +
				`https://api.security.microsoft.com`},
		{"mde token url", withMDE(func(m *MDE) { m.TokenURL = "ftp://login/{tenant}" }),
			`enrichment.mde.token_url: "ftp://login/{tenant}" is not an http(s) URL`},
		{"mde rate", withMDE(func(m *MDE) { m.PerMinute = 0 }),
			"enrichment.mde.per_minute: must be at least 1, got 0"},
		{"mde rates crossed", withMDE(func(m *MDE) { m.PerMinute, m.PerHour = 200, 100 }),
			"enrichment.mde.per_minute: 200 exceeds enrichment.mde.per_hour (100)"},

		// sinks and the rest
		{"format", func(c *Config) { c.Sinks.Format = "cef" },
			`sinks.format: "cef" is not one of flarewatch, ocsf`},
		{"no sink", func(c *Config) { c.Sinks.Kafka = false },
			"sinks: no sink enabled: set sinks.kafka or sinks.stdout to true, or sinks.file to a " +
				"path, or turn on an HTTP sink with sinks.webhook.url"},
		{"tenants", func(c *Config) { c.Tenants = "per-tenant" },
			`tenants: "per-tenant" is not one of shared, separate`},
		{"log level", func(c *Config) { c.Log.Level = "verbose" },
			`log.level: "verbose" is not a log level: use debug, info, warn or error`},
		{"log format", func(c *Config) { c.Log.Format = "logfmt" },
			`log.format: "logfmt" is not one of json, text`},
		{"metrics listen", func(c *Config) { c.Metrics.Listen = "9464" },
			`metrics.listen: "9464" is not host:port, e.g. :9464`},
		{"shutdown timeout", func(c *Config) { c.ShutdownTimeout = 0 },
			"shutdown_timeout: must be positive, got 0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.change(&c)
			err := c.Validate()
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Validate() = %v, want ErrInvalid", err)
			}
			if !hasProblem(err, tt.want) {
				t.Errorf("Validate() =\n%v\nwant a problem starting %q", err, tt.want)
			}
		})
	}
}

// withMDE chooses the mde provider with complete settings, then changes them.
func withMDE(change func(*MDE)) func(*Config) {
	return func(c *Config) {
		c.Enrichment.Provider = ProviderMDE
		c.Enrichment.MDE.TenantID, c.Enrichment.MDE.ClientID = "t", "c"
		c.Enrichment.MDE.ClientSecret = "s"
		change(&c.Enrichment.MDE)
	}
}

// hasProblem reports whether one of the FieldErrors joined in err starts
// with want.
func hasProblem(err error, want string) bool {
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) {
		return false
	}
	for _, e := range joined.Unwrap() {
		var fe *FieldError
		if errors.As(e, &fe) && strings.HasPrefix(fe.Error(), want) {
			return true
		}
	}
	return false
}

func TestValidateReportsEveryProblem(t *testing.T) {
	c := Default()
	c.Rule.Profile = "foo"
	c.Tenants = "x"
	c.Redis.Namespace = "a:b"
	err := c.Validate()
	for _, field := range []string{"kafka.brokers", "rule.profile", "tenants", "redis.namespace"} {
		if !strings.Contains(err.Error(), field+": ") {
			t.Errorf("Validate() =\n%v\nwant a problem with %s", err, field)
		}
	}
}

func TestValidMDE(t *testing.T) {
	c := valid()
	withMDE(func(*MDE) {})(&c)
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	want := "https://login.microsoftonline.com/t/oauth2/v2.0/token"
	if got := c.Enrichment.MDE.TokenEndpoint(); got != want {
		t.Errorf("TokenEndpoint() = %q, want %q", got, want)
	}
}

func TestValidEventHubs(t *testing.T) {
	c := valid()
	c.Kafka.Brokers = []string{"ns.servicebus.windows.net:9093"}
	c.Kafka.TLS.Enabled = true
	c.Kafka.SASL = SASL{Mechanism: SASLPlain, Username: "$ConnectionString", Password: "Endpoint=sb://ns/"}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
}
