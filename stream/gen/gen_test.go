package gen

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

var day0 = time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC)

func TestGenerateIsDeterministic(t *testing.T) {
	tests := []struct {
		name string
		o    Options
	}{
		{"two tenants with traps", testOptions()},
		{"zero options", Options{Seed: 7, Records: 3000}},
		{"one minute", Options{
			Seed: 3, Records: 2000, Start: day0, End: day0.Add(time.Minute), Traps: true,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := Generate(tt.o), Generate(tt.o)
			if !reflect.DeepEqual(a, b) {
				t.Fatal("two runs with the same options differ")
			}
			var ma, mb, pa, pb bytes.Buffer
			for _, w := range []error{
				a.WriteMessages(&ma), b.WriteMessages(&mb), a.WriteProfiles(&pa), b.WriteProfiles(&pb),
			} {
				if w != nil {
					t.Fatal(w)
				}
			}
			if !bytes.Equal(ma.Bytes(), mb.Bytes()) || !bytes.Equal(pa.Bytes(), pb.Bytes()) {
				t.Fatal("written output differs between runs")
			}

			o := tt.o
			o.Seed++
			var mc bytes.Buffer
			if err := Generate(o).WriteMessages(&mc); err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(ma.Bytes(), mc.Bytes()) {
				t.Fatal("a different seed gives the same messages")
			}
		})
	}
}

func TestMessagesHoldRecords(t *testing.T) {
	o := testOptions()
	d, recs := dataset(t, o)
	if len(recs) != d.Records {
		t.Fatalf("parsed %d records, Dataset.Records says %d", len(recs), d.Records)
	}
	perMessage := make([]int, len(d.Messages))
	for _, r := range recs {
		perMessage[r.msg]++
		if !strings.HasPrefix(r.category, "AdvancedHunting-Device") || r.props == nil {
			t.Fatalf("record without category or properties: %+v", r)
		}
		if !slices.Contains(o.Tenants, r.tenant) {
			t.Fatalf("tenantId %q is not one of the options' tenants", r.tenant)
		}
	}
	for i, n := range perMessage[:len(perMessage)-1] {
		if n < o.RecordsPerMessage {
			t.Fatalf("message %d holds %d records, want at least %d", i, n, o.RecordsPerMessage)
		}
	}
}

func TestRecordMix(t *testing.T) {
	_, recs := dataset(t, testOptions())
	count := map[string]int{}
	for _, r := range recs {
		count[strings.TrimPrefix(r.category, "AdvancedHunting-")]++
	}
	tests := []struct {
		tables   []string
		low, top float64 // share of all records, in percent
	}{
		{[]string{"DeviceNetworkEvents"}, 67, 73},
		{[]string{"DeviceFileCertificateInfo"}, 4, 6},
		{[]string{"DeviceProcessEvents", "DeviceFileEvents", "DeviceLogonEvents"}, 22, 28},
		{[]string{"DeviceProcessEvents"}, 1, 100},
		{[]string{"DeviceFileEvents"}, 1, 100},
		{[]string{"DeviceLogonEvents"}, 1, 100},
	}
	for _, tt := range tests {
		n := 0
		for _, table := range tt.tables {
			n += count[table]
		}
		share := 100 * float64(n) / float64(len(recs))
		if share < tt.low || share > tt.top {
			t.Errorf("%v: %.1f%% of records, want %v%% to %v%%", tt.tables, share, tt.low, tt.top)
		}
	}
	if len(count) != 5 {
		t.Errorf("tables %v, want exactly five", count)
	}
}

