// Package secure tests flarewatch's secured connections against the real
// backends that deploy/testenv/secure.sh starts on loopback: Kafka over
// SASL_SSL with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512, Kafka over mutual
// TLS, and a TLS-only Redis with an ACL user. The clients are built by the
// product's own code (stream.ClientOptions, stream.TLSConfig), so a test
// here fails when that code does. Besides its tests the package holds only
// this file, which reads the environment.
//
// The variables, exported by `make test` after `secure.sh up`:
//
//	FLAREWATCH_TEST_KAFKA_SASL_SSL  SASL_SSL listener, host:port
//	FLAREWATCH_TEST_KAFKA_MTLS      SSL listener requiring a client certificate
//	FLAREWATCH_TEST_KAFKA_USER      SASL user, for every mechanism
//	FLAREWATCH_TEST_KAFKA_PASSWORD  its password
//	FLAREWATCH_TEST_REDIS_TLS       TLS-only Redis, host:port
//	FLAREWATCH_TEST_REDIS_USER      ACL user, allowed the keys fw:* only
//	FLAREWATCH_TEST_REDIS_PASSWORD  its password
//	FLAREWATCH_TEST_TLS_DIR         ca.pem, client.pem and client-key.pem
//
// The CI rule is deploy/testenv's: with CI=true a missing variable fails the
// test, naming it; otherwise the test skips.
package secure

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/flarewatch/flarewatch/deploy/testenv"
)

// backends are the secured services and their throw-away credentials.
type backends struct {
	kafkaSASLSSL  string
	kafkaMTLS     string
	kafkaUser     string
	kafkaPassword string
	redisTLS      string
	redisUser     string
	redisPassword string
	tlsDir        string
}

// caFile is the test CA, the only root the servers' certificates chain to.
func (b backends) caFile() string { return filepath.Join(b.tlsDir, "ca.pem") }

// clientCert and clientKey are a client certificate signed by the test CA.
func (b backends) clientCert() string { return filepath.Join(b.tlsDir, "client.pem") }
func (b backends) clientKey() string  { return filepath.Join(b.tlsDir, "client-key.pem") }

// loadBackends returns the backends named by the environment. When any
// variable is unset it skips the test, or fails it under CI.
func loadBackends(t testing.TB) backends {
	t.Helper()
	var b backends
	vars := []struct {
		name string
		dst  *string
	}{
		{"FLAREWATCH_TEST_KAFKA_SASL_SSL", &b.kafkaSASLSSL},
		{"FLAREWATCH_TEST_KAFKA_MTLS", &b.kafkaMTLS},
		{"FLAREWATCH_TEST_KAFKA_USER", &b.kafkaUser},
		{"FLAREWATCH_TEST_KAFKA_PASSWORD", &b.kafkaPassword},
		{"FLAREWATCH_TEST_REDIS_TLS", &b.redisTLS},
		{"FLAREWATCH_TEST_REDIS_USER", &b.redisUser},
		{"FLAREWATCH_TEST_REDIS_PASSWORD", &b.redisPassword},
		{"FLAREWATCH_TEST_TLS_DIR", &b.tlsDir},
	}
	var missing []string
	for _, v := range vars {
		if *v.dst = os.Getenv(v.name); *v.dst == "" {
			missing = append(missing, v.name)
		}
	}
	switch {
	case len(missing) == 0:
		return b
	case testenv.InCI():
		t.Fatalf("secure: %v not set and CI=true: run the tests with `make test`, "+
			"which starts deploy/testenv/secure.sh and exports them", missing)
	default:
		t.Skipf("secure: %v not set; `make test` runs this test against "+
			"deploy/testenv/secure.sh", missing)
	}
	return b
}

// unique returns a name no other test or test process picks.
func unique(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error
	return prefix + hex.EncodeToString(b)
}
