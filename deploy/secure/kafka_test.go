package secure

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flarewatch/flarewatch/config"
	"github.com/flarewatch/flarewatch/stream"
)

// kafkaTimeout bounds each test's talk with the broker, group join included.
const kafkaTimeout = 60 * time.Second

// saslKafka is the configuration of a client of the SASL_SSL listener.
func saslKafka(b backends, mechanism, password string) config.Kafka {
	k := config.Default().Kafka
	k.Brokers = []string{b.kafkaSASLSSL}
	k.ClientID = "flarewatch-secure-test"
	k.TLS = config.TLS{Enabled: true, CAFile: b.caFile()}
	k.SASL = config.SASL{Mechanism: mechanism, Username: b.kafkaUser,
		Password: config.Secret(password)}
	return k
}

// mtlsKafka is the configuration of a client of the SSL listener, which
// requires a client certificate; withCert gives it one.
func mtlsKafka(b backends, withCert bool) config.Kafka {
	k := config.Default().Kafka
	k.Brokers = []string{b.kafkaMTLS}
	k.ClientID = "flarewatch-secure-test"
	k.TLS = config.TLS{Enabled: true, CAFile: b.caFile()}
	if withCert {
		k.TLS.CertFile, k.TLS.KeyFile = b.clientCert(), b.clientKey()
	}
	return k
}

var mechanisms = []string{config.SASLPlain, config.SASLScramSHA256, config.SASLScramSHA512}

func TestKafkaSASLRoundTrip(t *testing.T) {
	b := loadBackends(t)
	for _, mechanism := range mechanisms {
		t.Run(mechanism, func(t *testing.T) {
			t.Parallel()
			roundTrip(t, saslKafka(b, mechanism, b.kafkaPassword), b.kafkaPassword)
		})
	}
}

func TestKafkaMTLSRoundTrip(t *testing.T) {
	b := loadBackends(t)
	roundTrip(t, mtlsKafka(b, true), "")
}

// TestKafkaRefused checks that the broker turns away a wrong password and a
// client without a certificate, and that the client refuses a server
// whose certificate it cannot verify.
func TestKafkaRefused(t *testing.T) {
	b := loadBackends(t)
	untrusted := saslKafka(b, config.SASLPlain, b.kafkaPassword)
	untrusted.TLS.CAFile = "" // the system roots do not hold the test CA
	type refusal struct {
		name  string
		kafka config.Kafka
		is    func(error) bool
	}
	cases := []refusal{
		{"untrusted server", untrusted, isUnknownAuthority},
		{"no client certificate", mtlsKafka(b, false), isTLSRefusal},
	}
	for _, m := range mechanisms {
		wrong := saslKafka(b, m, b.kafkaPassword+"x")
		cases = append(cases, refusal{"wrong password " + m, wrong, isSASLFailure})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cl := newClient(t, c.kafka, nil)
			ctx, cancel := context.WithTimeout(context.Background(), kafkaTimeout)
			defer cancel()
			if err := cl.Ping(ctx); !c.is(err) {
				t.Fatalf("Ping = %v (%T), want the connection refused", err, err)
			}
		})
	}
}

func isSASLFailure(err error) bool { return errors.Is(err, kerr.SaslAuthenticationFailed) }

// isTLSRefusal reports whether the server refused the TLS session: Go
// reports the alert it sent as a *net.OpError around an unexported type,
// where a failed dial or a broken socket would hold an *os.SyscallError.
func isTLSRefusal(err error) bool {
	var op *net.OpError
	var sys *os.SyscallError
	return errors.As(err, &op) && !errors.As(err, &sys) &&
		!errors.Is(err, context.DeadlineExceeded)
}

func isUnknownAuthority(err error) bool {
	var ua x509.UnknownAuthorityError
	return errors.As(err, &ua)
}

// roundTrip creates a topic, produces a record to it and consumes it back in
// a consumer group, all with clients built by stream.ClientOptions from k.
// The client logs at debug level; the log must not show password.
func roundTrip(t *testing.T, k config.Kafka, password string) {
	topic := createTopic(t, k)
	k.Topics, k.Group = []string{topic}, topic
	var logs lockedBuffer
	cl := newClient(t, k, kgo.BasicLogger(&logs, kgo.LogLevelDebug, nil))
	ctx, cancel := context.WithTimeout(context.Background(), kafkaTimeout)
	defer cancel()

	want := []byte(unique("value-"))
	rec := &kgo.Record{Topic: topic, Key: []byte(t.Name()), Value: want}
	if err := cl.ProduceSync(ctx, rec).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}

	// BlockRebalanceOnPoll is on (stream.ClientOptions), so every poll is
	// followed by AllowRebalance, as the consumer loop does.
	var got []byte
	for got == nil {
		fs := cl.PollFetches(ctx)
		for _, e := range fs.Errors() {
			t.Fatalf("poll %s/%d: %v", e.Topic, e.Partition, e.Err)
		}
		fs.EachRecord(func(r *kgo.Record) { got = r.Value })
		cl.AllowRebalance()
	}
	if !bytes.Equal(got, want) {
		t.Errorf("consumed %q, want %q", got, want)
	}
	switch log := logs.Bytes(); {
	case len(log) == 0:
		t.Errorf("the client logged nothing at debug level")
	case password != "" && bytes.Contains(log, []byte(password)):
		t.Errorf("the client's debug log shows the password")
	}
}

// newClient builds a client from stream.ClientOptions(k), with logger when
// not nil, and closes it when the test ends.
func newClient(t *testing.T, k config.Kafka, logger kgo.Logger) *kgo.Client {
	t.Helper()
	opts, err := stream.ClientOptions(k)
	if err != nil {
		t.Fatalf("ClientOptions: %v", err)
	}
	if logger != nil {
		opts = append(opts, kgo.WithLogger(logger))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatalf("kafka client: %v", err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// createTopic creates a one-partition topic through the secured listener of
// k, waits until it has a leader, and deletes it when the test ends.
func createTopic(t *testing.T, k config.Kafka) string {
	t.Helper()
	// Without topics the client never joins its group; the group stays set
	// because stream.ClientOptions disables autocommit, which needs one.
	name := unique("fw-secure-")
	k.Topics, k.Group = nil, name
	adm := kadm.NewClient(newClient(t, k, nil))
	ctx, cancel := context.WithTimeout(context.Background(), kafkaTimeout)
	defer cancel()
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, name); err != nil {
		t.Fatalf("create topic %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), kafkaTimeout)
		defer cancel()
		if _, err := adm.DeleteTopic(ctx, name); err != nil {
			t.Logf("delete topic %s: %v", name, err)
		}
	})

	for {
		td, err := adm.ListTopics(ctx, name)
		if err == nil && td[name].Err == nil && len(td[name].Partitions) == 1 &&
			td[name].Partitions[0].Leader >= 0 {
			return name
		}
		select {
		case <-ctx.Done():
			t.Fatalf("topic %s has no leader: %v", name, errors.Join(err, td.Error()))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// lockedBuffer is a bytes.Buffer that the client's goroutines may log into
// at once.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// Bytes returns a copy of what was written so far.
func (b *lockedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}
