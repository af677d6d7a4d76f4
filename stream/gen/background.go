package gen

// shares are each table's share of the records, in percent.
var shares = [...]int{tNetwork: 70, tCert: 5, tProcess: 11, tFile: 9, tLogon: 5}

// background fills each table up to its share of Options.Records with
// ordinary traffic, spread uniformly over the span.
func (g *generator) background() {
	var have [len(shares)]int
	for i := range g.specs {
		have[g.specs[i].table]++
	}
	for t, share := range shares {
		want := g.o.Records * share / 100
		for range want - have[t] {
			g.ordinary(table(t))
		}
	}
}

// ordinary adds one background record of table t.
func (g *generator) ordinary(t table) {
	dev := g.rng.IntN(len(g.devices))
	switch t {
	case tNetwork:
		a := g.backgroundAccount(20, 12)
		r := backgroundRemote(g.rng)
		bin := pick(g.rng, g.picks[a])
		if r == rListen && g.rng.IntN(2) == 0 {
			a, bin = acctNone, -1
		}
		s := g.add(t, dev, bin, g.anyTime())
		s.acct, s.remote = a, r
		s.dup = g.o.Traps && g.rng.IntN(500) == 0

	case tCert:
		bin := int32(-1) // a file seen only on disk
		if g.rng.IntN(100) < 40 {
			bin = g.certs[g.rng.IntN(len(g.certs))]
		}
		g.add(t, dev, bin, g.anyTime())

	case tProcess:
		a := g.backgroundAccount(30, 10)
		bin := pick(g.rng, g.picks[a])
		for g.bins[bin].parentBin < 0 {
			bin = pick(g.rng, g.picks[a])
		}
		g.add(t, dev, bin, g.anyTime()).acct = a

	case tFile:
		g.add(t, dev, -1, g.anyTime()).acct = g.backgroundAccount(35, 0)

	case tLogon:
		bin := g.binNamed("lsass.exe")
		if g.rng.IntN(4) == 0 {
			bin = g.binNamed("winlogon.exe")
		}
		s := g.add(t, dev, bin, g.anyTime())
		s.acct = acctSystem
		s.remote = [...]remote{rListen, rListen, rPrivate, rPrivate, rPrivate,
			rPrivate, rPublicV4, rCloudflareV4}[g.rng.IntN(8)]
	}
}

// backgroundAccount draws an account class: System with probability
// system percent, a service account with service percent, else a user.
func (g *generator) backgroundAccount(system, service int) acct {
	switch n := g.rng.IntN(100); {
	case n < system:
		return acctSystem
	case n < system+service:
		return acctService
	}
	return acctUser
}
