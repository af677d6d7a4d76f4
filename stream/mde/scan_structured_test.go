package mde

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// Differential tests of the scanner (scan.go) against the
// general path decodeAny, through checkSame, on structured random
// messages: duplicated keys, keys differing only by case, escapes of
// every kind in every field, surrogate pairs split across fields, numbers
// at the edges, whitespace of every kind, nesting around the scanner's
// bound, record counts around maxScanRecords, very long strings.

// msgGen builds random messages that are mostly valid JSON, so that the
// scanner accepts a good share of them.
type msgGen struct {
	rng *rand.Rand
	// invalid is the chance, in 1/1000, of a deliberate defect at any
	// point that can take one.
	invalid int
}

var (
	advTopKeys = []string{"category", "tenantId", "properties", "Category", "TenantId", "tenantid",
		"PROPERTIES", "time", "operationName", "Tenant", "", "records", "categor", "tenantIdX"}
	advPropKeys = append(append([]string{}, textFields...), append(rawFields,
		"deviceid", "DEVICEID", "Deviceid", "remoteip", "Remoteip", "sha1", "Sha1", "timestamp", "TimeStamp",
		"reportid", "ReportID", "DeviceNAME", "remoteUrl", "RemoteURL", "AdditionalFields", "ActionType",
		"InitiatingProcessSHA1 ", " SHA1", "SHA", "SHA11", "")...)
	advNumbers = []string{"0", "-0", "1", "-1", "0.0", "-0.0", "1e05", "1E-05", "1e+0", "0e0", "0E-0",
		"9007199254740993", "-9223372036854775809", "18446744073709551616", "1.7976931348623157e308",
		"1.7976931348623159e308", "4.9e-324", "2e-324", "1e-400", "1e400", "123456789.123456789e-123",
		"0.000000000000000000000000001", "100000000000000000000000000000000000000000000000000000",
		"1.0", "10", "-10.5E+3"}
	advInvalidNumbers = []string{"01", "-", "1.", ".1", "+1", "1e", "1e+", "0x10", "Infinity", "NaN", "1_000", "--1"}
	advSpaces         = []string{"", "", "", " ", "\t", "\n", "\r", "\r\n", " \t\n\r ", "    "}
	advBadSpaces      = []string{"\f", "\v", "\u00a0", "\x00", "\u2028", "\ufeff"}
)

func (g *msgGen) chance(perMille int) bool { return g.rng.IntN(1000) < perMille }

func (g *msgGen) ws() string {
	if g.chance(g.invalid) {
		return advBadSpaces[g.rng.IntN(len(advBadSpaces))]
	}
	return advSpaces[g.rng.IntN(len(advSpaces))]
}

// strBody returns the inside of a JSON string: plain bytes, escapes of
// every kind, non-ASCII, invalid UTF-8, surrogates alone or split.
func (g *msgGen) strBody(maxParts int) string {
	var b strings.Builder
	for range g.rng.IntN(maxParts + 1) {
		switch g.rng.IntN(22) {
		case 0:
			b.WriteString(`\"`)
		case 1:
			b.WriteString(`\\`)
		case 2:
			b.WriteString(`\/`)
		case 3:
			b.WriteString([]string{`\b`, `\f`, `\n`, `\r`, `\t`}[g.rng.IntN(5)])
		case 4:
			b.WriteString(`\u0000`)
		case 5:
			fmt.Fprintf(&b, `\u%04x`, g.rng.IntN(0x10000))
		case 6:
			fmt.Fprintf(&b, `\u%04X`, 0xd800+g.rng.IntN(0x800)) // a surrogate, alone or not
		case 7:
			b.WriteString(`\ud83d\ude00`)
		case 8:
			b.WriteString(`\ud83d`) // the high half; a low half may follow or not
		case 9:
			b.WriteString(`\ude00`)
		case 10:
			b.WriteString("é日本😀")
		case 11:
			b.WriteString([]string{"\xff", "\xc3", "\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80", "\xf0\x9f\x98"}[g.rng.IntN(6)])
		case 12:
			b.WriteString("\x7f")
		case 13:
			b.WriteString("{}[],:\"") // structural bytes inside a string (the quote escaped below)
		case 14:
			b.WriteString(strings.Repeat("a", g.rng.IntN(40)))
		case 15:
			if g.chance(g.invalid * 5) {
				b.WriteString([]string{"\x01", "\x1f", "\t", "\n", `\x41`, `\u12`, `\U0041`, `\ `, `\'`,
					`\u12G4`}[g.rng.IntN(10)])
			}
		default:
			b.WriteString(fmt.Sprintf("v%d", g.rng.IntN(100)))
		}
	}
	s := b.String()
	// A bare quote from case 13 becomes an escaped one, unless a defect is wanted.
	if !g.chance(g.invalid) {
		s = strings.ReplaceAll(s, "{}[],:\"", `{}[],:\"`)
	}
	return s
}

