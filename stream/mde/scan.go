package mde

// The fast path of Decode: one validating pass over an envelope that
// captures the fields of each record's wireRecord as it finds the record's
// end.
//
// decodeAny, the general path, parses the envelope with segmentio/encoding,
// then each record again on its own bytes: every byte is read at least
// twice, and every string of a record checked for escapes again. The
// scanner below reads each byte once. It is not a second JSON decoder with
// its own opinions: it accepts a message only when it can decode it exactly
// as decodeAny would, and declines (returns false, so that Decode falls back
// to decodeAny) everything else: another shape of message, a syntax error,
// a field of the wrong type, a key with an escape, nesting deeper than
// maxDepth, more than maxScanRecords records. decodeAny's outcome is the
// specification; envelope_test.go checks the two agree.
//
// What decodeAny does, and so what the scanner does when it accepts:
//
//   - Keys match wireRecord's tags exactly, case included
//     (DontMatchCaseInsensitiveStructFields). segmentio unescapes a key
//     before matching it; the scanner declines a record or properties key
//     that holds a backslash or a byte outside ASCII, so that the keys it
//     matches are their own bytes. Keys of skipped objects are only checked.
//   - A key that appears twice is decoded twice, into the same field: the
//     last one wins, except that null leaves a string field, and properties,
//     as they were; a raw field takes null as the bytes `null`; two
//     properties objects merge.
//   - A string field takes a JSON string, or null. A string free of escapes
//     and of bytes outside ASCII points into the message; any other is
//     decoded by segmentio itself (see unescape), which replaces invalid
//     UTF-8 and lone surrogates with U+FFFD.
//   - A raw field takes any value, as its bytes.
//   - Invalid UTF-8 is accepted inside strings, as segmentio accepts it.
//     Everything else is RFC 8259 JSON: no control byte inside a string, no
//     leading zero, no trailing comma, whitespace is space, tab, CR and LF.

import (
	"encoding/binary"
	"math/bits"
	"unsafe"

	"github.com/segmentio/encoding/json"
)

const (
	// maxDepth bounds how deeply objects and arrays nest in a message the
	// scanner accepts, the envelope and its records array included. The
	// scanner recurses once a level; deeper messages go to decodeAny.
	maxDepth = 64

	// maxScanRecords bounds the records of a message the scanner accepts.
	// It keeps every record's fields until the message is done, and a
	// message of many tiny records ({},{},...) would make it hold, and keep
	// for the next messages, hundreds of bytes per byte of message.
	// decodeAny takes one record at a time. A 1 MB Event Hubs message holds
	// some hundreds of records.
	maxScanRecords = 4096

	// How many objects and arrays enclose a member of a record, and a
	// member of its properties: the envelope, its records array, the
	// record, properties.
	recordLevel     = 3
	propertiesLevel = 4
)

// scanEnvelope decodes msg into d.raws and d.wires and reports whether it
// could. It accepts exactly {"records":[<record>,...]}, an empty array
// included, whitespace anywhere between tokens, where each record is an
// object that record accepts. On false, d.raws and d.wires hold garbage.
func (d *Decoder) scanEnvelope(msg []byte) bool {
	d.raws, d.wires = d.raws[:0], d.wires[:0]
	s := scanner{b: msg}
	s.space()
	if !s.consume('{') {
		return false
	}
	// The envelope's one member is records. decodeAny reads a second
	// records member or a category beside it in ways not worth copying.
	if more, ok := s.more('}', true); !more || !ok {
		return false
	}
	if key, ok := s.key(); !ok || string(key) != "records" || !s.consume('[') {
		return false
	}
	for first := true; ; first = false {
		more, ok := s.more(']', first)
		if !ok {
			return false
		}
		if !more {
			break
		}
		if len(d.raws) == maxScanRecords {
			return false
		}
		start := s.i
		d.wires = append(d.wires, wireRecord{})
		if !s.record(&d.wires[len(d.wires)-1]) {
			return false
		}
		// The full slice expression keeps an append to Raw from writing
		// over the rest of the message.
		d.raws = append(d.raws, msg[start:s.i:s.i])
	}
	if more, ok := s.more('}', false); more || !ok {
		return false
	}
	s.space()
	return s.i == len(msg)
}

// scanner reads the JSON in b from offset i. Each method that reads a value
// starts at its first byte, whitespace before it already skipped, and
// leaves i just past it; it returns false when the bytes at i are not what
// it accepts, and i is then meaningless.
type scanner struct {
	b []byte
	i int
}

// record reads a record: an object whose category, tenantId and properties
// members are decoded into w, and whose other members are only checked.
func (s *scanner) record(w *wireRecord) bool {
	if !s.consume('{') {
		return false
	}
	for first := true; ; first = false {
		more, ok := s.more('}', first)
		if !more || !ok {
			return ok
		}
		key, ok := s.key()
		if !ok {
			return false
		}
		switch string(key) {
		case "category":
			ok = s.raw(&w.Category, recordLevel)
		case "tenantId":
			ok = s.text(&w.TenantID)
		case "properties":
			ok = s.properties(&w.Properties)
		default:
			ok = s.value(recordLevel)
		}
		if !ok {
			return false
		}
	}
}

