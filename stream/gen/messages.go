package gen

import (
	"bytes"
	"math/rand/v2"
)

// timeAt is where a record's envelope time starts: right after {"time":".
const timeAt = len(`{"time":"`)

// assemble renders the records, in export order, into messages of
// RecordsPerMessage records. A record marked dup is re-sent, identical but
// for its envelope time, at the end of one of the next three messages; a
// record of the last message is not re-sent, as there is no later one.
func (g *generator) assemble() {
	per, n := g.o.RecordsPerMessage, len(g.specs)
	count := (n + per - 1) / per
	resend := make([][][]byte, count)
	listed := make([]bool, len(g.bins))
	r := &renderer{g: g, rng: rand.New(rand.NewPCG(g.seed, 0x72656e646572))}
	g.ds.Messages = make([][]byte, 0, count)

	for m := range count {
		r.b = append(r.b[:0], `{"records":[`...)
		var last int64
		for i := m * per; i < min(n, (m+1)*per); i++ {
			s := &g.specs[i]
			if i > m*per {
				r.b = append(r.b, ',')
			}
			from := len(r.b)
			r.record(s)
			last = s.sent
			if !s.dup || m+1 == count {
				continue
			}
			to := min(m+1+r.rng.IntN(3), count-1)
			resend[to] = append(resend[to], bytes.Clone(r.b[from:]))
			if s.bin >= 0 && !g.bins[s.bin].backgrounds && !listed[s.bin] {
				listed[s.bin] = true
				g.ds.Traps = append(g.ds.Traps, Trap{Kind: TrapDuplicate, SHA1: g.bins[s.bin].sha1})
			}
		}
		g.ds.Records += min(n, (m+1)*per) - m*per

		// Re-sent records are exported again: their time is this message's.
		var stamp [stampLen]byte
		appendStamp(stamp[:0], last, 7)
		for _, rec := range resend[m] {
			copy(rec[timeAt:], stamp[:])
			r.b = append(r.b, ',')
			r.b = append(r.b, rec...)
		}
		g.ds.Records += len(resend[m])
		g.ds.Duplicates += len(resend[m])
		resend[m] = nil

		r.b = append(r.b, ']', '}')
		g.ds.Messages = append(g.ds.Messages, bytes.Clone(r.b))
	}
}

// collectProfiles records the FileProfile answer of every program that
// appeared as an initiating process.
func (g *generator) collectProfiles() {
	for i := range g.bins {
		b := &g.bins[i]
		if !b.initiating {
			continue
		}
		state := "Unsigned"
		if b.signed {
			state = "Signed"
		}
		g.ds.Profiles[b.sha1] = Profile{
			SHA1: b.sha1, SHA256: b.sha256, SignatureState: state, GlobalPrevalence: b.prevalence,
		}
	}
}
