package stream

// Benchmarks of the per-record path, side by side on one generated corpus:
//
//	go test -run '^$' -bench 'Decode|ScanLimit' -benchmem ./stream/
//
// DecodeFilter is the production path from message bytes to the rule's
// verdict: Pipeline.collect itself, everything a worker does before its
// first Redis call. DecodeStdlib is the naive baseline, every column decoded
// by encoding/json. ScanLimit is one JSON-aware pass that only finds the
// records, the most any decoder could hope for. docs/benchmarks.md has the
// numbers. The file is in package stream, not stream_test, to run collect
// rather than a copy of it that could drift.

import (
	"bytes"
	"context"
	"encoding/json"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/flarewatch/flarewatch/config"
	"github.com/flarewatch/flarewatch/stream/enrich"
	"github.com/flarewatch/flarewatch/stream/gen"
	"github.com/flarewatch/flarewatch/stream/mde"
	"github.com/flarewatch/flarewatch/stream/rule"
)

// The corpus: about 34 MB in 400 messages of 50 records, 1.7 KB a record,
// with the generator's planted positives, traps and re-sent duplicates.
const (
	benchRecords = 20000
	benchSeed    = 1
)

// benchData is the generated traffic as the consumer hands it to a worker.
type benchData struct {
	msgs    []*kgo.Record
	records int // records in all messages, re-sent duplicates included
	bytes   int64
}

var benchCorpus = sync.OnceValue(func() benchData {
	o := gen.DefaultOptions()
	o.Seed, o.Records = benchSeed, benchRecords
	d := gen.Generate(o)
	c := benchData{records: d.Records}
	for i, m := range d.Messages {
		c.msgs = append(c.msgs, &kgo.Record{Topic: "mde-events", Offset: int64(i), Value: m})
		c.bytes += int64(len(m))
	}
	return c
})

// benchPipeline returns a pipeline with what collect uses and nothing else:
// the default rule on the bundled ranges, a live clock, no Redis, no sinks.
// Its counters go to an OpenTelemetry SDK, as in the service (run installs
// one through stream/telemetry), which does its aggregation on every Add.
func benchPipeline() *Pipeline {
	r := rule.New(rule.Default, config.BundledCloudflare())
	clock := NewClock(5*time.Minute, 0, false)
	p := New(r, nil, clock, nil, nil, enrich.None{}, DefaultOptions())
	meters := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	p.Metrics = NewMetrics(meters.Meter("github.com/flarewatch/flarewatch/stream"))
	return p
}

