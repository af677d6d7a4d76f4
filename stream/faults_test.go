package stream_test

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/segmentio/encoding/json"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"

	"github.com/flarewatch/flarewatch/config"
	"github.com/flarewatch/flarewatch/deploy/testenv"
	"github.com/flarewatch/flarewatch/sinks"
	"github.com/flarewatch/flarewatch/stream"
)

// Case B13: the process dies after the state of message 1 is written and
// before messages 2 and 3 are. Nothing was committed, so all three are read
// again after the restart, and message 1 is not counted twice. A fetch's
// events go to Redis in one script call, so message 1 is produced alone and
// the process dies right after its call; 2 and 3 follow.
func TestCrashBeforeStateWrite(t *testing.T) {
	c := loadCase(t, "B13")
	h := newHarness(t, 1)
	h.provider = c.Provider()
	h.drain = 200 * time.Millisecond
	var msgs [][]byte
	for _, s := range c.Steps {
		var step struct{ Produce []json.RawMessage }
		if err := json.Unmarshal(s.Raw, &step); err == nil {
			for _, m := range step.Produce {
				msgs = append(msgs, m)
			}
		}
	}
	if len(msgs) != 3 {
		t.Fatalf("B13 has %d messages, want 3", len(msgs))
	}
	h.produce(0, msgs[0])

	dead := &dieAfterFirstApply{}
	h.rdb.AddHook(dead)
	p := h.start()
	waitFor(t, "the first state write", func() bool { return dead.died.Load() })
	p.stop()
	dead.off.Store(true)
	h.produce(0, msgs[1:]...)

	h.run()
	checkAlerts(t, h.alerts(), map[string]want{hashX: {3, 1}})
}

// The process dies after a new device joined an open alert in Redis and
// before the update alert is published. The update is owed in the episode
// until it is published, so the re-read after the restart publishes it.
func TestCrashBeforeUpdatePublished(t *testing.T) {
	h := newHarness(t, 1)
	h.drain = 200 * time.Millisecond
	msgs := beaconing(t, 4) // 0 and 3: hashX from dev-a, then from dev-d
	h.produce(0, msgs[0])
	h.run()
	checkAlerts(t, h.alerts(), map[string]want{hashX: {1, 1}})

	h.produce(0, msgs[3])
	dead := &dieAfterFirstApply{}
	h.rdb.AddHook(dead)
	p := h.start()
	waitFor(t, "the new device's state write", func() bool { return dead.died.Load() })
	p.stop()
	if n := len(h.alerts()); n != 1 {
		t.Fatalf("%d alerts before the restart, want the create alone", n)
	}
	dead.off.Store(true)

	h.run()
	var updates []sinks.Alert
	for _, a := range h.alerts() {
		if a.Activity == sinks.ActivityUpdate {
			updates = append(updates, a)
		}
	}
	if len(updates) != 1 || updates[0].SHA1 != hashX || updates[0].Devices != 2 || updates[0].Count != 2 {
		t.Fatalf("updates after the restart: %+v, want one for %s with 2 devices and 2 events", updates, hashX)
	}

	// Once published, the update is settled: reading the input again
	// from the start owes nothing.
	h.group += "-again"
	h.run()
	if n := len(h.alerts()); n != 2 {
		t.Errorf("%d alerts after a second read of the input, want the create and the update", n)
	}
}

// dieAfterFirstApply lets the first apply call through, then fails
// everything, the rest of its pipeline included, as a process killed right
// after it would.
type dieAfterFirstApply struct {
	died, off atomic.Bool
}

var errKilled = errors.New("connection lost: process killed")

func (d *dieAfterFirstApply) DialHook(next redis.DialHook) redis.DialHook { return next }
func (d *dieAfterFirstApply) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if d.died.Load() && !d.off.Load() {
			return errKilled
		}
		return next(ctx, cmd)
	}
}
func (d *dieAfterFirstApply) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if d.off.Load() {
			return next(ctx, cmds)
		}
		if d.died.Load() {
			return errKilled
		}
		if cmds[0].Name() == "evalsha" && len(cmds[0].Args()) > 10 {
			d.died.Store(true)
			err := next(ctx, cmds[:1])
			for _, c := range cmds[1:] {
				c.SetErr(errKilled)
			}
			return errors.Join(err, errKilled)
		}
		return next(ctx, cmds)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Case B14: a broker that caps OffsetFetch at v8 and Metadata at v9, as
