// Package gen builds realistic synthetic Microsoft Defender for Endpoint
// streaming traffic: Event Hubs messages of DeviceNetworkEvents,
// DeviceFileCertificateInfo and a few other tables, with planted true
// positives and traps for the rule, and the FileProfile answers for every
// initiating process. The same Options always give the same bytes.
package gen

import (
	"math/rand/v2"
	"time"
)

// DefaultTenant is the tenant every device belongs to when Options.Tenants
// is empty.
const DefaultTenant = "00000000-0000-0000-0000-000000000000"

// Options for a generated dataset. Zero numeric fields take the defaults
// documented on each; DefaultOptions returns them all, Traps included.
type Options struct {
	Seed int64

	// Start and End bound the event time (properties.Timestamp) of every
	// record: Start <= Timestamp < End. When End is not at least 1 ms after
	// Start, the span is 24 hours; a zero Start is 2025-01-15T00:00:00Z.
	Start, End time.Time

	// Records is the total number of records, approximately (duplicates
	// come on top). Default 10,000.
	Records int

	// RecordsPerMessage is the envelope size. Default 50.
	RecordsPerMessage int

	// Devices is the number of devices. Default 200.
	Devices int

	// Tenants are the tenant ids devices are spread over. Default
	// DefaultTenant alone.
	Tenants []string

	// Positives is the number of planted true positives: unsigned rare
	// hashes run as System connecting to Cloudflare. Zero means the
	// default, 3; a negative number plants none.
	Positives int

	// Traps plants the traps described by TrapKind. A bool's zero value is
	// false, so the default (true) comes from DefaultOptions.
	Traps bool
}

// DefaultOptions returns the default options: seed 1, one day from
// 2025-01-15T00:00:00Z, 10,000 records, 50 a message, 200 devices, one
// tenant, 3 positives and the traps.
func DefaultOptions() Options {
	o := Options{Seed: 1, Traps: true}
	return o.withDefaults()
}

// Dataset is generated traffic plus what is known about it.
type Dataset struct {
	// Messages are Kafka message values, each {"records":[...]} in
	// compact JSON, in the order of their records' export time (the
	// envelope "time"). Event time runs a few minutes out of order, as it
	// does live.
	Messages [][]byte

	// Profiles is the FileProfile answer for every hash that appears as
	// InitiatingProcessSHA1, keyed by SHA1.
	Profiles map[string]Profile

	// Planted lists the SHA1 of every hash that must alert under the
	// default rule profile: the Positives, then LocalizedSystem and
	// IPv6Only. Dataset.KQLParity lists the ones kql-parity finds.
	Planted []string

	// LocalizedSystem are planted positives that run only under a localized
	// System name ("système", SID S-1-5-18): default finds them by SID,
	// kql-parity, which compares the name, does not. Planted with the
	// traps when Positives > 0.
	LocalizedSystem []string

	// IPv6Only are planted positives whose Cloudflare peers are all IPv6:
	// default finds them, kql-parity, which looks up dotted IPv4 only, does
	// not. Planted with the traps when Positives > 0.
	IPv6Only []string

	// Traps are the hashes planted to look like positives but not to be
	// ones under default, each with its TrapKind, which says why it is not.
	Traps []Trap

	// Counts are, per planted hash, the distinct qualifying events over the
	// whole span (duplicates not counted) under each rule profile.
	Counts map[string]Count

	// Records is the number of records in Messages, duplicates included;
	// Duplicates is how many of them re-send an earlier record.
	Records, Duplicates int
}

// Profile is what FileProfile answers for one hash.
type Profile struct {
	SHA1, SHA256     string
	SignatureState   string // "Signed" or "Unsigned"
	GlobalPrevalence int64
}

// Count is what the rule should count for one planted hash: its distinct
// System-to-Cloudflare events under each rule profile, and the devices they
// came from under default.
type Count struct {
	Default, KQLParity, Devices int
}

// Generate builds a dataset. It is deterministic: the same Options give
// byte-identical messages and the same profiles.
func Generate(o Options) Dataset {
	o = o.withDefaults()
	seed := uint64(o.Seed)
	g := &generator{
		o:     o,
		seed:  seed,
		rng:   rand.New(rand.NewPCG(seed, 0x666c617265776174)),
		start: o.Start.UnixNano(),
		end:   o.End.UnixNano(),
		ds:    Dataset{Counts: map[string]Count{}},
	}
	g.ds.Profiles = map[string]Profile{}
	g.buildCatalog()
	g.buildFleet()
	g.plant()
	g.background()
	g.sortSpecs()
	g.assemble()
	g.collectProfiles()
	return g.ds
}

// KQLParity returns the planted hashes the kql-parity rule profile finds:
// Planted without LocalizedSystem and IPv6Only.
func (d Dataset) KQLParity() []string {
	var out []string
	for _, h := range d.Planted {
		if c, ok := d.Counts[h]; ok && c.KQLParity > 0 {
			out = append(out, h)
		}
	}
	return out
}

func (o Options) withDefaults() Options {
	if o.Start.IsZero() {
		o.Start = time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC)
	}
	o.Start = o.Start.UTC()
	if o.End.Sub(o.Start) < time.Millisecond {
		o.End = o.Start.Add(24 * time.Hour)
	}
	o.End = o.End.UTC()
	if o.Records <= 0 {
		o.Records = 10000
	}
	if o.RecordsPerMessage <= 0 {
		o.RecordsPerMessage = 50
	}
	if o.Devices <= 0 {
		o.Devices = 200
	}
	if len(o.Tenants) == 0 {
		o.Tenants = []string{DefaultTenant}
	}
	switch {
	case o.Positives == 0:
		o.Positives = 3
	case o.Positives < 0:
		o.Positives = 0
	}
	return o
}
