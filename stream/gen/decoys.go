package gen

// traps plants one hash of each TrapKind but TrapDuplicate (which is a
// property of records, set on beacons), naming them from implant name n on.
func (g *generator) traps(n int) {
	// A certificate row arriving after the first connections.
	b := g.decoy(TrapCertLate, n)
	g.bins[b].signer = signerSmallVendor
	t0, length := g.window(20*minute, 40*minute)
	devs := g.someDevices(1 + g.rng.IntN(3))
	first := g.end
	for i, dev := range devs {
		start := t0 + int64(i)*g.rng.Int64N(10*minute)
		g.dropper(b, dev, start, acctSystem)
		n := g.beaconsPerDevice()
		first = min(first, g.beacon(b, dev, acctSystem, start, length, n, cloudflarePeer(g)))
	}
	g.add(tCert, devs[0], b, first+5*minute+g.rng.Int64N(25*minute))

	// A certificate row days before: the second half of the span beacons.
	b = g.decoy(TrapCertEarly, n+1)
	g.bins[b].signer = signerUntrusted
	t0, length = g.window((g.end-g.start)/2, 0)
	devs = g.someDevices(1 + g.rng.IntN(3))
	cert := t0 - day - g.rng.Int64N(4*day)
	if cert < g.start {
		cert = g.start + g.rng.Int64N(max((t0-g.start)/4, 1))
	}
	g.add(tCert, devs[len(devs)-1], b, cert)
	for _, dev := range devs {
		g.beacon(b, dev, acctSystem, t0, length, g.beaconsPerDevice(), cloudflarePeer(g))
	}

	// System, unsigned and rare, but never a Cloudflare peer.
	b = g.decoy(TrapNotCloudflare, n+2)
	g.decoyBeacons(b, acctSystem, func(int) remote {
		return [...]remote{rPublicV4, rPublicV4, rPublicV6, rPrivate}[g.rng.IntN(4)]
	})

	// Cloudflare, unsigned and rare, but a user's.
	b = g.decoy(TrapUserAccount, n+3)
	bin := &g.bins[b]
	bin.folder = `c:\users\%u\appdata\local\temp\` + bin.name
	bin.cmd, bin.parent = `"`+bin.name+`"`, "explorer.exe"
	bin.parentBin = g.binNamed(bin.parent)
	g.decoyBeacons(b, acctUser, cloudflarePeer(g))

	// System and Cloudflare, no certificate row, but FileProfile says
	// Signed.
	b = g.decoy(TrapSignedProfile, n+4)
	g.bins[b].signed = true
	g.bins[b].company, g.bins[b].product = "Northwind Remote Tools Ltd", "Northwind Agent"
	g.decoyBeacons(b, acctSystem, cloudflarePeer(g))

	// System and Cloudflare, no certificate row, but prevalence at the
	// threshold.
	b = g.decoy(TrapPrevalent, n+5)
	g.bins[b].prevalence = 50000
	g.decoyBeacons(b, acctSystem, cloudflarePeer(g))
}

// decoy adds an implant-like program as a trap of the given kind.
func (g *generator) decoy(kind TrapKind, n int) int32 {
	b := g.implant("trap/"+string(kind), n)
	g.ds.Traps = append(g.ds.Traps, Trap{Kind: kind, SHA1: g.bins[b].sha1})
	return b
}

// decoyBeacons plants a trap's traffic on one to three devices.
func (g *generator) decoyBeacons(b int32, a acct, peer func(int) remote) {
	for _, dev := range g.someDevices(1 + g.rng.IntN(3)) {
		t0, length := g.window(20*minute, 0)
		g.dropper(b, dev, t0, a)
		g.beacon(b, dev, a, t0, length, g.beaconsPerDevice(), peer)
	}
}

// cloudflarePeer draws Cloudflare peers, mostly dotted IPv4.
func cloudflarePeer(g *generator) func(int) remote {
	return func(int) remote {
		switch n := g.rng.IntN(10); {
		case n < 7:
			return rCloudflareV4
		case n < 9:
			return rCloudflareMapped
		}
		return rCloudflareV6
	}
}
