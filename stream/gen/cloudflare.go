package gen

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"strconv"
)

// cloudflareV4 are Cloudflare's published IPv4 ranges, the 15 of the
// hunting query (list dated 2026-10-14).
var cloudflareV4 = parsePrefixes(
	"173.245.48.0/20", "103.21.244.0/22", "103.22.200.0/22", "103.31.4.0/22",
	"141.101.64.0/18", "108.162.192.0/18", "190.93.240.0/20", "188.114.96.0/20",
	"197.234.240.0/22", "198.41.128.0/17", "162.158.0.0/15", "104.16.0.0/13",
	"104.24.0.0/14", "172.64.0.0/13", "131.0.72.0/22",
)

// cloudflareV6 are Cloudflare's 7 published IPv6 ranges.
var cloudflareV6 = parsePrefixes(
	"2400:cb00::/32", "2606:4700::/32", "2803:f800::/32", "2405:b500::/32",
	"2405:8100::/32", "2a06:98c0::/29", "2c0f:f248::/32",
)

// otherV4 are first octets of busy public IPv4 space that Cloudflare does
// not announce (Azure, AWS, Google, Akamai and others).
var otherV4 = [...]byte{13, 20, 23, 34, 35, 40, 51, 52, 54, 142, 151, 157, 185, 199, 204}

// otherV6 are the first 32 bits of busy public IPv6 space outside
// Cloudflare.
var otherV6 = [...]uint32{
	0x26031030, 0x2a001450, 0x262001ec, 0x20014860, 0x2a032880, 0x26001f18,
}

func parsePrefixes(s ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(s))
	for i, p := range s {
		out[i] = netip.MustParsePrefix(p)
	}
	return out
}

// randomIn returns a random host address inside p.
func randomIn(r *rand.Rand, p netip.Prefix) netip.Addr {
	b := p.Addr().As16()
	off := 0
	if p.Addr().Is4() {
		off = 12
	}
	bits := p.Bits() + off*8
	for i := bits / 8; i < 16; i++ {
		rnd := byte(r.Uint32())
		if i == bits/8 && bits%8 != 0 {
			keep := byte(0xff) << (8 - bits%8)
			b[i] = b[i]&keep | rnd&^keep
			continue
		}
		b[i] = rnd
	}
	if off == 12 {
		b[15] = max(b[15], 1) // not the network address
		return netip.AddrFrom4([4]byte(b[12:]))
	}

	// Cloudflare's IPv6 peers are sparse: a subnet, then zeros, then a
	// host part, like 2606:4700:3031::6815:3001.
	if r.IntN(2) == 0 {
		clear(b[4:6])
	}
	clear(b[6:12])
	return netip.AddrFrom16(b)
}

// cloudflareV4Addr returns a random address in a Cloudflare IPv4 range.
func cloudflareV4Addr(r *rand.Rand) string {
	return randomIn(r, cloudflareV4[r.IntN(len(cloudflareV4))]).String()
}

// cloudflareV6Addr returns a random address in a Cloudflare IPv6 range.
func cloudflareV6Addr(r *rand.Rand) string {
	return randomIn(r, cloudflareV6[r.IntN(len(cloudflareV6))]).String()
}

// publicV4 returns a random public IPv4 address outside Cloudflare.
func publicV4(r *rand.Rand) string {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], r.Uint32())
	b[0] = otherV4[r.IntN(len(otherV4))]
	b[3] = max(b[3], 1)
	return netip.AddrFrom4(b).String()
}

// publicV6 returns a random public IPv6 address outside Cloudflare.
func publicV6(r *rand.Rand) string {
	var b [16]byte
	binary.BigEndian.PutUint32(b[:4], otherV6[r.IntN(len(otherV6))])
	binary.BigEndian.PutUint64(b[8:], r.Uint64())
	b[5] = byte(r.IntN(16))
	return netip.AddrFrom16(b).String()
}

// privateV4 returns a random RFC 1918 address.
func privateV4(r *rand.Rand) string {
	switch r.IntN(3) {
	case 0:
		return "10." + octets(r, 3)
	case 1:
		return "172." + strconv.Itoa(16+r.IntN(16)) + "." + octets(r, 2)
	default:
		return "192.168." + octets(r, 2)
	}
}

func octets(r *rand.Rand, n int) string {
	s := ""
	for i := range n {
		if i > 0 {
			s += "."
		}
		s += strconv.Itoa(1 + r.IntN(254))
	}
	return s
}
