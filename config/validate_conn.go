package config

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

func (k Kafka) validate(p *problems, sinks Sinks) {
	addrList(p, "kafka.brokers", k.Brokers, "broker-0:9092")
	if len(k.Topics) == 0 {
		required(p, "kafka.topics", "")
	}
	for i, topic := range k.Topics {
		if topic == "" {
			p.add(fmt.Sprintf("kafka.topics[%d]", i), "empty topic name")
		}
	}
	if k.Group == "" {
		required(p, "kafka.group", "")
	}
	if k.DeadLetterTopic == "" {
		required(p, "kafka.dead_letter_topic", "")
	}

	// Output topics must not feed back into the input.
	if sinks.Kafka {
		if k.AlertTopic == "" {
			required(p, "kafka.alert_topic", "while sinks.kafka is true")
		} else if slices.Contains(k.Topics, k.AlertTopic) {
			p.add("kafka.alert_topic", "%q is also in kafka.topics: "+
				"alerts would be read back as input", k.AlertTopic)
		}
		if k.AlertTopic != "" && k.AlertTopic == k.DeadLetterTopic {
			p.add("kafka.dead_letter_topic", "%q is also kafka.alert_topic: "+
				"give dead letters a topic of their own", k.DeadLetterTopic)
		}
	}
	if k.DeadLetterTopic != "" && slices.Contains(k.Topics, k.DeadLetterTopic) {
		p.add("kafka.dead_letter_topic", "%q is also in kafka.topics: "+
			"dead letters would be read back as input", k.DeadLetterTopic)
	}

	k.validateSizes(p)
	k.TLS.validate(p, "kafka.tls")
	k.SASL.validate(p)
	k.validateEventHubs(p)
}

// validateEventHubs checks what an Event Hubs Kafka endpoint requires:
// TLS, and SASL PLAIN with the connection string.
func (k Kafka) validateEventHubs(p *problems) {
	i := slices.IndexFunc(k.Brokers, func(b string) bool {
		return strings.Contains(b, ".servicebus.")
	})
	if i < 0 {
		return
	}
	if !k.TLS.Enabled {
		p.add("kafka.tls.enabled", "false, but kafka.brokers[%d] is an Event Hubs namespace, "+
			"which requires TLS: set it to true", i)
	}
	if k.SASL.Mechanism == "" {
		p.add("kafka.sasl.mechanism", "empty, but kafka.brokers[%d] is an Event Hubs namespace, "+
			"which requires SASL: set it to PLAIN, username to $ConnectionString and password "+
			"to the connection string", i)
	}
}

// validateSizes checks the fetch sizes against the largest message. franz-go
// drops a response larger than BrokerMaxReadBytes ("invalid large response
// size") and fetches it again, forever, so a message that does not fit with
// the response overhead stalls its partition without an error.
func (k Kafka) validateSizes(p *problems) {
	sizes := []struct {
		field string
		n     int32
	}{
		{"kafka.fetch_max_bytes", k.FetchMaxBytes},
		{"kafka.broker_max_read_bytes", k.BrokerMaxReadBytes},
		{"kafka.max_message_bytes", k.MaxMessageBytes},
	}
	ok := true
	for _, s := range sizes {
		if s.n <= 0 {
			p.add(s.field, "must be positive, got %d", s.n)
			ok = false
		}
	}
	if !ok {
		return
	}

	need := int64(k.MaxMessageBytes) + FetchOverhead
	switch {
	case need > math.MaxInt32:
		p.add("kafka.max_message_bytes", "%d leaves no room for the fetch-response "+
			"overhead (64 KiB) under the 2 GiB response limit: lower it", k.MaxMessageBytes)
	case int64(k.BrokerMaxReadBytes) < need:
		p.add("kafka.broker_max_read_bytes", "%d must exceed kafka.max_message_bytes (%d) plus "+
			"fetch-response overhead (64 KiB): raise it to at least %d",
			k.BrokerMaxReadBytes, k.MaxMessageBytes, need)
	}
	if k.FetchMaxBytes > k.BrokerMaxReadBytes {
		p.add("kafka.fetch_max_bytes", "%d must not exceed kafka.broker_max_read_bytes (%d): "+
			"lower it to at most %d", k.FetchMaxBytes, k.BrokerMaxReadBytes, k.BrokerMaxReadBytes)
	}
}

