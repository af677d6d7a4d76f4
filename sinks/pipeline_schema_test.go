package sinks_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flarewatch/flarewatch/config"
	"github.com/flarewatch/flarewatch/sinks"
	"github.com/flarewatch/flarewatch/state"
	"github.com/flarewatch/flarewatch/stream"
	"github.com/flarewatch/flarewatch/stream/enrich"
	"github.com/flarewatch/flarewatch/stream/gen"
	"github.com/flarewatch/flarewatch/stream/mde"
	"github.com/flarewatch/flarewatch/stream/rule"
)

// captureSink keeps every alert it is given.
type captureSink struct {
	mu     sync.Mutex
	alerts []sinks.Alert
}

func (c *captureSink) Publish(_ context.Context, alerts []sinks.Alert) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.alerts = append(c.alerts, alerts...)
	return nil
}

func (c *captureSink) Close(context.Context) error { return nil }

// TestPipelineAlertsValidate runs the real pipeline over generated traffic,
// raising due alerts as it goes so that creates, updates and closes all
// occur, and checks that every alert validates in both forms.
func TestPipelineAlertsValidate(t *testing.T) {
	o := gen.DefaultOptions()
	o.Seed, o.Records = 11, 2500
	d := gen.Generate(o)
	known := map[string]enrich.Profile{}
	for h, p := range d.Profiles {
		known[h] = enrich.Profile{SHA1: h, SHA256: p.SHA256, SignatureState: p.SignatureState,
			GlobalPrevalence: p.GlobalPrevalence, Known: true, Source: "file"}
	}
	providers := map[string]enrich.Provider{"file": enrich.NewStatic(known), "none": enrich.None{}}

	for _, profile := range []rule.Profile{rule.Default, rule.KQLParity} {
		for pname, provider := range providers {
			t.Run(string(profile)+"/"+pname, func(t *testing.T) {
				t.Parallel()
				alerts := runPipeline(t, d.Messages, profile, provider)
				if profile == rule.Default && len(alerts) == 0 {
					t.Fatal("the pipeline raised no alert")
				}
				seen := map[sinks.Activity]int{}
				for i := range alerts {
					a := &alerts[i]
					seen[a.Activity]++
					for _, form := range []sinks.Form{sinks.FormFlarewatch, sinks.FormOCSF} {
						doc, err := sinks.Encode(a, form)
						if err != nil {
							t.Fatal(err)
						}
						validate := sinks.ValidateAlert
						if form == sinks.FormOCSF {
							validate = sinks.ValidateOCSF
						}
						if err := validate(doc); err != nil {
							t.Errorf("%s alert %s (%s): %v\n%s", form, a.ID, a.Activity, err, doc)
						}
					}
				}
				t.Logf("%d alerts: %v", len(alerts), seen)
				if profile == rule.Default && pname == "none" &&
					(seen[sinks.ActivityUpdate] == 0 || seen[sinks.ActivityClose] == 0) {
					t.Errorf("want updates and closes among the alerts, got %v", seen)
				}
			})
		}
	}
}

// runPipeline processes msgs on an embedded Redis, raising what is due
// after every few messages, and returns the alerts published.
func runPipeline(t *testing.T, msgs [][]byte, profile rule.Profile, provider enrich.Provider) []sinks.Alert {
	t.Helper()
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { rdb.Close() })
	ctx := context.Background()
	st := state.New(rdb, "fw", state.Options{Lookback: 30 * 24 * time.Hour, Bucket: time.Hour,
		DedupWindow: time.Hour, MaxSamples: 10})
	if err := st.LoadScripts(ctx); err != nil {
		t.Fatal(err)
	}
	out := &captureSink{}
	clock := stream.NewClock(5*time.Minute, 15*time.Minute, true)
	p := stream.New(rule.New(profile, config.BundledCloudflare()), st, clock, out,
		sinks.NewWriterDeadLetters(discard{}), provider, stream.DefaultOptions())

	var dec mde.Decoder
	const step = 10
	for i := 0; i < len(msgs); i += step {
		var recs []*kgo.Record
		for j := i; j < min(i+step, len(msgs)); j++ {
			recs = append(recs, &kgo.Record{Topic: "mde", Offset: int64(j), Value: msgs[j]})
		}
		if err := p.Process(ctx, &dec, recs); err != nil {
			t.Fatal(err)
		}
		if _, err := p.FlushDue(ctx, clock.SchedulerNow()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.FlushDue(ctx, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	return out.alerts
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
