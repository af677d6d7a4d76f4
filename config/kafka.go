package config

// Kafka configures the input topics, the consumer group and the output
// topics. Brokers is the only setting in the whole configuration without a
// default.
type Kafka struct {
	// Brokers are the seed brokers, host:port each.
	Brokers []string `yaml:"brokers"`
	// Topics are the input topics carrying MDE streaming messages.
	Topics []string `yaml:"topics"`
	// Group is the consumer group; every instance of one deployment shares it.
	Group string `yaml:"group"`
	// ClientID names this client to the brokers.
	ClientID string `yaml:"client_id"`
	// AlertTopic receives alerts when Sinks.Kafka is on.
	AlertTopic string `yaml:"alert_topic"`
	// DeadLetterTopic receives undecodable input with the reason.
	DeadLetterTopic string `yaml:"dead_letter_topic"`

	// FetchMaxBytes is the most a fetch response should hold (franz-go's
	// FetchMaxBytes). It must not exceed BrokerMaxReadBytes.
	FetchMaxBytes int32 `yaml:"fetch_max_bytes"`
	// BrokerMaxReadBytes is the largest response the client reads from a
	// broker (franz-go's BrokerMaxReadBytes). A response above it is dropped
	// with "invalid large response size" and retried forever, so it must
	// exceed MaxMessageBytes plus FetchOverhead.
	BrokerMaxReadBytes int32 `yaml:"broker_max_read_bytes"`
	// MaxMessageBytes is the largest input message expected. Event Hubs caps
	// an event at 1 MiB.
	MaxMessageBytes int32 `yaml:"max_message_bytes"`

	// CreateTopics creates the alert and dead-letter topics when missing.
	CreateTopics bool `yaml:"create_topics"`

	TLS  TLS  `yaml:"tls"`
	SASL SASL `yaml:"sasl"`
}

// FetchOverhead is the room a fetch response needs beyond the largest
// message it carries: response, topic, partition and batch headers.
const FetchOverhead = 64 << 10

// TLS configures a TLS client connection (to Kafka or Redis).
type TLS struct {
	// Enabled turns TLS on; the other fields require it.
	Enabled bool `yaml:"enabled"`
	// CAFile is a PEM bundle of trusted roots; "" uses the system roots.
	CAFile string `yaml:"ca_file"`
	// CertFile and KeyFile are a PEM client certificate and its key, for
	// mutual TLS. Set both or neither.
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// InsecureSkipVerify disables server certificate checks (tests only).
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
	// ServerName overrides the name checked in the server certificate.
	ServerName string `yaml:"server_name"`
}

// SASL configures Kafka authentication. For Event Hubs use PLAIN with
// username "$ConnectionString" and the connection string as password.
type SASL struct {
	// Mechanism is "" (no SASL), SASLPlain, SASLScramSHA256 or
	// SASLScramSHA512.
	Mechanism string `yaml:"mechanism"`
	Username  string `yaml:"username"`
	Password  Secret `yaml:"password"`
}

// The values of SASL.Mechanism.
const (
	SASLPlain       = "PLAIN"
	SASLScramSHA256 = "SCRAM-SHA-256"
	SASLScramSHA512 = "SCRAM-SHA-512"
)

// Redis configures the state store.
type Redis struct {
	// Addrs are host:port addresses: the server (standalone), seed nodes
	// (cluster) or sentinels (sentinel).
	Addrs []string `yaml:"addrs"`
	// Mode is RedisStandalone, RedisCluster or RedisSentinel.
	Mode string `yaml:"mode"`
	// MasterName is the monitored master's name, sentinel mode only.
	MasterName string `yaml:"master_name"`
	Username   string `yaml:"username"`
	Password   Secret `yaml:"password"`
	// DB is the database number; Redis Cluster has only 0.
	DB int `yaml:"db"`
	// Namespace prefixes every key ("fw" gives "fw:{sha1}:cert"). A replay
	// uses its own namespace to stay apart from live state.
	Namespace string `yaml:"namespace"`
	TLS       TLS    `yaml:"tls"`
	// WaitReplicas, when above 0, has every fetch's state writes wait
	// until that many replicas acknowledge them (WAIT) before the offsets
	// are committed, and written again when they do not within
	// WaitTimeout: a failover to a replica that lacks them then loses
	// nothing. Standalone and sentinel modes only.
	WaitReplicas int      `yaml:"wait_replicas"`
	WaitTimeout  Duration `yaml:"wait_timeout"`
}

// The values of Redis.Mode.
const (
	RedisStandalone = "standalone"
	RedisCluster    = "cluster"
	RedisSentinel   = "sentinel"
)
