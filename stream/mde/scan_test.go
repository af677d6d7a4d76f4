package mde

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/flarewatch/flarewatch/stream/gen"
)

// scanCase is a message for the differential test, and whether the
// scanner (the fast path) is meant to accept it rather than leave it to
// decodeAny. Either way, Decode must reach decodeAny's outcome; scanned
// pins down which of the two decides, so that a scanner that declines
// everything cannot pass.
type scanCase struct {
	name    string
	msg     string
	scanned bool
}

// A network record with every field wireRecord reads, and its parts for
// building variants.
const (
	fullProps = `"Timestamp":"2025-01-15T08:00:05.1234567Z","DeviceId":"dev-1",` +
		`"DeviceName":"host-1.example","ActionType":"ConnectionSuccess","RemoteIP":"104.16.5.7",` +
		`"RemotePort":443,"RemoteUrl":"example.com",` +
		`"InitiatingProcessSHA1":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1",` +
		`"InitiatingProcessSHA256":"BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB2",` +
		`"InitiatingProcessFileName":"a.exe","InitiatingProcessFolderPath":"c:\\x\\a.exe",` +
		`"InitiatingProcessAccountDomain":"dom","InitiatingProcessAccountName":"user",` +
		`"InitiatingProcessAccountSid":"S-1-5-18","ReportId":1001,"SHA1":"cccc",` +
		`"AdditionalFields":{"a":[1,{"b":null}],"c":"{\"d\":\"e\"}"},"MachineGroup":"g"`
	fullRec = `{"time":"2025-01-15T08:04:11Z","tenantId":"t-1",` +
		`"category":"AdvancedHunting-DeviceNetworkEvents","operationName":"Publish",` +
		`"properties":{` + fullProps + `},"Tenant":"DefaultTenant"}`
)

// env wraps records in an envelope.
func env(records ...string) string {
	return `{"records":[` + strings.Join(records, ",") + `]}`
}

// rec is a network record with the given properties members.
func rec(props string) string {
	return `{"tenantId":"t-1","category":"AdvancedHunting-DeviceNetworkEvents","properties":{` + props + `}}`
}

// recTop is a record with the given top-level members.
func recTop(members string) string {
	return `{` + members + `}`
}

// textFields are the properties members decoded into Go strings; rawFields
// those kept as raw JSON.
var (
	textFields = []string{"DeviceId", "InitiatingProcessAccountName", "InitiatingProcessAccountSid",
		"RemoteIP", "InitiatingProcessSHA1", "SHA1"}
	rawFields = []string{"Timestamp", "ReportId", "DeviceName", "InitiatingProcessFolderPath",
		"InitiatingProcessFileName", "InitiatingProcessSHA256", "RemotePort", "RemoteUrl",
		"InitiatingProcessAccountDomain"}
)

