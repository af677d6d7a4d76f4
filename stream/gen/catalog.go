package gen

import (
	"strconv"
	"strings"
)

// program is one executable file: what records say about it when it runs,
// and what FileProfile answers for it.
type program struct {
	name, cmd, parent               string
	folder                          string // full path; %u stands for the user's name
	company, product, version, desc string
	size                            int64
	sha1, sha256, md5               string
	signed                          bool
	prevalence                      int64
	signer                          int // index into signers, for certificate rows

	parentBin   int32    // the parent's own program, or -1 when not in the catalog
	peersV4     []string // fixed Cloudflare peers of a planted or trap program
	peersV6     []string
	url         string // RemoteUrl of its beacons, "" for null
	noSHA256    bool   // its records leave InitiatingProcessSHA256 null
	initiating  bool   // appeared as InitiatingProcessSHA1
	resend      bool   // its next beacon is re-sent
	backgrounds bool   // part of the background traffic
}

// entry is a catalog line: a common program that runs on many devices.
// Folder paths are lower-case, as MDE reports them; %u is the user's name.
type entry struct {
	name, folder, cmd, parent string
	company, product, version string
	desc                      string
	signer                    int
	size                      int64
	prevalence                int64
	system, service, user     int // weight in each account class's traffic
}

// buildCatalog creates the background binaries and the weighted choice of
// them for each account class.
func (g *generator) buildCatalog() {
	for _, e := range catalog {
		i := g.addProgram(program{
			name: e.name, cmd: e.cmd, parent: e.parent, folder: e.folder,
			company: e.company, product: e.product, version: e.version, desc: e.desc,
			size: e.size, signed: true, prevalence: e.prevalence, signer: e.signer,
			backgrounds: true,
		}, "catalog/"+e.name)
		g.certs = append(g.certs, i)
		for c, w := range [...]int{acctSystem: e.system, acctService: e.service, acctUser: e.user} {
			if w > 0 {
				g.picks[c] = append(g.picks[c], weighted{i, w})
			}
		}
	}
	for _, name := range tailNames {
		dir := strings.TrimSuffix(strings.ToLower(name), ".exe")
		b := program{
			name: name, cmd: `"` + name + `"`, parent: "explorer.exe",
			folder:     `c:\users\%u\appdata\local\programs\` + dir + `\` + strings.ToLower(name),
			size:       200000 + g.rng.Int64N(40000000),
			signed:     g.rng.IntN(2) == 0,
			prevalence: 1 + g.rng.Int64N(5000),
			signer:     signerSmallVendor, noSHA256: g.rng.IntN(3) == 0, backgrounds: true,
		}
		if g.rng.IntN(2) == 0 {
			b.folder = `c:\users\%u\downloads\` + strings.ToLower(name)
		}
		i := g.addProgram(b, "tail/"+name)
		if b.signed {
			g.certs = append(g.certs, i)
		}
		g.picks[acctUser] = append(g.picks[acctUser], weighted{i, 1})
	}
	g.linkParents()
}

// addProgram derives a program's hashes from the seed and label and adds it.
func (g *generator) addProgram(b program, label string) int32 {
	d := derive(g.seed, label)
	b.sha1, b.sha256, b.md5 = hexOf(d.sha1[:]), hexOf(d.sha256[:]), hexOf(d.md5[:])
	b.parentBin = -1
	g.bins = append(g.bins, b)
	return int32(len(g.bins) - 1)
}

// linkParents points each program at its parent's catalog entry, for
// process events whose initiating process is that parent.
func (g *generator) linkParents() {
	for i := range g.bins {
		for j := range g.bins {
			if g.bins[j].backgrounds && g.bins[j].name == g.bins[i].parent {
				g.bins[i].parentBin = int32(j)
				break
			}
		}
	}
}

// pid is a stable process id for a program on a device, a multiple of 4 as
// on Windows.
func (g *generator) pid(dev int32, bin int32) int64 {
	return int64(4 + mix(g.seed, uint64(dev), uint64(bin))%60000*4)
}

// label names a planted or trap program's hash derivation.
func label(kind string, i int) string { return kind + "/" + strconv.Itoa(i) }