func (s SASL) validate(p *problems) {
	switch s.Mechanism {
	case "":
		if s.Username != "" || s.Password != "" {
			p.add("kafka.sasl.mechanism", "empty, but a username or password is set: "+
				"set it to %s, %s or %s, or remove them",
				SASLPlain, SASLScramSHA256, SASLScramSHA512)
		}
	case SASLPlain, SASLScramSHA256, SASLScramSHA512:
		when := "with kafka.sasl.mechanism " + s.Mechanism
		if s.Username == "" {
			required(p, "kafka.sasl.username", when)
		}
		if s.Password == "" {
			required(p, "kafka.sasl.password", when)
		}
	default:
		p.add("kafka.sasl.mechanism", "%q is not one of %s, %s, %s (or empty for none)",
			s.Mechanism, SASLPlain, SASLScramSHA256, SASLScramSHA512)
	}
}

func (t TLS) validate(p *problems, prefix string) {
	if !t.Enabled {
		var set []string
		for _, f := range []struct {
			name string
			on   bool
		}{
			{"ca_file", t.CAFile != ""},
			{"cert_file", t.CertFile != ""},
			{"key_file", t.KeyFile != ""},
			{"insecure_skip_verify", t.InsecureSkipVerify},
			{"server_name", t.ServerName != ""},
		} {
			if f.on {
				set = append(set, f.name)
			}
		}
		if len(set) > 0 {
			p.add(prefix+".enabled", "false, but %s set: set enabled to true or remove them",
				strings.Join(set, ", "))
		}
		return
	}
	if t.CertFile != "" && t.KeyFile == "" {
		required(p, prefix+".key_file", "with "+prefix+".cert_file")
	}
	if t.KeyFile != "" && t.CertFile == "" {
		required(p, prefix+".cert_file", "with "+prefix+".key_file")
	}
}

func (r Redis) validate(p *problems) {
	addrList(p, "redis.addrs", r.Addrs, "redis-0:6379")
	oneOf(p, "redis.mode", r.Mode, RedisStandalone, RedisCluster, RedisSentinel)
	switch r.Mode {
	case RedisStandalone:
		if len(r.Addrs) > 1 {
			p.add("redis.addrs", "standalone mode takes one address, got %d: "+
				"list one, or set redis.mode to cluster or sentinel", len(r.Addrs))
		}
	case RedisCluster:
		if r.DB != 0 {
			p.add("redis.db", "%d, but Redis Cluster has only database 0: set 0", r.DB)
		}
	case RedisSentinel:
		if r.MasterName == "" {
			required(p, "redis.master_name", "in sentinel mode")
		}
	}
	if r.Mode != RedisSentinel && r.MasterName != "" {
		p.add("redis.master_name", "set, but only sentinel mode uses it: "+
			"set redis.mode to sentinel or remove it")
	}
	if r.DB < 0 {
		p.add("redis.db", "must not be negative, got %d", r.DB)
	}
	switch {
	case r.WaitReplicas < 0:
		p.add("redis.wait_replicas", "must not be negative, got %d", r.WaitReplicas)
	case r.WaitReplicas > 0 && r.Mode == RedisCluster:
		p.add("redis.wait_replicas", "%d, but WAIT reaches one node of a Redis Cluster, not the "+
			"masters of the keys written: set 0, or use standalone or sentinel mode", r.WaitReplicas)
	case r.WaitReplicas > 0 && (r.WaitTimeout <= 0 || r.WaitTimeout > Duration(2*time.Second)):
		// The WAIT ends a pipeline, whose reply must come within the
		// client's 3 s read timeout.
		p.add("redis.wait_timeout", "must be above 0 and at most 2s with redis.wait_replicas, got %s",
			r.WaitTimeout)
	}

	// The key layout is namespace:{sha1}:kind, with the braces as the
	// Redis Cluster hash tag, so the namespace must not add either.
	if r.Namespace == "" {
		required(p, "redis.namespace", "")
	} else if strings.ContainsFunc(r.Namespace, notNamespaceRune) {
		p.add("redis.namespace", "%q may hold only letters, digits, '-', '_' and '.' "+
			"('{', '}' and ':' belong to the key layout)", r.Namespace)
	}
	r.TLS.validate(p, "redis.tls")
}

func notNamespaceRune(r rune) bool {
	switch {
	case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		return false
	}
	return r != '-' && r != '_' && r != '.'
}