func (g *msgGen) str(maxParts int) string { return `"` + g.strBody(maxParts) + `"` }

func (g *msgGen) number() string {
	if g.chance(g.invalid) {
		return advInvalidNumbers[g.rng.IntN(len(advInvalidNumbers))]
	}
	return advNumbers[g.rng.IntN(len(advNumbers))]
}

// value returns any JSON value nested at most depth more levels.
func (g *msgGen) value(depth int) string {
	k := g.rng.IntN(10)
	if depth <= 0 && k >= 7 {
		k = g.rng.IntN(7)
	}
	switch k {
	case 0, 1:
		return g.str(6)
	case 2, 3:
		return g.number()
	case 4:
		return []string{"true", "false", "null"}[g.rng.IntN(3)]
	case 5:
		if g.chance(g.invalid) {
			return []string{"nul", "tru", "True", "NULL", "falsey", "nulll"}[g.rng.IntN(6)]
		}
		return "null"
	case 6:
		return g.str(1)
	case 7, 8:
		var parts []string
		for range g.rng.IntN(4) {
			parts = append(parts, g.ws()+g.key()+g.ws()+":"+g.ws()+g.value(depth-1)+g.ws())
		}
		return "{" + g.ws() + g.join(parts) + "}"
	default:
		var parts []string
		for range g.rng.IntN(4) {
			parts = append(parts, g.ws()+g.value(depth-1)+g.ws())
		}
		return "[" + g.ws() + g.join(parts) + "]"
	}
}

// join joins members with commas, now and then with a defect.
func (g *msgGen) join(parts []string) string {
	s := strings.Join(parts, ",")
	if g.chance(g.invalid) && len(parts) > 0 {
		s += ","
	}
	return s
}

// key returns a key of a skipped object: any string, escapes included.
func (g *msgGen) key() string {
	if g.rng.IntN(3) == 0 {
		return g.str(3)
	}
	return fmt.Sprintf(`"k%d"`, g.rng.IntN(5))
}

// deep returns a value nested n levels, arrays and objects mixed.
func (g *msgGen) deep(n int) string {
	var open, close strings.Builder
	for range n {
		if g.rng.IntN(2) == 0 {
			open.WriteString("[" + g.ws())
			close.WriteString(g.ws() + "]")
		} else {
			open.WriteString(`{"` + g.strBody(1) + `":` + g.ws())
			close.WriteString(g.ws() + "}")
		}
	}
	c := close.String()
	// close holds the brackets innermost first already, as they were
	// written in opening order: reverse it.
	r := []rune(c)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return open.String() + g.value(0) + string(r)
}

// propValue returns a value for a properties member, mostly of the right
// type for the field.
func (g *msgGen) propValue(key string) string {
	isText := false
	for _, f := range textFields {
		if f == key {
			isText = true
		}
	}
	switch {
	case g.rng.IntN(12) == 0:
		return "null"
	case g.rng.IntN(30) == 0:
		return g.deep(55 + g.rng.IntN(15)) // around the scanner's bound of 64 in all
	case isText && !g.chance(g.invalid*3):
		return g.str(8)
	default:
		return g.value(3)
	}
}