// properties reads a record's properties: null, which leaves p as it was,
// or an object whose members named in properties' tags are decoded into p.
// Anything else is a type error, declined.
func (s *scanner) properties(p *properties) bool {
	if s.at('n') {
		return s.literal("null")
	}
	if !s.consume('{') {
		return false
	}
	for first := true; ; first = false {
		more, ok := s.more('}', first)
		if !more || !ok {
			return ok
		}
		key, ok := s.key()
		if !ok {
			return false
		}
		switch string(key) {
		case "Timestamp":
			ok = s.raw(&p.Timestamp, propertiesLevel)
		case "DeviceId":
			ok = s.text(&p.DeviceID)
		case "ReportId":
			ok = s.raw(&p.ReportID, propertiesLevel)
		case "InitiatingProcessAccountName":
			ok = s.text(&p.AccountName)
		case "InitiatingProcessAccountSid":
			ok = s.text(&p.AccountSID)
		case "RemoteIP":
			ok = s.text(&p.RemoteIP)
		case "InitiatingProcessSHA1":
			ok = s.text(&p.ProcessSHA1)
		case "SHA1":
			ok = s.text(&p.SHA1)
		case "DeviceName":
			ok = s.raw(&p.DeviceName, propertiesLevel)
		case "InitiatingProcessFolderPath":
			ok = s.raw(&p.FolderPath, propertiesLevel)
		case "InitiatingProcessFileName":
			ok = s.raw(&p.FileName, propertiesLevel)
		case "InitiatingProcessSHA256":
			ok = s.raw(&p.ProcessSHA2, propertiesLevel)
		case "RemotePort":
			ok = s.raw(&p.RemotePort, propertiesLevel)
		case "RemoteUrl":
			ok = s.raw(&p.RemoteURL, propertiesLevel)
		case "InitiatingProcessAccountDomain":
			ok = s.raw(&p.AccountDom, propertiesLevel)
		default:
			ok = s.value(propertiesLevel)
		}
		if !ok {
			return false
		}
	}
}

// more reads what comes before the next member of an object, or element of
// an array, or its end: whitespace, then either the closing byte, or a ','
// unless first (the opening bracket was just read) and whitespace. It
// returns whether a member or element follows, and false for ok on any
// other byte: a missing comma, a comma before the closing byte.
func (s *scanner) more(closing byte, first bool) (more, ok bool) {
	s.space()
	if s.consume(closing) {
		return false, true
	}
	if !first {
		if !s.consume(',') {
			return false, false
		}
		s.space()
	}
	return true, true
}

// key reads a member's key, the ':' after it and the whitespace around
// that. It declines a key that is not plain (see str): segmentio would
// match its unescaped form, which a key's own bytes may not be.
func (s *scanner) key() ([]byte, bool) {
	k, plain, ok := s.str()
	if !ok || !plain {
		return nil, false
	}
	s.space()
	if !s.consume(':') {
		return nil, false
	}
	s.space()
	return k, true
}

// text reads a string field: a JSON string into dst, or null, which leaves
// dst as it was. Any other value is a type error, declined.
func (s *scanner) text(dst *string) bool {
	if s.at('n') {
		return s.literal("null")
	}
	start := s.i
	v, plain, ok := s.str()
	switch {
	case !ok:
		return false
	case plain:
		*dst = aliasString(v)
		return true
	default:
		return unescape(s.b[start:s.i], dst)
	}
}

// aliasString returns v as a string without copying it: the string points
// into the message, as segmentio's ZeroCopy decoding made decodeAny's do,
// and as Record documents.
func aliasString(v []byte) string {
	if len(v) == 0 {
		return ""
	}
	return unsafe.String(&v[0], len(v))
}

// unescape decodes the JSON string q, quotes included, into dst the way
// decodeAny does, by having segmentio/encoding do it: escapes, surrogate
// pairs, lone surrogates and invalid UTF-8 come out byte for byte the same.
// It allocates, and only strings with an escape or a byte outside ASCII
// take this way.
func unescape(q []byte, dst *string) bool {
	_, err := json.Parse(q, dst, parseFlags)
	return err == nil
}

// raw reads any value into dst as its bytes. level is how many objects and
// arrays enclose it.
func (s *scanner) raw(dst *json.RawMessage, level int) bool {
	start := s.i
	if !s.value(level) {
		return false
	}
	*dst = s.b[start:s.i:s.i]
	return true
}

// value reads any JSON value, checking it and keeping nothing. level is how
// many objects and arrays enclose it: an object or array at maxDepth levels
// is declined.
func (s *scanner) value(level int) bool {
	if s.i >= len(s.b) {
		return false
	}
	switch s.b[s.i] {
	case '"':
		_, _, ok := s.str()
		return ok
	case '{':
		return level < maxDepth && s.object(level+1)
	case '[':
		return level < maxDepth && s.array(level+1)
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	default:
		return s.number()
	}
}