// Event Hubs does. The group resumes at its committed offset.
func TestEventHubsVersionsResumeAtCommit(t *testing.T) {
	v := kversion.Stable()
	v.SetMaxKeyVersion(kmsg.OffsetFetch.Int16(), 8)
	v.SetMaxKeyVersion(kmsg.Metadata.Int16(), 9)
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.MaxVersions(v), kfake.SeedTopics(1, "mde"))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	ctx := context.Background()
	// The set-up commits without topic ids (OffsetCommit v9), as a
	// consumer of that broker would have.
	setup := kversion.Stable()
	setup.SetMaxKeyVersion(kmsg.OffsetCommit.Int16(), 9)
	cl, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...), kgo.DefaultProduceTopic("mde"),
		kgo.MaxVersions(setup))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	recs := make([]*kgo.Record, 50)
	for i := range recs {
		recs[i] = &kgo.Record{Value: []byte(`{"records":[]}`)}
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	var offsets kadm.Offsets
	offsets.Add(kadm.Offset{Topic: "mde", Partition: 0, At: 42, LeaderEpoch: -1})
	resp, err := kadm.NewClient(cl).CommitOffsets(ctx, "detector", offsets)
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		t.Fatalf("commit offset 42: %v", err)
	}

	opts, err := stream.ClientOptions(config.Kafka{Brokers: cluster.ListenAddrs(), Topics: []string{"mde"},
		Group: "detector", ClientID: "t", FetchMaxBytes: 1 << 20, BrokerMaxReadBytes: 2 << 20})
	if err != nil {
		t.Fatal(err)
	}
	consumer, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer consumer.Close()
	defer consumer.AllowRebalance()
	pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	f := consumer.PollRecords(pctx, 1)
	if errs := f.Errors(); len(errs) > 0 {
		t.Fatalf("poll: %v (%d records)", errs[0].Err, f.NumRecords())
	}
	if got := f.Records(); len(got) == 0 || got[0].Offset != 42 {
		t.Fatalf("first record at %v, want offset 42", got)
	}
}

// Case B14: franz-go v1.21.0 cannot resume against such a broker; the build
// must resolve to a later release. go.mod names the version the build uses.
func TestFranzGoVersion(t *testing.T) {
	b, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "github.com/twmb/franz-go" {
			v := strings.Split(strings.TrimPrefix(f[1], "v"), ".")
			minor, _ := strconv.Atoi(v[1])
			patch, _ := strconv.Atoi(v[2])
			if v[0] != "1" || minor < 21 || minor == 21 && patch < 1 {
				t.Fatalf("franz-go %s: use v1.21.1 or later", f[1])
			}
			return
		}
	}
	t.Fatal("go.mod does not require franz-go")
}

// Case B15: a configuration whose BrokerMaxReadBytes cannot hold a 1 MB
// message is rejected with a message naming the fix; with room, the message
// is consumed and every record counted.
func TestMegabyteMessage(t *testing.T) {
	cfg := config.Default()
	cfg.Kafka.Brokers = []string{"127.0.0.1:9092"}
	cfg.Kafka.FetchMaxBytes, cfg.Kafka.BrokerMaxReadBytes = 524288, 1048576
	err := cfg.Validate()
	if err == nil || !strings.Contains(err.Error(), "broker_max_read_bytes") {
		t.Fatalf("Validate() = %v, want an error naming kafka.broker_max_read_bytes", err)
	}

	c := loadCase(t, "B15")
	h := newHarness(t, 1)
	h.provider = c.Provider()
	msg, n, err := c.Generated()
	if err != nil {
		t.Fatal(err)
	}
	if len(msg) < 1_000_000 {
		t.Fatalf("generated message is %d bytes", len(msg))
	}
	h.produce(0, msg)
	h.run()
	checkAlerts(t, h.alerts(), map[string]want{hashX: {int64(n), 1}})
}

// Case B17: on a three-master Redis Cluster, every script's keys share one
// slot and the alert is exact.
func TestRedisCluster(t *testing.T) {
	c := loadCase(t, "B17")
	h := newHarness(t, 1)
	rdb, prefix := testenv.RedisClusterNS(t)
	h.rdb, h.ns = rdb, strings.TrimSuffix(prefix, ":")
	h.provider = c.Provider()
	h.produce(0, caseValues(t, c)...)
	h.run()
	checkAlerts(t, h.alerts(), map[string]want{hashX: {2, 2}})
}

