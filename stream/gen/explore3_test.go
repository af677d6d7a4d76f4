package gen

import (
	"fmt"
	"slices"
	"testing"

	"github.com/flarewatch/flarewatch/config"
	"github.com/flarewatch/flarewatch/stream/mde"
	"github.com/flarewatch/flarewatch/stream/rule"
)

func TestExploreRule(t *testing.T) {
	for _, seed := range []int64{1, 2, 3, 99} {
		d := Generate(Options{Seed: seed, Records: 50000, Traps: true, Tenants: []string{"a", "b"}})
		for _, p := range []rule.Profile{rule.Default, rule.KQLParity} {
			ru := rule.New(p, config.BundledCloudflare())
			var dec mde.Decoder
			seen := map[string]bool{}
			certs := map[string]bool{}
			counts := map[string]int{}
			for _, m := range d.Messages {
				dec.Decode(m, func(r *mde.Record) {
					ts, _ := r.Time()
					id := mde.EventID(r.Category, r.DeviceID, ts, r.ReportIDString())
					if seen[id] {
						return
					}
					seen[id] = true
					switch r.Category {
					case mde.CertificateInfo:
						certs[r.SHA1] = true
					case mde.NetworkEvents:
						if _, v := ru.Check(r); v == rule.Candidate {
							counts[r.ProcessSHA1]++
						}
					}
				}, nil)
			}
			var alerts []string
			for h, n := range counts {
				pr, ok := d.Profiles[h]
				if certs[h] || !ok || pr.SignatureState != "Unsigned" || pr.GlobalPrevalence >= 50000 {
					continue
				}
				alerts = append(alerts, h)
				want := d.Counts[h].Default
				if p == rule.KQLParity {
					want = d.Counts[h].KQLParity
				}
				if n != want {
					t.Errorf("seed %d %s %s count %d want %d", seed, p, h, n, want)
				}
			}
			slices.Sort(alerts)
			exp := d.Planted
			if p == rule.KQLParity {
				exp = d.KQLParity()
			}
			exp = slices.Sorted(slices.Values(exp))
			fmt.Println(seed, p, len(alerts), len(counts), slices.Equal(alerts, exp))
		}
	}
}
