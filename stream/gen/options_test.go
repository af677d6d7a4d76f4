package gen

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"slices"
	"strings"
	"testing"
)

func TestOptionsDefaults(t *testing.T) {
	tests := []struct {
		name            string
		o               Options
		planted, traps  int
		duplicates      bool
		positives, devs int
	}{
		{"default options", DefaultOptions(), 5, 7, true, 3, 200},
		{"zero options: no traps", Options{Records: 2000}, 3, 0, false, 3, 200},
		{"no positives, traps", Options{
			Records: 2000, Positives: -1, Traps: true, Devices: 3,
		}, 0, 7, true, 0, 3},
		{"one positive", Options{Records: 2000, Positives: 1, Traps: true}, 3, 7, true, 1, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Generate(tt.o)
			o := tt.o.withDefaults()
			if o.Positives != tt.positives || o.Devices != tt.devs || o.RecordsPerMessage != 50 {
				t.Errorf("defaults %+v", o)
			}
			kinds := map[TrapKind]bool{}
			for _, tr := range d.Traps {
				kinds[tr.Kind] = true
			}
			if len(d.Planted) != tt.planted || len(kinds) != tt.traps {
				t.Errorf("planted %d, trap kinds %d: want %d, %d",
					len(d.Planted), len(kinds), tt.planted, tt.traps)
			}
			if (d.Duplicates > 0) != tt.duplicates {
				t.Errorf("%d duplicates", d.Duplicates)
			}
		})
	}
}

func TestWriters(t *testing.T) {
	d := Generate(Options{Seed: 9, Records: 3000, Traps: true})
	var msgs, profiles bytes.Buffer
	if err := d.WriteMessages(&msgs); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&msgs)
	sc.Buffer(nil, 1<<24)
	n := 0
	for ; sc.Scan(); n++ {
		if !bytes.Equal(sc.Bytes(), d.Messages[n]) {
			t.Fatalf("line %d is not message %d", n, n)
		}
	}
	if n != len(d.Messages) {
		t.Fatalf("%d lines for %d messages", n, len(d.Messages))
	}

	if err := d.WriteProfiles(&profiles); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&profiles).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rows[0], []string{"SHA1", "SHA256", "SignatureState", "GlobalPrevalence"}) {
		t.Fatalf("header %v", rows[0])
	}
	if len(rows)-1 != len(d.Profiles) || !slices.IsSortedFunc(rows[1:], func(a, b []string) int {
		return strings.Compare(a[0], b[0])
	}) {
		t.Fatalf("%d rows for %d profiles, or not ordered by SHA1", len(rows)-1, len(d.Profiles))
	}
}