func TestTimestampsInSpan(t *testing.T) {
	odd := time.Date(2025, 3, 1, 10, 0, 0, 123456789, time.UTC)
	tests := []struct {
		name      string
		o         Options
		allDigits bool // 7, 6 and 0 fractional digits must all occur
	}{
		{"day", testOptions(), true},
		{"odd start", spanOptions(5, 3000, odd, odd.Add(90*time.Minute)), true},
		{"one second", spanOptions(6, 500, odd, odd.Add(time.Second)), false},
		{"month", spanOptions(8, 5000, day0, day0.AddDate(0, 1, 0)), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.o.withDefaults()
			_, recs := dataset(t, tt.o)
			digits := map[int]int{}
			var lastSent time.Time
			for _, r := range recs {
				s := r.str("Timestamp")
				ts, err := time.Parse(time.RFC3339Nano, s)
				if err != nil || !strings.HasSuffix(s, "Z") {
					t.Fatalf("Timestamp %q is not ISO 8601 UTC: %v", s, err)
				}
				if ts.Before(o.Start) || !ts.Before(o.End) {
					t.Fatalf("Timestamp %s outside [%s, %s)", s, o.Start, o.End)
				}
				digits[fractionDigits(s)]++

				sent, err := time.Parse(time.RFC3339Nano, r.time)
				if err != nil || !sent.After(ts) {
					t.Fatalf("envelope time %q is not after Timestamp %s", r.time, s)
				}
				if sent.Before(lastSent) {
					t.Fatalf("envelope time %s goes back from %s", sent, lastSent)
				}
				lastSent = sent
			}
			if digits[7] < len(recs)*7/10 {
				t.Errorf("fractional digits %v: want mostly 7", digits)
			}
			if tt.allDigits && (digits[6] == 0 || digits[0] == 0) {
				t.Errorf("fractional digits %v: want some 6 and some 0", digits)
			}
			if len(digits) > 3 || digits[7]+digits[6]+digits[0] != len(recs) {
				t.Errorf("fractional digits %v: want only 7, 6 or 0", digits)
			}
		})
	}
}

// fractionDigits counts the digits after the decimal point of a stamp.
func fractionDigits(s string) int {
	i := strings.IndexByte(s, '.')
	if i < 0 {
		return 0
	}
	return len(s) - i - 2 // less the dot and the Z
}

func TestPlantedPositives(t *testing.T) {
	d, recs := dataset(t, testOptions())
	if len(d.Planted) != 3+2 || len(d.LocalizedSystem) != 1 || len(d.IPv6Only) != 1 {
		t.Fatalf("planted %d, localized %d, IPv6-only %d: want 5, 1, 1",
			len(d.Planted), len(d.LocalizedSystem), len(d.IPv6Only))
	}
	for _, h := range d.Planted {
		devices := map[string]bool{}
		beacons := 0
		for i := range recs {
			r := &recs[i]
			if r.category == certCategory && r.str("SHA1") == h {
				t.Errorf("%s: planted hash has a certificate row", h)
			}
			if r.category != networkCategory || r.str("InitiatingProcessSHA1") != h {
				continue
			}
			if r.str("InitiatingProcessAccountSid") == sidSystem && isCloudflare(r.str("RemoteIP")) {
				beacons++
				devices[r.str("DeviceId")] = true
			}
			folder := r.str("InitiatingProcessFolderPath")
			odd := strings.HasPrefix(folder, `c:\programdata\`) ||
				strings.HasPrefix(folder, `c:\windows\temp\`)
			if !odd {
				t.Errorf("%s: runs from %s, want an odd folder", h, folder)
			}
		}
		if beacons < 4 || len(devices) < 1 || len(devices) > 5 {
			t.Errorf("%s: %d System-to-Cloudflare events on %d devices", h, beacons, len(devices))
		}
		p := d.Profiles[h]
		if p.SignatureState != "Unsigned" || p.GlobalPrevalence < 1 || p.GlobalPrevalence > 40 {
			t.Errorf("%s: profile %+v, want Unsigned and prevalence 1 to 40", h, p)
		}
	}
}

func TestProfilesCoverInitiatingHashes(t *testing.T) {
	d, recs := dataset(t, testOptions())
	seen := map[string]bool{}
	for i := range recs {
		if h := recs[i].str("InitiatingProcessSHA1"); h != "" {
			seen[h] = true
			if _, ok := d.Profiles[h]; !ok {
				t.Fatalf("no profile for InitiatingProcessSHA1 %s", h)
			}
		}
	}
	for h, p := range d.Profiles {
		switch {
		case !seen[h]:
			t.Errorf("profile for %s, which never initiates a process", h)
		case p.SHA1 != h || len(p.SHA256) != 64:
			t.Errorf("profile %+v: hashes do not fit", p)
		case p.SignatureState != "Signed" && p.SignatureState != "Unsigned":
			t.Errorf("profile %+v: SignatureState", p)
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	for _, n := range []int{10000, 100000} {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			var size int64
			for b.Loop() {
				d := Generate(Options{Seed: 1, Records: n, Traps: true})
				size = 0
				for _, m := range d.Messages {
					size += int64(len(m))
				}
			}
			b.SetBytes(size)
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