// A message too large to dead-letter whole is cut to the cap, its dead
// letter says so, and the records after it still count: the partition
// never stops on it.
func TestOversizedDeadLetterIsCut(t *testing.T) {
	h := newHarness(t, 1)
	var pipe *stream.Pipeline
	h.onPipeline = func(p *stream.Pipeline) { pipe = p }
	big := append([]byte(`{"records":[`), make([]byte, 3<<20)...) // truncated JSON, 3 MiB
	for i := 12; i < len(big); i++ {
		big[i] = 'x'
	}
	good := beaconing(t, 3)
	h.produce(0, append([][]byte{big}, good...)...)
	h.run()
	if pipe == nil {
		t.Fatal("no pipeline ran")
	}
	letters := h.readAll(h.deadTopic)
	if len(letters) != 1 {
		t.Fatalf("%d dead letters, want 1", len(letters))
	}
	if n := len(letters[0].Value); n != stream.DefaultOptions().DeadLetterMaxBytes {
		t.Errorf("dead letter carries %d bytes, want the cap", n)
	}
	if a := creates(t, h.alerts()); len(a) != 3 {
		t.Errorf("%d alerts after the oversized message, want 3", len(a))
	}
}

// With tenants kept apart, each tenant counts and alerts on its own, and a
// certificate row seen in one tenant signs the file for all: it closes the
// open alerts of every tenant, each with one close message, however many
// rows of the hash the fetch holds (the table reports a file once per
// device).
func TestSeparateTenantsCloseTogether(t *testing.T) {
	h := newHarness(t, 1)
	h.separate = true
	base := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	record := func(category, tenant string, at time.Time, props map[string]any) map[string]any {
		props["Timestamp"] = at.Format(time.RFC3339Nano)
		return map[string]any{"category": category, "tenantId": tenant, "properties": props}
	}
	message := func(records ...map[string]any) []byte {
		b, err := json.Marshal(map[string]any{"records": records})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	connection := func(tenant, device string, report int, at time.Time) []byte {
		return message(record("AdvancedHunting-DeviceNetworkEvents", tenant, at, map[string]any{
			"DeviceId": device, "DeviceName": device, "ReportId": report,
			"RemoteIP": "104.16.5.7", "RemotePort": 443,
			"InitiatingProcessAccountName": "system", "InitiatingProcessAccountSid": "S-1-5-18",
			"InitiatingProcessSHA1": hashX, "InitiatingProcessFileName": "agent.exe",
			"InitiatingProcessFolderPath": `c:\programdata\agent.exe`,
		}))
	}
	cert := func(tenant, device string, report int, at time.Time) map[string]any {
		return record("AdvancedHunting-DeviceFileCertificateInfo", tenant, at,
			map[string]any{"DeviceId": device, "SHA1": hashX, "ReportId": report, "IsSigned": true})
	}
	h.produce(0, connection("tenant-1", "dev-a", 1, base), connection("tenant-1", "dev-b", 2, base),
		connection("tenant-2", "dev-c", 3, base.Add(time.Minute)))
	h.run()

	perTenant := map[string]int64{}
	for _, a := range h.alerts() {
		if a.Activity == sinks.ActivityCreate && a.SHA1 == hashX {
			perTenant[a.TenantID] = a.Count
		}
	}
	if len(perTenant) != 2 || perTenant["tenant-1"] != 2 || perTenant["tenant-2"] != 1 {
		t.Fatalf("create alerts per tenant: %v, want tenant-1 with 2 events and tenant-2 with 1", perTenant)
	}

	later := base.Add(time.Hour)
	h.produce(0, message(cert("tenant-2", "dev-c", 4, later), cert("tenant-1", "dev-a", 5, later),
		cert("tenant-2", "dev-d", 6, later.Add(time.Second))))
	h.run()
	closes := map[string]int{}
	for _, a := range h.alerts() {
		if a.Activity == sinks.ActivityClose {
			closes[a.TenantID]++
		}
	}
	if len(closes) != 2 || closes["tenant-1"] != 1 || closes["tenant-2"] != 1 {
		t.Errorf("close messages per tenant: %v, want one for each tenant", closes)
	}
}