func (g *msgGen) properties() string {
	if g.rng.IntN(15) == 0 {
		return "null"
	}
	var parts []string
	for range g.rng.IntN(12) {
		k := advPropKeys[g.rng.IntN(len(advPropKeys))]
		parts = append(parts, g.ws()+`"`+k+`"`+g.ws()+":"+g.ws()+g.propValue(k)+g.ws())
	}
	return "{" + g.join(parts) + g.ws() + "}"
}

func (g *msgGen) record() string {
	if g.chance(g.invalid) {
		return g.value(2) // a record that is not an object
	}
	var parts []string
	for range 1 + g.rng.IntN(6) {
		k := advTopKeys[g.rng.IntN(len(advTopKeys))]
		var v string
		switch k {
		case "category":
			v = []string{`"AdvancedHunting-DeviceNetworkEvents"`, `"AdvancedHunting-DeviceFileCertificateInfo"`,
				`"AdvancedHunting-DeviceNetwork\u0045vents"`, `null`, `1`, `{}`, g.str(3)}[g.rng.IntN(7)]
		case "tenantId":
			v = g.str(5)
			if g.rng.IntN(8) == 0 {
				v = "null"
			} else if g.chance(g.invalid * 3) {
				v = g.value(1)
			}
		case "properties":
			v = g.properties()
		default:
			v = g.value(3)
			if g.rng.IntN(20) == 0 {
				v = g.deep(58 + g.rng.IntN(10))
			}
		}
		parts = append(parts, g.ws()+`"`+k+`"`+g.ws()+":"+g.ws()+v+g.ws())
	}
	return "{" + g.join(parts) + "}"
}

func (g *msgGen) message(records int) string {
	var parts []string
	for range records {
		parts = append(parts, g.ws()+g.record()+g.ws())
	}
	return g.ws() + "{" + g.ws() + `"records"` + g.ws() + ":" + g.ws() + "[" + g.join(parts) + "]" + g.ws() + "}" + g.ws()
}

// Structured random messages reach decodeAny's outcome, and the scanner
// takes a good share of them: a generator whose every message the
// scanner declines would prove nothing.
func TestScanStructured(t *testing.T) {
	for _, invalid := range []int{0, 5, 30} {
		g := &msgGen{rng: rand.New(rand.NewPCG(uint64(invalid), 11)), invalid: invalid}
		scanned, total := 0, 0
		for range 6000 {
			msg := []byte(g.message(g.rng.IntN(5)))
			var d Decoder
			if d.scanEnvelope(msg) {
				scanned++
			}
			total++
			checkSame(t, msg)
		}
		t.Logf("defects %d/1000: scanner took %d of %d messages", invalid, scanned, total)
		if invalid == 0 && scanned < total/3 {
			t.Errorf("scanner took only %d of %d valid messages", scanned, total)
		}
	}
}

// The same messages, each mutated once at a random byte.
func TestScanStructuredMutated(t *testing.T) {
	g := &msgGen{rng: rand.New(rand.NewPCG(3, 4))}
	subs := []byte("\"\\{}[],: \t\n1-.eEnx\x00\x01\x1f\x7f\x80\xff")
	for range 4000 {
		m := []byte(g.message(1 + g.rng.IntN(3)))
		for k := range 8 {
			b := append([]byte(nil), m...)
			i := g.rng.IntN(len(b))
			switch k % 4 {
			case 0:
				b = b[:i]
			case 1:
				b = append(b[:i], b[i+1:]...)
			case 2:
				b[i] = subs[g.rng.IntN(len(subs))]
			case 3:
				b = append(b[:i], append([]byte{subs[g.rng.IntN(len(subs))]}, b[i:]...)...)
			}
			checkSame(t, b)
		}
	}
}

