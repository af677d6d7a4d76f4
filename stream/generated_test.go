package stream_test

import (
	"context"
	"testing"
	"time"

	"github.com/flarewatch/flarewatch/sinks"

	"github.com/flarewatch/flarewatch/stream/enrich"
	"github.com/flarewatch/flarewatch/stream/gen"
	"github.com/flarewatch/flarewatch/stream/hunt"
	"github.com/flarewatch/flarewatch/stream/rule"
)

// Generated traffic with a known answer, over three partitions: exactly the
// planted hashes alert, with their exact Count and Devices, and no trap does.
func TestGeneratedTraffic(t *testing.T) {
	for _, profile := range []rule.Profile{rule.Default, rule.KQLParity} {
		t.Run(string(profile), func(t *testing.T) {
			o := gen.DefaultOptions()
			o.Seed, o.Records = 7, 4000
			d := gen.Generate(o)
			h := newHarness(t, 3)
			h.profile = profile
			h.provider = generatedProfiles(d)
			for i, m := range d.Messages {
				h.produce(int32(i%3), m)
			}
			h.run()
			wantHashes := d.Planted
			if profile == rule.KQLParity {
				wantHashes = d.KQLParity()
			}
			w := map[string]want{}
			for _, sha1 := range wantHashes {
				c := d.Counts[sha1]
				n := c.Default
				if profile == rule.KQLParity {
					n = c.KQLParity
				}
				w[sha1] = want{int64(n), c.Devices}
			}
			alerts := h.alerts()
			checkAlerts(t, alerts, w)
			if profile == rule.Default {
				checkAgainstHunt(t, d, o.End, alerts)
			}
		})
	}
}

// checkAgainstHunt checks that the stream raised one alert per hash that
// hunt --profile default finds over the same records, with its Count and
// Devices, and none for any other hash.
func checkAgainstHunt(t *testing.T, d gen.Dataset, now time.Time, alerts []sinks.Alert) {
	t.Helper()
	hu := hunt.New(hunt.Options{Profile: rule.Default, Now: now, Provider: generatedProfiles(d)})
	for _, m := range d.Messages {
		_ = hu.Add(m)
	}
	rows, err := hu.Rows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	w := map[string]want{}
	for _, r := range rows {
		w[r.SHA1] = want{r.Count, r.Devices}
	}
	checkAlerts(t, alerts, w)
}

func generatedProfiles(d gen.Dataset) enrich.Provider {
	m := map[string]enrich.Profile{}
	for h, p := range d.Profiles {
		m[h] = enrich.Profile{SHA1: h, SHA256: p.SHA256, SignatureState: p.SignatureState,
			GlobalPrevalence: p.GlobalPrevalence, Known: true, Source: "file"}
	}
	return enrich.NewStatic(m)
}
