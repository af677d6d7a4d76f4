package main

import (
	"github.com/flarewatch/flarewatch/stream/enrich"
	"github.com/flarewatch/flarewatch/stream/gen"
)

// demoRecords is the size of the demo's generated traffic.
const demoRecords = 5000

// bundledTraffic returns the demo's default input: a day of generated
// traffic with planted positives and traps (seed 1), then the synthetic
// message built around the rule's edge cases. FileProfile answers are the
// generator's; the synthetic message's hashes have none, so the default
// profile alerts on them with prevalence unknown.
func bundledTraffic() ([][]byte, enrich.Provider, error) {
	o := gen.DefaultOptions()
	o.Records = demoRecords
	d := gen.Generate(o)
	synthetic, err := splitMessages(bytesReader(syntheticMessage))
	if err != nil {
		return nil, nil, err
	}
	profiles := make(map[string]enrich.Profile, len(d.Profiles))
	for h, p := range d.Profiles {
		profiles[h] = enrich.Profile{SHA1: h, SHA256: p.SHA256, SignatureState: p.SignatureState,
			GlobalPrevalence: p.GlobalPrevalence, Known: true, Source: "demo"}
	}
	return append(d.Messages, synthetic...), enrich.NewStatic(profiles), nil
}