// benchPasses runs pass over the corpus until the benchmark has its time,
// and reports records/s, ns/record and allocs/record beside the MB/s that
// SetBytes gives.
func benchPasses(b *testing.B, pass func(c benchData)) {
	c := benchCorpus()
	b.SetBytes(c.bytes)
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	passes := 0
	for b.Loop() {
		pass(c)
		passes++
	}
	runtime.ReadMemStats(&after)
	n := float64(c.records * passes)
	b.ReportMetric(n/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/record")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/n, "allocs/record")
}

// BenchmarkDecodeFilter runs the production path over the corpus: decode,
// rule and event time for every record, and for the few candidates and
// certificate rows, what the batch hands to the state.
func BenchmarkDecodeFilter(b *testing.B) {
	p := benchPipeline()
	ctx := context.Background()
	var dec mde.Decoder
	var bt batch
	benchPasses(b, func(c benchData) {
		bt.certs, bt.events, bt.letters = bt.certs[:0], bt.events[:0], bt.letters[:0]
		for _, m := range c.msgs {
			p.collect(ctx, &dec, m, &bt)
		}
	})
}

// BenchmarkDecodeStdlib decodes every documented column with encoding/json,
// then reaches the same verdicts.
func BenchmarkDecodeStdlib(b *testing.B) {
	p := benchPipeline()
	benchPasses(b, func(c benchData) {
		for _, m := range c.msgs {
			if _, err := stdlibVerdicts(p, m.Value); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkScanLimit finds the records of every message and nothing else.
func BenchmarkScanLimit(b *testing.B) {
	n, want := 0, 0
	benchPasses(b, func(c benchData) {
		for _, m := range c.msgs {
			n += scanEnvelope(m.Value, func([]byte) {})
		}
		want += c.records
	})
	if n != want {
		b.Fatalf("scanned %d records, want %d", n, want)
	}
}

// scanEnvelope calls fn with the bytes of each record of an envelope
// {"records":[...]} and returns how many it found. It is a two-state
// machine, in a string or not, that respects escapes and checks nothing
// else: a record is an object directly inside an array directly inside the
// top-level object.
func scanEnvelope(msg []byte, fn func([]byte)) int {
	n, depth, start := 0, 0, 0
	for i := 0; i < len(msg); i++ {
		switch msg[i] {
		case '"':
			// Skip the string; a backslash escapes the byte after it.
			for i++; i < len(msg) && msg[i] != '"'; i++ {
				if msg[i] == '\\' {
					i++
				}
			}
		case '{', '[':
			depth++
			if depth == 3 && msg[i] == '{' {
				start = i
			}
		case '}', ']':
			if depth == 3 && msg[i] == '}' {
				fn(msg[start : i+1])
				n++
			}
			depth--
		}
	}
	return n
}

// stdlibEnvelope is a streaming-API message decoded the naive way.
type stdlibEnvelope struct {
	Records []stdlibRecord `json:"records"`
}

type stdlibRecord struct {
	Time          time.Time        `json:"time"`
	TenantID      string           `json:"tenantId"`
	OperationName string           `json:"operationName"`
	Category      string           `json:"category"`
	Properties    stdlibProperties `json:"properties"`
	Tenant        string           `json:"Tenant"`
}

// stdlibProperties holds every documented column of DeviceNetworkEvents and
// DeviceFileCertificateInfo. Timestamp stays text so that it is parsed as
// the pipeline parses it; AdditionalFields is a string or an object.
type stdlibProperties struct {
	Timestamp    string      `json:"Timestamp"`
	DeviceID     string      `json:"DeviceId"`
	DeviceName   string      `json:"DeviceName"`
	ReportID     json.Number `json:"ReportId"`
	MachineGroup string      `json:"MachineGroup"`
	ActionType   string      `json:"ActionType"`
	SHA1         string      `json:"SHA1"`
	stdlibNetwork
	stdlibCertificate
}

type stdlibNetwork struct {
	RemoteIP                         string          `json:"RemoteIP"`
	RemotePort                       *int            `json:"RemotePort"`
	RemoteURL                        string          `json:"RemoteUrl"`
	LocalIP                          string          `json:"LocalIP"`
	LocalPort                        *int            `json:"LocalPort"`
	Protocol                         string          `json:"Protocol"`
	LocalIPType                      string          `json:"LocalIPType"`
	RemoteIPType                     string          `json:"RemoteIPType"`
	ProcessSHA1                      string          `json:"InitiatingProcessSHA1"`
	ProcessSHA256                    string          `json:"InitiatingProcessSHA256"`
	ProcessMD5                       string          `json:"InitiatingProcessMD5"`
	ProcessFileName                  string          `json:"InitiatingProcessFileName"`
	ProcessFileSize                  *int64          `json:"InitiatingProcessFileSize"`
	ProcessCompanyName               string          `json:"InitiatingProcessVersionInfoCompanyName"`
	ProcessProductName               string          `json:"InitiatingProcessVersionInfoProductName"`
	ProcessProductVersion            string          `json:"InitiatingProcessVersionInfoProductVersion"`
	ProcessInternalFileName          string          `json:"InitiatingProcessVersionInfoInternalFileName"`
	ProcessOriginalFileName          string          `json:"InitiatingProcessVersionInfoOriginalFileName"`
	ProcessFileDescription           string          `json:"InitiatingProcessVersionInfoFileDescription"`
	ProcessID                        int64           `json:"InitiatingProcessId"`
	ProcessCommandLine               string          `json:"InitiatingProcessCommandLine"`
	ProcessCreationTime              *time.Time      `json:"InitiatingProcessCreationTime"`
	ProcessFolderPath                string          `json:"InitiatingProcessFolderPath"`
	ProcessParentFileName            string          `json:"InitiatingProcessParentFileName"`
	ProcessParentID                  int64           `json:"InitiatingProcessParentId"`
	ProcessParentCreationTime        *time.Time      `json:"InitiatingProcessParentCreationTime"`
	ProcessAccountDomain             string          `json:"InitiatingProcessAccountDomain"`
	ProcessAccountName               string          `json:"InitiatingProcessAccountName"`
	ProcessAccountSid                string          `json:"InitiatingProcessAccountSid"`
	ProcessAccountUpn                string          `json:"InitiatingProcessAccountUpn"`
	ProcessAccountObjectID           string          `json:"InitiatingProcessAccountObjectId"`
	ProcessIntegrityLevel            string          `json:"InitiatingProcessIntegrityLevel"`
	ProcessTokenElevation            string          `json:"InitiatingProcessTokenElevation"`
	ProcessSessionID                 *int64          `json:"InitiatingProcessSessionId"`
	IsInitiatingProcessRemoteSession bool            `json:"IsInitiatingProcessRemoteSession"`
	ProcessRemoteSessionDeviceName   string          `json:"InitiatingProcessRemoteSessionDeviceName"`
	ProcessRemoteSessionIP           string          `json:"InitiatingProcessRemoteSessionIP"`
	ProcessUniqueID                  string          `json:"InitiatingProcessUniqueId"`
	AppGuardContainerID              string          `json:"AppGuardContainerId"`
	AdditionalFields                 json.RawMessage `json:"AdditionalFields"`
}

type stdlibCertificate struct {
	IsSigned                        bool       `json:"IsSigned"`
	SignatureType                   string     `json:"SignatureType"`
	Signer                          string     `json:"Signer"`
	SignerHash                      string     `json:"SignerHash"`
	Issuer                          string     `json:"Issuer"`
	IssuerHash                      string     `json:"IssuerHash"`
	CertificateSerialNumber         string     `json:"CertificateSerialNumber"`
	CrlDistributionPointUrls        string     `json:"CrlDistributionPointUrls"`
	CertificateCreationTime         *time.Time `json:"CertificateCreationTime"`
	CertificateExpirationTime       *time.Time `json:"CertificateExpirationTime"`
	CertificateCountersignatureTime *time.Time `json:"CertificateCountersignatureTime"`
	IsTrusted                       bool       `json:"IsTrusted"`
	IsRootSignerMicrosoft           bool       `json:"IsRootSignerMicrosoft"`
}

// benchTally is what a pass over messages amounts to, so that the two
// decoders can be shown to agree.
type benchTally struct {
	records, candidates, certs, letters int
}

// stdlibVerdicts decodes msg with encoding/json, runs the rule on each
// network event and parses the event time of each network event and
// certificate row, as collect does.
func stdlibVerdicts(p *Pipeline, msg []byte) (benchTally, error) {
	var env stdlibEnvelope
	if err := json.Unmarshal(msg, &env); err != nil {
		return benchTally{}, err
	}
	var t benchTally
	for i := range env.Records {
		r := &env.Records[i]
		t.records++
		switch r.Category {
		case "AdvancedHunting-DeviceNetworkEvents":
			stdlibNetworkVerdict(p, &r.Properties, &t)
		case "AdvancedHunting-DeviceFileCertificateInfo":
			ts, err := time.Parse(time.RFC3339Nano, r.Properties.Timestamp)
			if err != nil {
				t.letters++
				continue
			}
			p.Clock.Observe(ts)
			if rule.IsSHA1(r.Properties.SHA1) {
				t.certs++
			}
		}
	}
	return t, nil
}

func stdlibNetworkVerdict(p *Pipeline, pr *stdlibProperties, t *benchTally) {
	_, verdict := p.Rule.Check(&mde.Record{
		Category: mde.NetworkEvents, AccountName: pr.ProcessAccountName,
		AccountSID: pr.ProcessAccountSid, RemoteIP: pr.RemoteIP, ProcessSHA1: pr.ProcessSHA1,
	})
	ts, err := time.Parse(time.RFC3339Nano, pr.Timestamp)
	if err == nil {
		p.Clock.Observe(ts)
	}
	switch {
	case verdict != rule.Candidate:
	case err != nil:
		t.letters++
	default:
		t.candidates++
	}
}

// The scanner finds, message by message, the records the decoder finds.
func TestScanFindsEveryRecord(t *testing.T) {
	var dec mde.Decoder
	for _, m := range benchCorpus().msgs {
		decoded := 0
		err := dec.Decode(m.Value, func(*mde.Record) { decoded++ }, func(e *mde.RecordError) {
			t.Fatalf("message %d: %v", m.Offset, e)
		})
		if err != nil {
			t.Fatalf("message %d: %v", m.Offset, err)
		}
		if n := scanEnvelope(m.Value, func([]byte) {}); n != decoded {
			t.Fatalf("message %d: scanned %d records, decoded %d", m.Offset, n, decoded)
		}
	}
}

// The scanner is not fooled by brackets, quotes and backslashes in strings.
func TestScanEscapes(t *testing.T) {
	msg := []byte(`{"records":[{"a":"}\"{[","b":{"c":[1,{"d":"\\"}]}},{"e":"\\\""},{}]}`)
	want := []string{`{"a":"}\"{[","b":{"c":[1,{"d":"\\"}]}}`, `{"e":"\\\""}`, `{}`}
	var got []string
	n := scanEnvelope(msg, func(r []byte) { got = append(got, string(r)) })
	if n != len(want) || len(got) != len(want) {
		t.Fatalf("got %d records %q, want %q", n, got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("record %d = %s, want %s", i, got[i], want[i])
		}
	}
}

// The naive baseline reaches the production path's verdicts, message by
// message: the benchmarks compare equal work.
func TestStdlibSameVerdicts(t *testing.T) {
	p, q := benchPipeline(), benchPipeline()
	var dec mde.Decoder
	ctx := context.Background()
	total := benchTally{}
	for _, m := range benchCorpus().msgs {
		var bt batch
		p.collect(ctx, &dec, m, &bt)
		got, err := stdlibVerdicts(q, m.Value)
		if err != nil {
			t.Fatalf("message %d: %v", m.Offset, err)
		}
		want := benchTally{records: got.records, candidates: len(bt.events),
			certs: len(bt.certs), letters: len(bt.letters)}
		if got != want {
			t.Fatalf("message %d: stdlib %+v, collect %+v", m.Offset, got, want)
		}
		total.candidates += got.candidates
	}
	if total.candidates == 0 {
		t.Fatal("the corpus has no candidate")
	}
}

// TestNonCandidateZeroAlloc checks that a record the rule drops costs no
// allocation from its bytes to its verdict: decode, rule, event time. A
// message of the corpus's non-candidates (network events and other tables)
// goes through a Decoder that has grown to it in a first run.
func TestNonCandidateZeroAlloc(t *testing.T) {
	p := benchPipeline()
	msg, n := nonCandidates(t, p.Rule)
	var dec mde.Decoder
	dropped := 0
	allocs := testing.AllocsPerRun(50, func() {
		dropped = 0
		err := dec.Decode(msg, func(r *mde.Record) {
			if r.Category != mde.NetworkEvents {
				dropped++
				return
			}
			if _, v := p.Rule.Check(r); v != rule.Candidate {
				dropped++
			}
			if ts, err := r.Time(); err == nil {
				p.Clock.Observe(ts)
			}
		}, func(e *mde.RecordError) { t.Fatal(e) })
		if err != nil {
			t.Fatal(err)
		}
	})
	if dropped != n {
		t.Fatalf("%d of %d records dropped", dropped, n)
	}
	if allocs != 0 {
		t.Errorf("%.0f allocations per message of %d non-candidates (%.3f a record), want 0",
			allocs, n, allocs/float64(n))
	}
}

// nonCandidates returns one envelope of the first 200 records of the corpus
// that are neither candidates nor certificate rows, and their count.
func nonCandidates(t *testing.T, r *rule.Rule) ([]byte, int) {
	t.Helper()
	var dec mde.Decoder
	var out bytes.Buffer
	out.WriteString(`{"records":[`)
	n := 0
	for _, m := range benchCorpus().msgs {
		err := dec.Decode(m.Value, func(rec *mde.Record) {
			if n == 200 || rec.Category == mde.CertificateInfo {
				return
			}
			if _, v := r.Check(rec); rec.Category == mde.NetworkEvents && v == rule.Candidate {
				return
			}
			if n > 0 {
				out.WriteByte(',')
			}
			out.Write(rec.Raw)
			n++
		}, func(e *mde.RecordError) { t.Fatal(e) })
		if err != nil {
			t.Fatal(err)
		}
	}
	out.WriteString(`]}`)
	return out.Bytes(), n
}
