package gen

import (
	"strconv"
	"strings"
)

const (
	minute = int64(60e9)
	hour   = 60 * minute
	day    = 24 * hour
)

// implantNames are file names an implant or tunnel hides behind.
var implantNames = [...]string{
	"svchelper.exe", "wuaupdt.exe", "msedge_update.exe", "rdpclip64.exe", "onedrivesync.exe",
	"winlogsvc.exe", "dllhostx.exe", "tmp7f3a.exe", "cfsvc.exe", "sysmonsvc.exe",
	"netwatch.exe", "adobearmhelper.exe", "conhostw.exe", "spoolsvx.exe", "taskhostex.exe",
}

// oddDirs are folders no installer uses, under c:\programdata and
// c:\windows\temp.
var oddDirs = [...]string{
	`c:\programdata\microsoft\crypto\rsa\`, `c:\programdata\intel\drivers\`,
	`c:\programdata\packages\cache\`, `c:\programdata\ssh\`, `c:\programdata\usoshared\logs\`,
	`c:\windows\temp\`, `c:\windows\temp\`,
}

// tunnelWords make up the host names beacons ask for.
var tunnelWords = [...]string{
	"amber", "delta", "harbor", "lumen", "quiet", "river", "signal", "stone", "tide", "vector",
}

// implant adds an unsigned, rare program in an odd folder, with fixed
// Cloudflare peers, and returns it. With traps on, its first beacon is
// re-sent, so that every planted and trap hash has a duplicate to ignore.
func (g *generator) implant(lbl string, n int) int32 {
	name := implantNames[n%len(implantNames)]
	if n >= len(implantNames) {
		name = strings.TrimSuffix(name, ".exe") + strconv.Itoa(n/len(implantNames)) + ".exe"
	}
	dir := oddDirs[g.rng.IntN(len(oddDirs))]
	if dir == `c:\windows\temp\` && g.rng.IntN(2) == 0 {
		dir += alnum(g.rng.Uint64(), 8) + `\`
	}
	b := program{
		name: name, folder: dir + name, parent: "services.exe",
		cmd:        `"` + dir + name + `" -service`,
		size:       40000 + g.rng.Int64N(4000000),
		prevalence: 1 + g.rng.Int64N(40),
		signer:     signerUnsigned,
		resend:     g.o.Traps,
	}
	if g.rng.IntN(2) == 0 {
		b.parent, b.cmd = "svchost.exe", `"`+dir+name+`" /run`
	}
	for range 1 + g.rng.IntN(3) {
		b.peersV4 = append(b.peersV4, cloudflareV4Addr(g.rng))
	}
	for range 1 + g.rng.IntN(2) {
		b.peersV6 = append(b.peersV6, cloudflareV6Addr(g.rng))
	}
	if g.rng.IntN(3) > 0 {
		w := func() string { return tunnelWords[g.rng.IntN(len(tunnelWords))] }
		b.url = w() + "-" + w() + "-" + w() + ".trycloudflare.com"
	}
	i := g.addProgram(b, lbl)
	g.bins[i].parentBin = g.binNamed(b.parent)
	return i
}

// binNamed returns the catalog program called name.
func (g *generator) binNamed(name string) int32 {
	for i := range g.bins {
		if g.bins[i].backgrounds && g.bins[i].name == name {
			return int32(i)
		}
	}
	panic("gen: no catalog program " + name)
}

// someDevices returns n distinct devices, fewer when the fleet is smaller.
func (g *generator) someDevices(n int) []int {
	return g.rng.Perm(len(g.devices))[:min(n, len(g.devices))]
}

// window picks when a program is active on one device: a stretch of at most
// six hours, or half the span when that is shorter, that starts at or after
// lead into the span and ends at least tail before its end, where the
// span allows.
func (g *generator) window(lead, tail int64) (t0, length int64) {
	span := g.end - g.start
	length = min(span/2, 6*hour)
	room := span - length - lead - tail
	if room <= 0 {
		return g.start + max(0, min(lead, span-length)), length
	}
	return g.start + lead + g.rng.Int64N(room), length
}

// beaconsPerDevice is how many connections a planted program makes on one
// device: more in larger datasets.
func (g *generator) beaconsPerDevice() int {
	return 4 + g.rng.IntN(1+min(36, g.o.Records/2000))
}

// beacon adds n connections of bin on device dev spread over a window from
// t0, with peers drawn by peer, and returns the earliest event time.
func (g *generator) beacon(bin int32, dev int, a acct, t0, length int64, n int,
	peer func(k int) remote) int64 {
	period := max(length/int64(n), 1)
	first := g.end
	counted := false
	for k := range n {
		s := g.add(tNetwork, dev, bin, t0+int64(k)*period+g.rng.Int64N(max(period/5, 1)))
		s.acct, s.remote = a, peer(k)
		s.dup = g.o.Traps && (g.rng.IntN(12) == 0 || g.bins[bin].resend)
		g.bins[bin].resend = false
		first = min(first, s.at)
		counted = g.tally(bin, s) || counted
	}
	if counted {
		c := g.ds.Counts[g.bins[bin].sha1]
		c.Devices++
		g.ds.Counts[g.bins[bin].sha1] = c
	}
	return first
}

// tally counts a planted program's event under each rule profile and
// reports whether default counts it.
func (g *generator) tally(bin int32, s *spec) bool {
	c, ok := g.ds.Counts[g.bins[bin].sha1]
	if !ok {
		return false
	}
	system := s.acct == acctSystem || s.acct == acctLocalized
	if !system || !s.remote.cloudflare() {
		return false
	}
	c.Default++
	if s.acct == acctSystem && s.remote == rCloudflareV4 {
		c.KQLParity++
	}
	g.ds.Counts[g.bins[bin].sha1] = c
	return true
}

// dropper adds the records of an implant arriving on a device shortly
// before it first runs: the file written, then the process started.
func (g *generator) dropper(bin int32, dev int, t0 int64, a acct) {
	at := t0 - minute - g.rng.Int64N(10*minute)
	g.add(tFile, dev, bin, at).acct = a
	g.add(tProcess, dev, bin, at+g.rng.Int64N(minute)).acct = a
}
