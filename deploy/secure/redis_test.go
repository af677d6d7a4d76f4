package secure

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/flarewatch/flarewatch/config"
	"github.com/flarewatch/flarewatch/stream"
)

// redisTimeout bounds each test's talk with Redis.
const redisTimeout = 20 * time.Second

// tlsRedis is the configuration of a client of the TLS-only Redis.
func tlsRedis(b backends, password string) config.Redis {
	r := config.Default().Redis
	r.Addrs = []string{b.redisTLS}
	r.Username = b.redisUser
	r.Password = config.Secret(password)
	r.TLS = config.TLS{Enabled: true, CAFile: b.caFile()}
	return r
}

// redisClient builds the client from c with stream.TLSConfig and
// redis.NewUniversalClient, mirroring newRedis in cmd/flarewatch/service.go
// (standalone mode): keep the two in step.
func redisClient(t *testing.T, c config.Redis) redis.UniversalClient {
	t.Helper()
	o := &redis.UniversalOptions{
		Addrs:    c.Addrs,
		Username: c.Username,
		Password: c.Password.Reveal(),
	}
	if c.TLS.Enabled {
		cfg, err := stream.TLSConfig(c.TLS)
		if err != nil {
			t.Fatalf("TLSConfig: %v", err)
		}
		o.TLSConfig = cfg
	}
	rdb := redis.NewUniversalClient(o)
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

func TestRedisTLSACL(t *testing.T) {
	b := loadBackends(t)
	good := tlsRedis(b, b.redisPassword)
	withCert := good
	withCert.TLS.CertFile, withCert.TLS.KeyFile = b.clientCert(), b.clientKey()
	noCreds := good
	noCreds.Username, noCreds.Password = "", ""
	untrusted := good
	untrusted.TLS.CAFile = "" // the system roots do not hold the test CA

	ping := func(ctx context.Context, rdb redis.UniversalClient) error {
		return rdb.Ping(ctx).Err()
	}
	prefix := func(p string) func(error) bool {
		return func(err error) bool { return redis.HasErrorPrefix(err, p) }
	}
	cases := []struct {
		name  string
		redis config.Redis
		do    func(context.Context, redis.UniversalClient) error
		is    func(error) bool
	}{
		{"own key", good, setGet("fw:"), isNil},
		{"own key with client certificate", withCert, setGet("fw:"), isNil},
		{"key outside fw:*", good, setGet("other:"), prefix("NOPERM")},
		{"wrong password", tlsRedis(b, b.redisPassword+"x"), ping, prefix("WRONGPASS")},
		{"default user", noCreds, ping, prefix("NOAUTH")},
		{"untrusted server", untrusted, ping, isUnknownAuthority},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			rdb := redisClient(t, c.redis)
			ctx, cancel := context.WithTimeout(context.Background(), redisTimeout)
			defer cancel()
			if err := c.do(ctx, rdb); !c.is(err) {
				t.Fatalf("got %v (%T)", err, err)
			}
		})
	}
}

func isNil(err error) bool { return err == nil }

// setGet returns an operation that writes a unique key starting with
// prefix, reads it back and deletes it.
func setGet(prefix string) func(context.Context, redis.UniversalClient) error {
	return func(ctx context.Context, rdb redis.UniversalClient) error {
		key, want := unique(prefix+"secure-test-"), unique("value-")
		if err := rdb.Set(ctx, key, want, time.Minute).Err(); err != nil {
			return err
		}
		defer func() { _ = rdb.Del(context.WithoutCancel(ctx), key).Err() }()
		got, err := rdb.Get(ctx, key).Result()
		if err == nil && got != want {
			return &mismatch{key: key, got: got, want: want}
		}
		return err
	}
}

// mismatch is a value read back that is not the one written.
type mismatch struct{ key, got, want string }

func (m *mismatch) Error() string {
	return "GET " + m.key + " = " + m.got + ", want " + m.want
}
