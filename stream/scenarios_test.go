package stream_test

import (
	"context"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/segmentio/encoding/json"

	"github.com/flarewatch/flarewatch/config"
	"github.com/flarewatch/flarewatch/stream"
	"github.com/flarewatch/flarewatch/stream/rule"
)

// The synthetic message alerts on the hashes of records 0, 1 and 8, and on
// nothing else (testdata/synthetic-eventhub-message.expected.json).
func TestSyntheticMessage(t *testing.T) {
	msg, err := os.ReadFile("testdata/synthetic-eventhub-message.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, 1)
	h.produce(0, msg)
	h.run()
	checkAlerts(t, h.alerts(), map[string]want{
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1": {2, 1}, // records 0 and 1; 7 repeats 0
		"ddddddddddddddddddddddddddddddddddddddd4": {1, 1}, // record 8, by SID
	})
	checkDead(t, h, nil)
}

// Case B04: a range list reload takes effect at once; a bad list is
// rejected and the last good one kept; host bits and overlaps are fine.
func TestRangeReload(t *testing.T) {
	c := loadCase(t, "B04")
	h := newHarness(t, 1)
	h.profile = rule.KQLParity
	h.provider = c.Provider()
	var current *stream.Pipeline
	h.onPipeline = func(p *stream.Pipeline) { current = p }
	first, err := config.ParseRanges("old", c.Steps[0].LoadCIDRs)
	if err != nil {
		t.Fatal(err)
	}
	h.ranges = first
	proc := h.start()
	for i, s := range c.Steps[1:] {
		switch {
		case s.Message != nil:
			h.produce(0, s.Message)
			h.waitDrained()
		case s.ReloadCIDRs != nil:
			next, err := config.ParseRanges("reload", s.ReloadCIDRs)
			if strings.Contains(strings.Join(s.ReloadCIDRs, " "), "/33") {
				if err == nil {
					t.Fatalf("step %d: a /33 list was accepted", i+1)
				}
				continue
			}
			if err != nil {
				t.Fatalf("step %d: %v", i+1, err)
			}
			current.Rule.SetRanges(next)
		}
	}
	proc.stop()
	h.flush()
	checkAlerts(t, h.alerts(), map[string]want{hashX: {4, 1}})
}

// A record that is not a candidate costs no Redis call.
func TestNonCandidatesCostNoRedisCall(t *testing.T) {
	h := newHarness(t, 1)
	var calls atomic.Int64
	h.rdb.AddHook(countHook{&calls})
	rec := func(account, ip string) []byte {
		return []byte(`{"records":[{"category":"AdvancedHunting-DeviceNetworkEvents","properties":{` +
			`"Timestamp":"2024-05-01T10:00:01Z","DeviceId":"d","ReportId":1,` +
			`"InitiatingProcessAccountName":"` + account + `","RemoteIP":"` + ip + `",` +
			`"InitiatingProcessSHA1":"` + hashX + `"}}]}`)
	}
	p := h.start()
	calls.Store(0) // loading the scripts at start is not per record
	h.produce(0, rec("user1", "104.16.5.7"), rec("system", "8.8.8.8"), rec("system", ""))
	h.waitDrained()
	if n := calls.Load(); n != 0 {
		t.Errorf("%d Redis calls for three non-candidates", n)
	}
	h.produce(0, rec("system", "104.16.5.7"))
	h.waitDrained()
	p.stop()
	if calls.Load() == 0 {
		t.Error("no Redis call for a candidate: the counter does not count")
	}
}

// countHook counts the commands sent to Redis, pipelined or not.
type countHook struct{ n *atomic.Int64 }

func (h countHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h countHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { h.n.Add(1); return next(ctx, cmd) }
}
func (h countHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { h.n.Add(int64(len(cmds))); return next(ctx, cmds) }
}

// Stopping and restarting mid-stream changes no Count and emits no second
// create; two processes in one group over six partitions alert as one.
func TestRestartAndTwoInstances(t *testing.T) {
	msgs := beaconing(t, 60)
	one := newHarness(t, 6)
	for i, m := range msgs {
		one.produce(int32(i%6), m)
	}
	one.run()
	want := creates(t, one.alerts())
	if len(want) != 3 {
		t.Fatalf("one process: %d alerts, want 3", len(want))
	}

	two := newHarness(t, 6)
	for i, m := range msgs[:30] {
		two.produce(int32(i%6), m)
	}
	a, b := two.start(), two.start()
	two.waitDrained()
	a.stop() // a restart of one of them mid-stream
	for i, m := range msgs[30:] {
		two.produce(int32(i%6), m)
	}
	a = two.start()
	two.waitDrained()
	a.stop()
	b.stop()
	two.flush()
	got := creates(t, two.alerts())
	for h, w := range want {
		g := got[h]
		if g.Count != w.Count || g.Devices != w.Devices || g.ID != w.ID {
			t.Errorf("%s: two processes Count %d Devices %d id %s; one process %d %d %s",
				h, g.Count, g.Devices, g.ID, w.Count, w.Devices, w.ID)
		}
	}
	if len(got) != len(want) {
		t.Errorf("two processes: %d alerts, one process: %d", len(got), len(want))
	}
}

// beaconing returns n messages of three unsigned hashes beaconing from a
// few devices to Cloudflare as System.
func beaconing(t *testing.T, n int) [][]byte {
	t.Helper()
	hashes := []string{hashX, hashY, hashZ}
	base := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	var out [][]byte
	for i := 0; i < n; i++ {
		props := map[string]any{
			"Timestamp": base.Add(time.Duration(i) * time.Second).Format(time.RFC3339Nano),
			"DeviceId":  "dev-" + string(rune('a'+i%4)), "DeviceName": "host",
			"ReportId": i, "RemoteIP": "104.16.5.7", "RemotePort": 443,
			"InitiatingProcessAccountName": "system", "InitiatingProcessAccountSid": "S-1-5-18",
			"InitiatingProcessSHA1": hashes[i%3], "InitiatingProcessFileName": "agent.exe",
			"InitiatingProcessFolderPath": `c:\programdata\agent.exe`,
		}
		b, err := json.Marshal(map[string]any{"records": []any{map[string]any{
			"category": "AdvancedHunting-DeviceNetworkEvents", "tenantId": "t1", "properties": props}}})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}
