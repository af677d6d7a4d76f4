package gen

import (
	"strconv"
	"time"
)

// jw appends compact JSON to a buffer. Records are written by hand rather
// than marshalled: column order stays that of the streaming API, and a
// million records take seconds.
type jw struct {
	b []byte
}

// key writes the separator, if one is due, and an object key.
func (w *jw) key(k string) {
	if n := len(w.b); n > 0 && w.b[n-1] != '{' && w.b[n-1] != '[' {
		w.b = append(w.b, ',')
	}
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
}

func (w *jw) str(k, v string) {
	w.key(k)
	w.b = appendString(w.b, v)
}

// strOrNull writes v, or null when v is empty.
func (w *jw) strOrNull(k, v string) {
	if v == "" {
		w.null(k)
		return
	}
	w.str(k, v)
}

func (w *jw) null(k string) {
	w.key(k)
	w.b = append(w.b, "null"...)
}

func (w *jw) num(k string, v int64) {
	w.key(k)
	w.b = strconv.AppendInt(w.b, v, 10)
}

func (w *jw) boolean(k string, v bool) {
	w.key(k)
	w.b = strconv.AppendBool(w.b, v)
}

// stamp writes an ISO 8601 UTC time with the given fractional digits (7,
// 6 or 0), truncating.
func (w *jw) stamp(k string, ns int64, digits uint8) {
	w.key(k)
	w.b = append(w.b, '"')
	w.b = appendStamp(w.b, ns, digits)
	w.b = append(w.b, '"')
}

// open starts an object under key k; end closes it.
func (w *jw) open(k string) {
	w.key(k)
	w.b = append(w.b, '{')
}

func (w *jw) end() { w.b = append(w.b, '}') }

// appendString appends s as a JSON string. The generator's own strings are
// valid UTF-8, so only quotes, backslashes and control bytes need escapes.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	last := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[last:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		last = i + 1
	}
	b = append(b, s[last:]...)
	return append(b, '"')
}

// stampLen is the length of a 7-digit stamp, like 2025-01-15T08:00:05.1234567Z.
const stampLen = 28

// appendStamp appends ns as 2025-01-15T08:00:05.1234567Z with 7, 6 or no
// fractional digits.
func appendStamp(b []byte, ns int64, digits uint8) []byte {
	t := time.Unix(0, ns).UTC()
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	b = pad(b, y, 4)
	b = append(b, '-')
	b = pad(b, int(mo), 2)
	b = append(b, '-')
	b = pad(b, d, 2)
	b = append(b, 'T')
	b = pad(b, h, 2)
	b = append(b, ':')
	b = pad(b, mi, 2)
	b = append(b, ':')
	b = pad(b, s, 2)
	if digits > 0 {
		frac := t.Nanosecond() / 100
		if digits == 6 {
			frac /= 10
		}
		b = append(b, '.')
		b = pad(b, frac, int(digits))
	}
	return append(b, 'Z')
}

// pad appends v in decimal, zero-padded to width digits.
func pad(b []byte, v, width int) []byte {
	var tmp [10]byte
	for i := width - 1; i >= 0; i-- {
		tmp[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, tmp[:width]...)
}