// object reads an object whose members are all only checked. level is how
// many objects and arrays enclose its members, itself included.
func (s *scanner) object(level int) bool {
	s.i++ // the '{' value saw
	for first := true; ; first = false {
		more, ok := s.more('}', first)
		if !more || !ok {
			return ok
		}
		// Any valid key will do here, escaped or not.
		if _, _, ok := s.str(); !ok {
			return false
		}
		s.space()
		if !s.consume(':') {
			return false
		}
		s.space()
		if !s.value(level) {
			return false
		}
	}
}

// array reads an array whose elements are all only checked. level is how
// many objects and arrays enclose its elements, itself included.
func (s *scanner) array(level int) bool {
	s.i++ // the '[' value saw
	for first := true; ; first = false {
		more, ok := s.more(']', first)
		if !more || !ok {
			return ok
		}
		if !s.value(level) {
			return false
		}
	}
}

// str reads a JSON string and returns the bytes between its quotes, and
// whether they are plain: free of escapes and of bytes outside ASCII, so
// that they are the string's value as they are. It declines a string with
// a control byte, an escape other than \" \\ \/ \b \f \n \r \t and \u with
// four hex digits, or no closing quote. Bytes outside ASCII are not
// checked: invalid UTF-8 is accepted.
func (s *scanner) str() (v []byte, plain, ok bool) {
	b := s.b
	if s.i >= len(b) || b[s.i] != '"' {
		return nil, false, false
	}
	start := s.i + 1
	plain = true
	i := start
	for {
		// Skip ordinary bytes, eight at a time while eight remain.
		for i+8 <= len(b) {
			if m := unusualBytes(binary.LittleEndian.Uint64(b[i:])); m != 0 {
				// The lowest flagged bit is in the first unusual byte.
				i += bits.TrailingZeros64(m) / 8
				break
			}
			i += 8
		}
		for i < len(b) && ordinary(b[i]) {
			i++
		}
		if i >= len(b) {
			return nil, false, false
		}
		switch c := b[i]; {
		case c == '"':
			s.i = i + 1
			return b[start:i], plain, true
		case c == '\\':
			n := escapeLen(b[i:])
			if n == 0 {
				return nil, false, false
			}
			plain = false
			i += n
		case c < 0x20:
			return nil, false, false
		default: // a byte outside ASCII
			plain = false
			i++
		}
	}
}

// ordinary tells whether c stands for itself inside a plain string: not a
// quote, a backslash, a control byte or a byte outside ASCII.
func ordinary(c byte) bool {
	return c >= 0x20 && c < 0x80 && c != '"' && c != '\\'
}

// unusualBytes takes eight bytes of a string, the first in the lowest
// byte, and returns a mask whose lowest set bit is the top bit of the first
// byte that is not ordinary, or 0 when all eight are ordinary.
//
// It is the "determine if a word has a byte less than n" trick of Bit
// Twiddling Hacks: (x - 0x01..01*n) & ^x & 0x80..80 is non-zero when some
// byte of x is below n (n <= 128), and its lowest set bit is exact: a
// borrow only flags bytes above the first true one. x ^ 0x22..22 turns
// quotes into zeros, which are below 1; x ^ 0x5c..5c does backslashes;
// x itself has control bytes below 0x20; x & 0x80..80 flags bytes outside
// ASCII directly.
func unusualBytes(x uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	quote, backslash := x^(ones*'"'), x^(ones*'\\')
	return ((quote-ones)&^quote | (backslash-ones)&^backslash | (x-ones*0x20)&^x | x) & highs
}

// escapeLen returns the length of the escape b starts with, its backslash
// included, or 0 when it is not a valid one.
func escapeLen(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	switch b[1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2
	case 'u':
		if len(b) < 6 {
			return 0
		}
		for _, c := range b[2:6] {
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return 0
			}
		}
		return 6
	}
	return 0
}

// number reads a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
// Its value is not looked at: a raw field keeps its bytes.
func (s *scanner) number() bool {
	b, i := s.b, s.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++ // a leading zero stands alone: "01" fails on the byte after
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		i = digits(b, i)
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		j := digits(b, i+1)
		if j == i+1 {
			return false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			return false
		}
		i = j
	}
	s.i = i
	return true
}

// digits returns the offset of the first byte at or after i in b that is
// not a decimal digit.
func digits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}

// literal reads lit, one of true, false and null, spelt exactly.
func (s *scanner) literal(lit string) bool {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return false
	}
	s.i += len(lit)
	return true
}

// space skips JSON whitespace: space, tab, CR and LF.
func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// at tells whether the byte at i is c.
func (s *scanner) at(c byte) bool {
	return s.i < len(s.b) && s.b[s.i] == c
}

// consume moves past the byte at i when it is c, and tells whether it was.
func (s *scanner) consume(c byte) bool {
	if s.at(c) {
		s.i++
		return true
	}
	return false
}
