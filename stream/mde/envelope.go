package mde

import (
	"bytes"
	"encoding/binary"
	"math/bits"

	"github.com/segmentio/encoding/json"
)

// decodeEnvelope decodes a well-formed envelope {"records":[{...},...]} in
// one validating pass and reports whether it could. The envelope is split
// without looking inside the records; each record is then parsed, and so
// validated, on its own bytes. Parsing the envelope whole first, as
// decodeAny does, reads every byte twice, and the second reading is the
// cheap one: segmentio/encoding checks each string for escapes and
// non-ASCII bytes unless the input it was handed has none, which a
// 1.7 KB record usually has not and an 85 KB message always has.
//
// Nothing reaches fn until every record has decoded; on false, Decode
// falls back to decodeAny, which reaches the same outcome as ever for
// another shape, a record that does not decode, or a message that is not
// JSON.
func (d *Decoder) decodeEnvelope(msg []byte) bool {
	if !d.split(msg) {
		return false
	}
	if cap(d.wires) < len(d.raws) {
		d.wires = make([]wireRecord, len(d.raws))
	}
	d.wires = d.wires[:len(d.raws)]
	for i, raw := range d.raws {
		d.wires[i] = wireRecord{}
		rest, err := json.Parse(raw, &d.wires[i], parseFlags)
		if err != nil || len(rest) != 0 {
			return false
		}
	}
	return true
}

// split finds the records of msg when it is exactly {"records":[{...},...]}
// with any whitespace between tokens. A record runs from its '{' to the
// matching '}', strings and escapes respected; what is inside is left to
// the record's own parse.
func (d *Decoder) split(msg []byte) bool {
	d.raws = d.raws[:0]
	b, ok := expect(msg, '{')
	if !ok || !bytes.HasPrefix(b, recordsKey) {
		return false
	}
	if b, ok = expect(b[len(recordsKey):], ':'); !ok {
		return false
	}
	if b, ok = expect(b, '['); !ok {
		return false
	}
	if rest, ok := expect(b, ']'); ok {
		rest, ok = expect(rest, '}')
		return ok && len(skipSpace(rest)) == 0
	}
	for {
		n := objectEnd(b)
		if n < 0 {
			return false
		}
		d.raws = append(d.raws, b[:n])
		if rest, ok := expect(b[n:], ','); ok {
			b = skipSpace(rest)
			continue
		}
		if b, ok = expect(b[n:], ']'); !ok {
			return false
		}
		b, ok = expect(b, '}')
		return ok && len(skipSpace(b)) == 0
	}
}

var recordsKey = []byte(`"records"`)

// expect returns what follows c in b, whitespace around it skipped, and
// whether b starts with c.
func expect(b []byte, c byte) ([]byte, bool) {
	b = skipSpace(b)
	if len(b) == 0 || b[0] != c {
		return b, false
	}
	return skipSpace(b[1:]), true
}

func skipSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\n' || b[0] == '\r') {
		b = b[1:]
	}
	return b
}

// objectEnd returns the length of the object b starts with, or -1 when b
// does not start with '{' or ends before the object does. Brackets are
// counted, not matched: the record's parse rejects a mismatch.
func objectEnd(b []byte) int {
	if len(b) == 0 || b[0] != '{' {
		return -1
	}
	depth := 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			n := stringEnd(b[i+1:])
			if n < 0 {
				return -1
			}
			i += n + 1
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth == 0 {
				return i + 1
			}
		}
	}
	return -1
}

// stringEnd returns the index in b of the quote that ends a string whose
// opening quote came just before b, or -1. It looks at eight bytes at a
// time for a quote or a backslash; a backslash skips the byte after it.
func stringEnd(b []byte) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for {
		for ; i+8 <= len(b); i += 8 {
			u := binary.LittleEndian.Uint64(b[i:])
			q, e := u^(ones*'"'), u^(ones*'\\')
			if m := ((q-ones)&^q | (e-ones)&^e) & highs; m != 0 {
				i += bits.TrailingZeros64(m) / 8
				break
			}
		}
		for i < len(b) && b[i] != '"' && b[i] != '\\' {
			i++
		}
		switch {
		case i >= len(b):
			return -1
		case b[i] == '"':
			return i
		}
		i += 2
	}
}