// A surrogate pair split across two fields, or across a field and the
// next key, is two lone surrogates, in both paths.
func TestScanSplitSurrogates(t *testing.T) {
	hi, lo := `\ud83d`, `\ude00`
	for _, m := range []string{
		env(rec(`"RemoteIP":"a` + hi + `","DeviceId":"` + lo + `b"`)),
		env(rec(`"RemoteIP":"` + hi + `","RemoteIP":"` + lo + `"`)),
		env(rec(`"InitiatingProcessAccountName":"` + hi + `","InitiatingProcessAccountSid":"` + lo + `"`)),
		env(`{"tenantId":"` + hi + `","properties":{"SHA1":"` + lo + `"}}`),
		env(rec(`"DeviceName":"` + hi + `","InitiatingProcessFolderPath":"` + lo + `"`)),
		env(rec(`"RemoteIP":"` + hi + `\u0000` + lo + `"`)),
		env(rec(`"RemoteIP":"` + hi + hi + lo + lo + `"`)),
		env(rec(`"RemoteIP":"\uDBFF\uDFFF\uD800\uDC00"`)),
		env(rec(`"RemoteIP":"` + hi + `\"` + lo + `"`)),
		env(rec(`"RemoteIP":"` + hi + "\xed\xb8\x80" + `"`)), // escaped high, raw UTF-8 low half
		env(rec(`"RemoteIP":"` + "\xed\xa0\xbd" + lo + `"`)), // raw UTF-8 high half, escaped low
	} {
		var d Decoder
		if !d.scanEnvelope([]byte(m)) {
			t.Errorf("declined %q", m)
		}
		checkSame(t, []byte(m))
	}
}

// Every field takes every kind of escape; the key appears twice, the
// second time with another spelling, null, or an escaped value.
func TestScanEveryFieldEveryEscape(t *testing.T) {
	escapes := []string{`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`, `\u0000`, `\u001f`, `\u007f`,
		`\u0080`, `\u00ff`, `\u07ff`, `\u0800`, `\ufffd`, `\ufeff`, `\uffff`, `\ud800`, `\udbff\udfff`,
		`\uDC00`, `\u2028`, "\x7f", "\xff", "\xe2\x80\xa8"}
	all := append(append([]string{}, textFields...), rawFields...)
	for _, f := range all {
		for _, e := range escapes {
			for _, second := range []string{"", `,"` + f + `":null`, `,"` + f + `":"x` + e + `"`,
				`,"` + strings.ToLower(f) + `":"other"`, `,"` + strings.ToUpper(f) + `":1`} {
				m := env(rec(`"` + f + `":"` + e + `a` + e + `"` + second))
				checkSame(t, []byte(m))
			}
		}
	}
	for _, e := range escapes {
		checkSame(t, []byte(env(`{"tenantId":"`+e+`","tenantId":"`+e+e+`"}`)))
		checkSame(t, []byte(env(`{"category":"AdvancedHunting-DeviceNetworkEvents`+e+`"}`)))
		checkSame(t, []byte(env(`{"Category":"`+e+`","category":"AdvancedHunting-DeviceNetworkEvents"}`)))
	}
}

// Nesting from 55 to 70 levels, in every place a value can be: a raw
// field, a skipped member of properties, a skipped member of the record,
// and with the properties object itself at its usual level.
func TestScanDepthAroundBound(t *testing.T) {
	g := &msgGen{rng: rand.New(rand.NewPCG(5, 6))}
	for n := 55; n <= 70; n++ {
		for range 5 {
			v := g.deep(n)
			// A value of n levels inside properties reaches level
			// propertiesLevel+n; one inside the record recordLevel+n.
			inProps, inRecord := propertiesLevel+n <= maxDepth, recordLevel+n <= maxDepth
			for _, c := range []struct {
				m       string
				scanned bool
			}{
				{env(rec(`"DeviceName":` + v)), inProps},
				{env(rec(`"Unread":` + v)), inProps},
				{env(rec(`"Timestamp":` + v + `,"RemoteIP":"1.2.3.4"`)), inProps},
				{env(`{"extra":` + v + `,"properties":{"RemoteIP":"1.2.3.4"}}`), inRecord},
				{env(`{"category":` + v + `}`), inRecord},
				{env(fullRec, rec(`"A":`+v), fullRec), inProps},
			} {
				var d Decoder
				if got := d.scanEnvelope([]byte(c.m)); got != c.scanned {
					t.Errorf("depth %d: scanned = %v, want %v: %.120q", n, got, c.scanned, c.m)
				}
				checkSame(t, []byte(c.m))
			}
		}
	}
}

