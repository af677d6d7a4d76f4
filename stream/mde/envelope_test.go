package mde

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/flarewatch/flarewatch/stream/gen"
)

// outcome renders everything Decode hands out for msg, through decode.
func outcome(msg []byte, decode func([]byte, func(*Record), func(*RecordError)) error) string {
	var b strings.Builder
	err := decode(msg, func(r *Record) {
		fmt.Fprintf(&b, "%d %v %q %s %q %s %q %q %q %q %q %q %q %+v\n", r.Index, r.Category, r.TenantID,
			r.Timestamp, r.DeviceID, r.ReportID, r.AccountName, r.AccountSID, r.RemoteIP,
			r.ProcessSHA1, r.SHA1, r.Raw, r.props, r.Detail())
	}, func(e *RecordError) { fmt.Fprintf(&b, "bad %v %q\n", e, e.Raw) })
	fmt.Fprintf(&b, "err %v", err)
	return b.String()
}

// checkSame fails when Decode and the general path disagree on msg. A
// message nested too deep for the general path is Decode's alone to refuse.
func checkSame(t *testing.T, msg []byte) {
	t.Helper()
	var fast, general Decoder
	got := outcome(msg, fast.Decode)
	if nestsDeeper(msg, maxFallbackDepth) {
		if want := "err " + (&MessageError{Err: ErrTooDeep}).Error(); got != want {
			t.Fatalf("%.200q:\nDecode     %.400s\nwant       %s", msg, got, want)
		}
		return
	}
	want := outcome(msg, general.decodeAny)
	if got != want {
		t.Fatalf("%.200q:\nDecode     %.400s\ndecodeAny  %.400s", msg, got, want)
	}
}

// The envelope path reaches the general path's outcome on generated
// traffic, and on the same traffic truncated, with a byte deleted, or with
// a byte replaced by one that matters to JSON.
func TestEnvelopeSameOutcome(t *testing.T) {
	o := gen.DefaultOptions()
	o.Records = 1000
	msgs := gen.Generate(o).Messages
	rng := rand.New(rand.NewPCG(1, 2))
	subs := []byte("\"\\{}[],: \t1nx\x01\xff")
	for _, m := range msgs {
		checkSame(t, m)
		for k := range 30 {
			b := append([]byte(nil), m...)
			i := rng.IntN(len(b))
			switch k % 3 {
			case 0:
				b = b[:i]
			case 1:
				b = append(b[:i], b[i+1:]...)
			case 2:
				b[i] = subs[rng.IntN(len(subs))]
			}
			checkSame(t, b)
		}
	}
}

func FuzzDecodeEnvelope(f *testing.F) {
	msg, err := os.ReadFile("../testdata/synthetic-eventhub-message.json")
	if err != nil {
		f.Fatal(err)
	}
	rec := `{"category":"AdvancedHunting-DeviceNetworkEvents","properties":{"RemoteIP":"1.2.3.4"}}`
	for _, s := range []string{string(msg), `{"records":[]}`, ` { "records" : [ ` + rec + ` , ` + rec + ` ] } `,
		`{"records":[1,` + rec + `]}`, `{"records":[` + rec + `]}x`, `{"records":[{"a":"\\\"}"}]}`} {
		f.Add([]byte(s))
	}
	for _, c := range scanCases() {
		if len(c.msg) < 1<<16 {
			f.Add([]byte(c.msg))
		}
	}
	f.Fuzz(checkSame)
}
