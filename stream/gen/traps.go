package gen

// TrapKind names a way a hash can look like a positive without being one
// under the default rule profile. Each constant says why it is not.
type TrapKind string

const (
	// TrapCertLate is a hash run as System connecting to Cloudflare, which
	// FileProfile calls unsigned and rare, but whose certificate row
	// arrives 5 to 30 minutes of event time after its first connections
	// (sooner when the span ends before that).
	// Any certificate row inside the lookback exempts a hash, so kql-parity
	// never lists it; default may alert once the grace period has passed,
	// and the late row then closes that alert, leaving nothing open.
	TrapCertLate TrapKind = "cert-late"

	// TrapCertEarly is like TrapCertLate, but its certificate row (from an
	// untrusted signer) comes days before the first connection, or at the
	// start of a span too short for that: the hash is exempt from the start.
	TrapCertEarly TrapKind = "cert-early"

	// TrapNotCloudflare is an unsigned, rare hash run as System whose peers
	// are all outside Cloudflare's ranges: the address check drops it.
	TrapNotCloudflare TrapKind = "not-cloudflare"

	// TrapUserAccount is an unsigned, rare hash connecting to Cloudflare,
	// run by a domain user from the user's temp folder: the System check
	// drops it.
	TrapUserAccount TrapKind = "user-account"

	// TrapSignedProfile is a hash run as System connecting to Cloudflare,
	// with no certificate row, whose FileProfile is Signed (and rare): the
	// enrichment drops it.
	TrapSignedProfile TrapKind = "signed-profile"

	// TrapPrevalent is a hash run as System connecting to Cloudflare, with
	// no certificate row, whose FileProfile is Unsigned with a
	// GlobalPrevalence of exactly 50000: the rule keeps only prevalence
	// below 50000, so the threshold itself is dropped.
	TrapPrevalent TrapKind = "prevalent"

	// TrapDuplicate marks a planted or trap hash some of whose records are
	// re-sent, identical (same DeviceId, Timestamp and ReportId), in a
	// later message. The re-sent records are one event each: Counts
	// exclude them, and a rule that counts them is wrong.
	TrapDuplicate TrapKind = "duplicate"
)

// Trap is one hash planted as a trap.
type Trap struct {
	Kind TrapKind
	SHA1 string
}

// plant adds the planted positives and, with Options.Traps, the traps.
func (g *generator) plant() {
	for i := range g.o.Positives {
		b := g.positive(label("planted", i), i, acctSystem, plantedPeer(g))
		g.ds.Planted = append(g.ds.Planted, g.bins[b].sha1)
	}
	if !g.o.Traps {
		return
	}

	n := g.o.Positives
	if n > 0 {
		b := g.positive("localized", n, acctLocalized, func(k int) remote {
			if k%4 == 3 {
				return rCloudflareMapped
			}
			return rCloudflareV4
		})
		g.ds.LocalizedSystem = append(g.ds.LocalizedSystem, g.bins[b].sha1)
		g.ds.Planted = append(g.ds.Planted, g.bins[b].sha1)

		b = g.positive("ipv6-only", n+1, acctSystem, func(k int) remote {
			if k%8 == 5 {
				return rPublicV4
			}
			return rCloudflareV6
		})
		g.ds.IPv6Only = append(g.ds.IPv6Only, g.bins[b].sha1)
		g.ds.Planted = append(g.ds.Planted, g.bins[b].sha1)
	}
	g.traps(n + 2)
}

// plantedPeer draws the peers of a planted positive: its first connection
// on a device goes to a dotted IPv4 Cloudflare peer, so that kql-parity
// finds it too; later ones sometimes go mapped, IPv6, or elsewhere.
func plantedPeer(g *generator) func(k int) remote {
	return func(k int) remote {
		if k == 0 {
			return rCloudflareV4
		}
		switch n := g.rng.IntN(100); {
		case n < 72:
			return rCloudflareV4
		case n < 84:
			return rCloudflareMapped
		case n < 92:
			return rCloudflareV6
		}
		return rPublicV4
	}
}

// positive plants one positive on one to five devices and returns it.
func (g *generator) positive(lbl string, n int, a acct, peer func(int) remote) int32 {
	b := g.implant(lbl, n)
	g.ds.Counts[g.bins[b].sha1] = Count{}
	for _, dev := range g.someDevices(1 + g.rng.IntN(5)) {
		t0, length := g.window(20*minute, 0)
		g.dropper(b, dev, t0, a)
		g.beacon(b, dev, a, t0, length, g.beaconsPerDevice(), peer)
	}
	return b
}