// Messages around maxScanRecords, of real records, the last of them
// different, and with a bad one at the end.
func TestScanRecordCounts(t *testing.T) {
	for _, n := range []int{maxScanRecords - 1, maxScanRecords, maxScanRecords + 1, maxScanRecords + 2} {
		recs := make([]string, n)
		for i := range recs {
			recs[i] = rec(fmt.Sprintf(`"RemoteIP":"10.0.%d.%d","ReportId":%d,"DeviceId":"d\u00e9%d"`, i/256%256, i%256, i, i))
		}
		checkSame(t, []byte(env(recs...)))
		recs[n-1] = `{"tenantId":1}`
		checkSame(t, []byte(env(recs...)))
		recs[n-1] = `{"tenantId":"last","properties":{"SHA1":"ffff"}}`
		checkSame(t, []byte(env(recs...)))
	}
}

// Strings of a megabyte, plain, with an escape at the start, at the end,
// everywhere, and with bytes outside ASCII, in each kind of field.
func TestScanLongStrings(t *testing.T) {
	mb := 1 << 20
	bodies := map[string]string{
		"plain":              strings.Repeat("a", mb),
		"escape first":       `\n` + strings.Repeat("a", mb),
		"escape last":        strings.Repeat("a", mb) + `\u00e9`,
		"escapes":            strings.Repeat(`a\"`, mb/3),
		"non-ASCII":          strings.Repeat("é", mb/2),
		"invalid UTF-8":      strings.Repeat("a", mb) + "\xff",
		"surrogates":         strings.Repeat(`\ud83d\ude00`, mb/12),
		"lone surrogates":    strings.Repeat(`\ud83d`, mb/6),
		"control at the end": strings.Repeat("a", mb) + "\x01",
	}
	for name, body := range bodies {
		for _, f := range []string{"RemoteIP", "DeviceName", "Unread"} {
			t.Run(name+" in "+f, func(t *testing.T) {
				checkSame(t, []byte(env(rec(`"`+f+`":"`+body+`"`), fullRec)))
			})
		}
		t.Run(name+" as tenantId", func(t *testing.T) {
			checkSame(t, []byte(env(`{"tenantId":"`+body+`"}`)))
		})
		t.Run(name+" as a key", func(t *testing.T) {
			checkSame(t, []byte(env(rec(`"`+body+`":1,"RemoteIP":"x"`))))
		})
	}
}

// One Decoder reused over many messages, taking the fast path and the
// general one in turn, hands out what a fresh Decoder hands out for each:
// nothing of a message leaks into the next.
func TestScanDecoderReuse(t *testing.T) {
	g := &msgGen{rng: rand.New(rand.NewPCG(7, 8)), invalid: 10}
	var reused Decoder
	for i := range 5000 {
		var msg []byte
		switch i % 5 {
		case 0:
			msg = []byte(g.message(g.rng.IntN(6)))
		case 1:
			msg = []byte(g.record()) // a single record: the general path
		case 2:
			msg = []byte(env(fullRec, rec(`"RemoteIP":null`)))
		case 3:
			msg = []byte(env(`{"properties":{"RemoteIP":"1.2.3.4"},"properties":null}`, `{}`))
		default:
			msg = []byte(g.message(1))
		}
		got := outcome(msg, reused.Decode)
		var fresh Decoder
		want := outcome(msg, fresh.Decode)
		if got != want {
			t.Fatalf("message %d %.200q:\nreused %.400s\nfresh  %.400s", i, msg, got, want)
		}
	}
}

// FuzzScanStructured is FuzzDecodeEnvelope seeded with the structured
// generator's messages, so that mutation starts from deep, escaped,
// duplicated, odd-spaced records rather than from the usual traffic.
func FuzzScanStructured(f *testing.F) {
	g := &msgGen{rng: rand.New(rand.NewPCG(9, 10))}
	for range 200 {
		if m := g.message(1 + g.rng.IntN(3)); len(m) < 1<<14 {
			f.Add([]byte(m))
		}
	}
	f.Fuzz(checkSame)
}