func scanCases() []scanCase {
	cs := []scanCase{
		// The envelope.
		{"full record", env(fullRec), true},
		{"two records", env(fullRec, fullRec), true},
		{"empty records", `{"records":[]}`, true},
		{"empty records with space", " {\n\"records\" :\t[ \r\n ] } ", true},
		{"record empty object", env(`{}`), true},
		{"spaces around tokens", " { \"records\" : [ " + fullRec + " , " + fullRec + " ] } ", true},
		{"leading and trailing whitespace", "\r\n\t " + env(fullRec) + "\n\r\t ", true},
		{"form feed is not whitespace", "{\"records\":[\f" + fullRec + "]}", false},
		{"no-break space is not whitespace", "{\"records\":[\u00a0" + fullRec + "]}", false},
		{"BOM", "\uFEFF" + env(fullRec), false},
		{"records null", `{"records":null}`, false},
		{"records object", `{"records":` + fullRec + `}`, false},
		{"records string", `{"records":"x"}`, false},
		{"records not first", `{"category":"x","records":[` + fullRec + `]}`, false},
		{"records then category", `{"records":[` + fullRec + `],"category":"x"}`, false},
		{"records twice", `{"records":[` + fullRec + `],"records":[{}]}`, false},
		{"records key escaped", `{"rec\u006frds":[` + fullRec + `]}`, false},
		{"Records capitalised", `{"Records":[` + fullRec + `]}`, false},
		{"empty object", `{}`, false},
		{"empty array", `[]`, false},
		{"string", `"records"`, false},
		{"null", `null`, false},
		{"number", `1`, false},
		{"empty message", ``, false},
		{"whitespace only", " \n", false},
		{"single record", fullRec, false},
		{"single record with records key", `{"category":"x","records":[]}`, false},
		{"trailing byte", env(fullRec) + `x`, false},
		{"trailing brace", env(fullRec) + `}`, false},
		{"trailing bracket", env(fullRec) + `]`, false},
		{"trailing NUL", env(fullRec) + "\x00", false},
		{"two envelopes", env(fullRec) + env(fullRec), false},
		{"truncated in record", env(fullRec)[:100], false},
		{"truncated after records", env(fullRec)[:len(env(fullRec))-1], false},
		{"truncated after array", `{"records":[]`, false},
		{"trailing comma in records", `{"records":[` + fullRec + `,]}`, false},
		{"leading comma in records", `{"records":[,` + fullRec + `]}`, false},
		{"missing comma in records", `{"records":[` + fullRec + fullRec + `]}`, false},
		{"trailing comma in record", env(`{"tenantId":"t",}`), false},
		{"trailing comma in properties", env(rec(`"RemoteIP":"1.2.3.4",`)), false},
		{"trailing comma in skipped object", env(rec(`"A":{"b":1,}`)), false},
		{"trailing comma in skipped array", env(rec(`"A":[1,]`)), false},
		{"empty member", env(rec(`"RemoteIP":"1.2.3.4",,"DeviceId":"d"`)), false},
		{"missing colon", env(rec(`"RemoteIP" "1.2.3.4"`)), false},
		{"double colon", env(rec(`"RemoteIP"::"1.2.3.4"`)), false},
		{"missing value", env(rec(`"RemoteIP":`)), false},
		{"unquoted key", env(rec(`RemoteIP:"1.2.3.4"`)), false},
		{"single-quoted string", env(rec(`"RemoteIP":'1.2.3.4'`)), false},
		{"mismatched bracket", env(rec(`"A":[1}`)), false},
		{"record number", env(`1`, fullRec), false},
		{"record string", env(`"x"`), false},
		{"record null", env(`null`), false},
		{"record array", env(`[]`), false},
		{"record true", env(`true`), false},
		{"bad record among good", env(fullRec, `{"tenantId":1}`, fullRec), false},

		// Keys.
		{"escaped key in properties", env(rec(`"Remote\u0049P":"1.2.3.4"`)), false},
		{"escaped key category", env(`{"c\u0061tegory":"AdvancedHunting-DeviceNetworkEvents"}`), false},
		{"escaped key tenantId", env(`{"tenant\u0049d":"t"}`), false},
		{"escaped quote in unknown key", env(rec(`"A\"":1`)), false},
		{"escaped key of a skipped object", env(rec(`"A":{"k\u0065y":1,"\"":2,"\\":[3]}`)), true},
		{"non-ASCII key", env(rec(`"RemoteIPé":"x"`)), false},
		{"invalid UTF-8 key", env(rec("\"RemoteIP\xff\":\"x\"")), false},
		{"non-ASCII key of a skipped object", env(rec(`"A":{"é":1}`)), true},
		{"lowercase key", env(rec(`"remoteip":"10.0.0.1","RemoteIP":"1.2.3.4","initiatingprocesssha1":"x"`)), true},
		{"uppercase category key", env(`{"Category":"AdvancedHunting-DeviceNetworkEvents"}`), true},
		{"key with a trailing space", env(rec(`"RemoteIP ":"x"`)), true},
		{"key with a NUL escape", env(`{"tenantId\u0000":"t"}`), false},
		{"empty key", env(rec(`"":"x"`)), true},
		{"key prefix of a field", env(rec(`"Remote":"x","RemoteIPs":"y"`)), true},

		// Keys that appear twice: the last wins, null aside.
		{"RemoteIP twice", env(rec(`"RemoteIP":"1.1.1.1","RemoteIP":"2.2.2.2"`)), true},
		{"RemoteIP then null", env(rec(`"RemoteIP":"1.1.1.1","RemoteIP":null`)), true},
		{"RemoteIP null then string", env(rec(`"RemoteIP":null,"RemoteIP":"2.2.2.2"`)), true},
		{"RemoteIP then empty", env(rec(`"RemoteIP":"1.1.1.1","RemoteIP":""`)), true},
		{"RemoteIP escaped then plain", env(rec(`"RemoteIP":"1\u002e1","RemoteIP":"2"`)), true},
		{"RemoteIP then wrong type", env(rec(`"RemoteIP":"1.1.1.1","RemoteIP":1`)), false},
		{"Timestamp then null", env(rec(`"Timestamp":"2025-01-15T08:00:05Z","Timestamp":null`)), true},
		{"ReportId twice", env(rec(`"ReportId":1,"ReportId":"2"`)), true},
		{"properties twice merge", env(`{"category":"AdvancedHunting-DeviceNetworkEvents",` +
			`"properties":{"RemoteIP":"1.1.1.1","DeviceId":"a"},"properties":{"DeviceId":"b","SHA1":"s"}}`), true},
		{"properties then null", env(`{"properties":{"RemoteIP":"1.1.1.1"},"properties":null}`), true},
		{"properties null then object", env(`{"properties":null,"properties":{"RemoteIP":"1.1.1.1"}}`), true},
		{"properties then wrong type", env(`{"properties":{"RemoteIP":"1.1.1.1"},"properties":1}`), false},
		{"category twice", env(`{"category":"AdvancedHunting-DeviceNetworkEvents","category":"x"}`), true},
		{"category then null", env(`{"category":"AdvancedHunting-DeviceNetworkEvents","category":null}`), true},
		{"tenantId twice", env(`{"tenantId":"a","tenantId":"b"}`), true},
		{"tenantId then null", env(`{"tenantId":"a","tenantId":null}`), true},

		// properties of other types.
		{"properties null", env(`{"category":"AdvancedHunting-DeviceNetworkEvents","properties":null}`), true},
		{"properties missing", env(`{"category":"AdvancedHunting-DeviceNetworkEvents"}`), true},
		{"properties empty", env(rec(``)), true},
		{"properties number", env(`{"properties":1}`), false},
		{"properties string", env(`{"properties":"{}"}`), false},
		{"properties array", env(`{"properties":[]}`), false},
		{"properties true", env(`{"properties":true}`), false},
		{"properties false", env(`{"properties":false}`), false},

		// category and tenantId of other types.
		{"category number", env(`{"category":1}`), true},
		{"category null", env(`{"category":null}`), true},
		{"category object", env(`{"category":{"a":"AdvancedHunting-DeviceNetworkEvents"}}`), true},
		{"category array", env(`{"category":["AdvancedHunting-DeviceNetworkEvents"]}`), true},
		{"category true", env(`{"category":true}`), true},
		{"category escaped", env(`{"category":"AdvancedHunting-DeviceNetwork\u0045vents"}`), true},
		{"category lowercase", env(`{"category":"advancedhunting-devicenetworkevents"}`), true},
		{"category certificates", env(`{"category":"AdvancedHunting-DeviceFileCertificateInfo",` +
			`"properties":{"SHA1":"dddd","Timestamp":"2025-01-15T08:00:05Z"}}`), true},
		{"category non-ASCII", env(`{"category":"AdvancedHunting-DeviceNetworkEventsé"}`), true},
		{"tenantId number", env(`{"tenantId":1}`), false},
		{"tenantId object", env(`{"tenantId":{}}`), false},
		{"tenantId array", env(`{"tenantId":["t"]}`), false},
		{"tenantId true", env(`{"tenantId":true}`), false},
		{"tenantId null", env(`{"tenantId":null}`), true},
		{"tenantId escaped", env(`{"tenantId":"t\u002d1"}`), true},
		{"tenantId non-ASCII", env(`{"tenantId":"tö"}`), true},
		{"tenantId invalid UTF-8", env("{\"tenantId\":\"t\xff\"}"), true},

		// Literals.
		{"nul", env(rec(`"RemoteIP":nul`)), false},
		{"nul at the end", `{"records":[{"RemoteIP":nul`, false},
		{"nulll", env(rec(`"RemoteIP":nulll`)), false},
		{"NULL", env(rec(`"RemoteIP":NULL`)), false},
		{"tru", env(rec(`"A":tru`)), false},
		{"True", env(rec(`"A":True`)), false},
		{"truex", env(rec(`"A":truex`)), false},
		{"fals", env(rec(`"A":fals`)), false},
		{"literals", env(rec(`"A":[true,false,null],"B":true,"C":false,"DeviceName":false`)), true},

		// Deep nesting (see also TestDeepNesting).
		{"nesting at the scanner's bound", env(rec(`"A":` + nested(maxDepth-propertiesLevel))), true},
		{"nesting past the scanner's bound", env(rec(`"A":` + nested(maxDepth-propertiesLevel+1))), false},
		{"raw field nested at the bound", env(rec(`"DeviceName":` + nested(maxDepth-propertiesLevel))), true},
		{"raw field nested past the bound", env(rec(`"DeviceName":` + nested(maxDepth-propertiesLevel+1))), false},
		{"objects nested past the bound", env(rec(`"A":` + strings.Repeat(`{"a":`, 70) + `1` + strings.Repeat(`}`, 70))), false},
		{"records array nested", `{"records":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, false},
		{"nested 1000 in all", env(rec(`"A":` + nested(maxFallbackDepth-propertiesLevel))), false},
		{"nested 1001 in all", env(rec(`"A":` + nested(maxFallbackDepth-propertiesLevel+1))), false},
		{"unclosed nesting 1001", strings.Repeat("[", maxFallbackDepth+1), false},
		{"brackets in strings do not nest", env(rec(`"A":"` + strings.Repeat("[", 2000) + `"`)), true},

		// Many records.
		{"records at the scanner's bound", env(slices.Repeat([]string{`{}`}, maxScanRecords)...), true},
		{"records past the scanner's bound", env(slices.Repeat([]string{`{}`}, maxScanRecords+1)...), false},
	}

	// Whitespace between every token of a record.
	ws := " \t\n\r"
	spaced := `{` + ws + `"category"` + ws + `:` + ws + `"AdvancedHunting-DeviceNetworkEvents"` + ws + `,` +
		ws + `"properties"` + ws + `:` + ws + `{` + ws + `"RemoteIP"` + ws + `:` + ws + `"1.2.3.4"` + ws + `,` +
		ws + `"A"` + ws + `:` + ws + `[` + ws + `1` + ws + `,` + ws + `{` + ws + `}` + ws + `,` + ws + `[` + ws + `]` + ws + `]` +
		ws + `,` + ws + `"ReportId"` + ws + `:` + ws + `-1.5e3` + ws + `}` + ws + `}`
	cs = append(cs, scanCase{"whitespace everywhere", ws + `{` + ws + `"records"` + ws + `:` + ws + `[` + ws +
		spaced + ws + `,` + ws + spaced + ws + `]` + ws + `}` + ws, true})

	// Each string field: of a wrong type, null, absent.
	for _, f := range textFields {
		for _, v := range []string{`1`, `-1.5e3`, `true`, `false`, `{}`, `{"a":"b"}`, `[]`, `["x"]`} {
			cs = append(cs, scanCase{f + " is " + v, env(rec(`"` + f + `":` + v)), false})
		}
		cs = append(cs, scanCase{f + " is null", env(rec(`"` + f + `":null`)), true})
	}
	cs = append(cs, scanCase{"wrong type among good records",
		env(fullRec, rec(`"RemoteIP":1`), fullRec), false})

	// Each raw field: any value.
	for _, f := range rawFields {
		for _, v := range []string{`null`, `1`, `-0.5E-7`, `true`, `{"a":[1,"b"]}`, `[]`, `"é\u00e9\ud800"`} {
			cs = append(cs, scanCase{f + " is " + v, env(rec(`"` + f + `":` + v)), true})
		}
	}

	// Strings, in a string field, a raw field and a skipped one.
	strs := []struct {
		name, s string
		ok      bool
	}{
		{"plain", `"abc"`, true},
		{"empty", `""`, true},
		{"non-ASCII", `"héllo 日本 😀"`, true},
		{"DEL", "\"a\x7fb\"", true},
		{"escaped non-ASCII", `"h\u00e9llo"`, true},
		{"surrogate pair", `"\ud83d\ude00"`, true},
		{"uppercase hex", `"\uD83D\uDE00\u00E9"`, true},
		{"simple escapes", `"\/\b\f\n\r\t\"\\"`, true},
		{"escaped NUL", `"a\u0000b"`, true},
		{"lone high surrogate", `"\ud800"`, true},
		{"lone low surrogate", `"\udc00"`, true},
		{"high surrogate then byte", `"\ud800x"`, true},
		{"high surrogate then BMP escape", `"\ud800\u0041"`, true},
		{"two high surrogates", `"\ud800\ud800"`, true},
		{"low then high surrogate", `"\udc00\ud800"`, true},
		{"high surrogate then simple escape", `"\ud800\n"`, true},
		{"invalid UTF-8 byte", "\"a\xffb\"", true},
		{"truncated UTF-8", "\"a\xc3\"", true},
		{"UTF-8 surrogate", "\"\xed\xa0\x80\"", true},
		{"overlong UTF-8", "\"\xc0\xaf\"", true},
		{"UTF-8 past U+10FFFF", "\"\xf4\x90\x80\x80\"", true},
		{"truncated 4-byte UTF-8", "\"\xf0\x9f\x98\"", true},
		{"invalid UTF-8 and escape", "\"\xff\\n\"", true},
		{"invalid escape", `"\x41"`, false},
		{"short unicode escape", `"\u12"`, false},
		{"unicode escape at end", `"\u12`, false},
		{"non-hex unicode escape", `"\u12G4"`, false},
		{"uppercase U escape", `"\U0041"`, false},
		{"escaped space", `"\ "`, false},
		{"escaped single quote", `"\'"`, false},
		{"backslash at end", `"\`, false},
		{"escaped closing quote", `"\"`, false},
		{"control byte", "\"a\x01b\"", false},
		{"unit separator", "\"a\x1fb\"", false},
		{"raw tab", "\"a\tb\"", false},
		{"raw newline", "\"a\nb\"", false},
		{"raw NUL", "\"a\x00b\"", false},
		{"unterminated", `"abc`, false},
	}
	for _, s := range strs {
		for _, f := range []string{"RemoteIP", "DeviceName", "Unread"} {
			cs = append(cs, scanCase{"string " + s.name + " in " + f, env(rec(`"` + f + `":` + s.s)), s.ok})
		}
		cs = append(cs, scanCase{"string " + s.name + " as tenantId", env(`{"tenantId":` + s.s + `}`), s.ok})
	}

	// Strings of every length up to 40, with a quote, a backslash, a
	// control byte or a byte outside ASCII at every offset: the eight-byte
	// scan and the byte-by-byte tail must agree.
	for n := range 40 {
		a := strings.Repeat("a", n)
		cs = append(cs,
			scanCase{fmt.Sprintf("string of %d", n), env(rec(`"RemoteIP":"` + a + `","DeviceId":"` + a + `x"`)), true},
			scanCase{fmt.Sprintf("escape at %d", n), env(rec(`"RemoteIP":"` + a + `\"` + a + `"`)), true},
			scanCase{fmt.Sprintf("non-ASCII at %d", n), env(rec(`"RemoteIP":"` + a + `é` + a + `"`)), true},
			scanCase{fmt.Sprintf("control at %d", n), env(rec(`"RemoteIP":"` + a + "\x02" + a + `"`)), false},
			scanCase{fmt.Sprintf("truncated at %d", n), `{"records":[{"RemoteIP":"` + a, false},
			// A byte outside ASCII just past the closing quote is not
			// part of the string.
			scanCase{fmt.Sprintf("non-ASCII after %d", n), env(rec(`"RemoteIP":"` + a + `","X":"é"`)), true},
		)
	}

	// Numbers, in a raw field and a skipped one.
	nums := []struct {
		s  string
		ok bool
	}{
		{`0`, true}, {`-0`, true}, {`1`, true}, {`-1`, true}, {`1.5`, true}, {`-0.0`, true},
		{`1e5`, true}, {`1E+5`, true}, {`1e-5`, true}, {`0.0e0`, true}, {`0e5`, true},
		{`1E400`, true}, {`-1e-400`, true}, {`123456789012345678901234567890`, true},
		{`1.5e99999999999999999999`, true},
		{`01`, false}, {`-01`, false}, {`00`, false}, {`-`, false}, {`1.`, false}, {`1.e5`, false},
		{`1e`, false}, {`1e+`, false}, {`1E-`, false}, {`.5`, false}, {`+1`, false}, {`0x1`, false},
		{`NaN`, false}, {`Infinity`, false}, {`-Infinity`, false}, {`1,5`, false}, {`- 1`, false},
		{`1.5.5`, false}, {`1e5e5`, false},
	}
	for _, n := range nums {
		cs = append(cs,
			scanCase{"number " + n.s + " as ReportId", env(rec(`"ReportId":` + n.s)), n.ok},
			scanCase{"number " + n.s + " skipped", env(rec(`"A":` + n.s + `,"B":[` + n.s + `]`)), n.ok},
			scanCase{"number " + n.s + " at the end", `{"records":[{"A":` + n.s, false},
		)
	}
	return cs
}

// nested returns n arrays, one inside the other.
func nested(n int) string {
	return strings.Repeat("[", n) + strings.Repeat("]", n)
}

// Each case reaches decodeAny's outcome, through the fast path when it
// is meant to take it.
func TestScanCases(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range scanCases() {
		if seen[c.name] {
			t.Fatalf("two cases named %q", c.name)
		}
		seen[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			var d Decoder
			if got := d.scanEnvelope([]byte(c.msg)); got != c.scanned {
				t.Errorf("scanned = %v, want %v", got, c.scanned)
			}
			checkSame(t, []byte(c.msg))
		})
	}
}

// The fast path takes all generated traffic: the fallback is for the
// unusual, not for what the service reads all day.
func TestScanAcceptsGeneratedTraffic(t *testing.T) {
	o := gen.DefaultOptions()
	o.Records = 2000
	var d Decoder
	for i, m := range gen.Generate(o).Messages {
		if !d.scanEnvelope(m) {
			t.Fatalf("message %d declined: %.300s", i, m)
		}
	}
}

// The scanner reads every field wireRecord and properties name: a field
// added to them and not to the scanner fails here, whatever the corpus.
func TestScanReadsEveryField(t *testing.T) {
	tags := func(v any) []string {
		var out []string
		ty := reflect.TypeOf(v)
		for i := range ty.NumField() {
			out = append(out, ty.Field(i).Tag.Get("json"))
		}
		return out
	}
	var props []string
	for _, tag := range tags(properties{}) {
		props = append(props, fmt.Sprintf(`"%s":"%s-value"`, tag, tag))
	}
	var top []string
	for _, tag := range tags(wireRecord{}) {
		if tag == "properties" {
			top = append(top, `"properties":{`+strings.Join(props, ",")+`}`)
			continue
		}
		top = append(top, fmt.Sprintf(`"%s":"%s-value"`, tag, tag))
	}
	msg := []byte(env(recTop(strings.Join(top, ","))))
	var d Decoder
	if !d.scanEnvelope(msg) {
		t.Fatalf("declined %s", msg)
	}
	checkSame(t, msg)
	if got := fmt.Sprintf("%q", d.wires[0]); strings.Count(got, "-value") != len(props)+len(top)-1 {
		t.Errorf("fields read: %s", got)
	}
}

// A message nested deeper than decodeAny can take is refused, not handed
// to it: 2 MB of '[' would overflow the stack and end the process.
func TestDeepNesting(t *testing.T) {
	for _, msg := range []string{
		strings.Repeat("[", 2<<20),
		env(rec(`"A":` + strings.Repeat("[", 2<<20))),
		env(rec(`"A":` + strings.Repeat(`{"a":`, 1<<20))),
		env(rec(`"A":` + nested(maxFallbackDepth))),
	} {
		var d Decoder
		err := d.Decode([]byte(msg), func(*Record) { t.Fatal("a record reached fn") },
			func(*RecordError) { t.Fatal("a record reached bad") })
		var me *MessageError
		if !errors.As(err, &me) || !errors.Is(err, ErrTooDeep) {
			t.Errorf("%.40s...: err = %v, want %v", msg, err, ErrTooDeep)
		}
	}
}

// nestsDeeper counts brackets outside strings only, escaped quotes
// included.
func TestNestsDeeper(t *testing.T) {
	tests := []struct {
		msg   string
		limit int
		want  bool
	}{
		{`[[]]`, 2, false},
		{`[[[]]]`, 2, true},
		{`{"a":[{}]}`, 3, false},
		{`{"a":[{}]}`, 2, true},
		{`["[[[", "\"[[["]`, 1, false},
		{`["\\", [[]]]`, 2, true},
		{`[[]][[]]`, 2, false},
		{`]]]][[[`, 2, true},
	}
	for _, tt := range tests {
		if got := nestsDeeper([]byte(tt.msg), tt.limit); got != tt.want {
			t.Errorf("nestsDeeper(%s, %d) = %v, want %v", tt.msg, tt.limit, got, tt.want)
		}
	}
}

// A record that is not a candidate costs no allocation: the strings of
// the fast path point into the message.
func TestScanZeroAlloc(t *testing.T) {
	msg := []byte(env(fullRec, fullRec, rec(`"RemoteIP":null`), `{}`))
	var d Decoder
	n := 0
	allocs := testing.AllocsPerRun(100, func() {
		n = 0
		if err := d.Decode(msg, func(*Record) { n++ }, func(*RecordError) {}); err != nil {
			t.Fatal(err)
		}
	})
	if n != 4 || allocs != 0 {
		t.Errorf("%d records, %.1f allocations per message; want 4, 0", n, allocs)
	}
}
