package gen

import (
	"maps"
	"slices"
	"testing"
	"time"
)

func TestExploreSeeds(t *testing.T) {
	for seed := int64(100); seed < 140; seed++ {
		spans := []time.Duration{time.Minute, time.Hour, 24 * time.Hour, 40 * 24 * time.Hour}
		o := Options{Seed: seed, Records: 1500 + int(seed%7)*700, Start: day0, End: day0.Add(spans[seed%4]), Traps: true,
			Devices: 1 + int(seed%5)*20, Positives: int(seed%4) - 1, RecordsPerMessage: 1 + int(seed%3)*40}
		d := Generate(o)
		recs := parseAll(t, d)
		for _, parity := range []bool{false, true} {
			got := evaluate(t, d, recs, parity)
			want := d.Planted
			if parity {
				want = d.KQLParity()
			}
			if !slices.Equal(slices.Sorted(maps.Keys(got)), slices.Sorted(slices.Values(want))) {
				t.Errorf("seed %d parity %v: %v vs %v", seed, parity, got, want)
			}
			for h, n := range got {
				c := d.Counts[h]
				if parity && n != c.KQLParity || !parity && n != c.Default {
					t.Errorf("seed %d count", seed)
				}
			}
		}
	}
}

func TestExploreTrapSeeds(t *testing.T) {
	for seed := int64(200); seed < 260; seed++ {
		spans := []time.Duration{time.Hour, 3 * time.Hour, 24 * time.Hour, 40 * 24 * time.Hour, 8 * 24 * time.Hour}
		o := Options{Seed: seed, Records: 1500 + int(seed%7)*700, Start: day0.Add(time.Duration(seed) * 1234567), End: day0.Add(spans[seed%5]), Traps: true,
			Devices: 1 + int(seed%5)*20, Positives: int(seed%4) - 1}
		checkTraps(t, o)
	}
}
