package gen

import (
	"cmp"
	"math/rand/v2"
	"slices"
)

// generator holds the state of one Generate call.
type generator struct {
	o          Options
	seed       uint64
	rng        *rand.Rand
	start, end int64 // unix nanoseconds, end exclusive

	bins    []program
	picks   [acctClasses][]weighted
	certs   []int32 // bins a background certificate row may name
	tenants []tenant
	users   []user
	devices []device

	specs []spec
	ds    Dataset
}

// table is the MDE table a record comes from.
type table uint8

const (
	tNetwork table = iota
	tCert
	tProcess
	tFile
	tLogon
)

// categories are the record categories, indexed by table.
var categories = [...]string{
	tNetwork: "AdvancedHunting-DeviceNetworkEvents",
	tCert:    "AdvancedHunting-DeviceFileCertificateInfo",
	tProcess: "AdvancedHunting-DeviceProcessEvents",
	tFile:    "AdvancedHunting-DeviceFileEvents",
	tLogon:   "AdvancedHunting-DeviceLogonEvents",
}

// spec is one record before it is rendered: what the record is about, not
// its bytes. Columns that matter to no one are drawn while rendering.
type spec struct {
	at     int64 // event time, unix ns on a 100 ns tick
	sent   int64 // envelope time
	seq    int32 // order of creation, to break ties
	bin    int32 // the initiating process (or the file, for tCert); -1 none
	device int32
	table  table
	digits uint8 // fractional digits of Timestamp: 7, 6 or 0
	acct   acct
	remote remote
	dup    bool // re-sent in a later message
}

// add appends a record of event time near ns and returns it for the caller
// to fill in.
func (g *generator) add(t table, dev int, bin int32, ns int64) *spec {
	at, digits := g.stamp(ns)
	g.specs = append(g.specs, spec{
		at:     at,
		sent:   at + g.exportDelay(),
		seq:    int32(len(g.specs)),
		bin:    bin,
		device: int32(dev),
		table:  t,
		digits: digits,
	})
	return &g.specs[len(g.specs)-1]
}

// anyTime returns a uniform event time in [start, end).
func (g *generator) anyTime() int64 {
	return g.start + g.rng.Int64N(g.end-g.start)
}

// tick is the resolution of MDE timestamps: 7 fractional digits.
const tick = 100

func floorTo(ns, unit int64) int64 {
	r := ns % unit
	if r < 0 {
		r += unit
	}
	return ns - r
}

// stamp clamps ns into [start, end), puts it on a 100 ns tick and picks how
// many fractional digits its Timestamp shows. Fewer digits truncate the
// time, and are used only when the truncated time is still in the span.
func (g *generator) stamp(ns int64) (int64, uint8) {
	ns = min(max(ns, g.start), g.end-1)
	at := floorTo(ns, tick)
	if at < g.start {
		at += tick
	}
	if at >= g.end {
		at = ns // a span narrower than a tick: keep the exact time
	}
	digits := uint8(7)
	switch r := g.rng.IntN(100); {
	case r < 10:
		if t := floorTo(at, 1000); t >= g.start {
			at, digits = t, 6
		}
	case r < 15:
		if t := floorTo(at, 1e9); t >= g.start {
			at, digits = t, 0
		}
	}
	return at, digits
}

// exportDelay is how long after the event the streaming API exports it:
// 15 seconds to 4 minutes, on a 100 ns tick.
func (g *generator) exportDelay() int64 {
	return floorTo(15e9+g.rng.Int64N(225e9), tick) + tick
}

// sortSpecs puts the records in export order, the order they are sent in.
func (g *generator) sortSpecs() {
	slices.SortFunc(g.specs, func(a, b spec) int {
		if c := cmp.Compare(a.sent, b.sent); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
}

// weighted is one choice of a weighted pick.
type weighted struct {
	bin    int32
	weight int
}

// pick draws from a weighted list.
func pick(r *rand.Rand, ws []weighted) int32 {
	total := 0
	for _, w := range ws {
		total += w.weight
	}
	n := r.IntN(total)
	for _, w := range ws {
		if n < w.weight {
			return w.bin
		}
		n -= w.weight
	}
	return ws[len(ws)-1].bin
}
