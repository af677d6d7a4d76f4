package gen

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"strconv"
)

// digests are the three hashes MDE reports for a file, derived from the
// seed and a label so that a name keeps its hashes for a given seed.
type digests struct {
	sha1   [20]byte
	sha256 [32]byte
	md5    [16]byte
}

func derive(seed uint64, label string) digests {
	b := binary.BigEndian.AppendUint64(nil, seed)
	b = append(b, label...)
	return digests{sha1: sha1.Sum(b), sha256: sha256.Sum256(b), md5: md5.Sum(b)}
}

func hexOf(b []byte) string { return hex.EncodeToString(b) }

// uuidOf formats 16 bytes as a version-4-shaped UUID.
func uuidOf(b []byte) string {
	var u [16]byte
	copy(u[:], b)
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	s := hex.EncodeToString(u[:])
	return s[:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:]
}

// appendRandHex appends n random bytes as lower-case hex.
func appendRandHex(b []byte, r *rand.Rand, n int) []byte {
	const digits = "0123456789abcdef"
	for n > 0 {
		v := r.Uint64()
		for i := 0; i < 8 && n > 0; i++ {
			b = append(b, digits[v>>4&0xf], digits[v&0xf])
			v >>= 8
			n--
		}
	}
	return b
}

// mix is SplitMix64's finalizer: a cheap, stable hash of a few integers,
// for values that must stay the same across records (a process id on one
// device) without storing them.
func mix(vs ...uint64) uint64 {
	var h uint64 = 0x9e3779b97f4a7c15
	for _, v := range vs {
		h ^= v
		h += 0x9e3779b97f4a7c15
		h = (h ^ h>>30) * 0xbf58476d1ce4e5b9
		h = (h ^ h>>27) * 0x94d049bb133111eb
		h ^= h >> 31
	}
	return h
}

// deviceID is device i's DeviceId: 40 hex digits, like a real one.
func deviceID(seed uint64, i int) string {
	d := derive(seed, "device/"+strconv.Itoa(i))
	return hexOf(d.sha1[:])
}

// userObjectID is a user's Entra ID object id.
func userObjectID(seed uint64, tenant, name string) string {
	d := derive(seed, "user/"+tenant+"/"+name)
	return uuidOf(d.sha256[:16])
}
