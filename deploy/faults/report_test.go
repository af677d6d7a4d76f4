package faults

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"
)

// row is one scenario's line in the table.
type row struct {
	scenario    string
	recordsIn   int // MDE records produced, duplicates included
	expected    int // hashes that must alert
	alertsOut   int // create documents on the alert topic
	dupCreates  int // creates beyond the first, per hash
	lost        int // expected hashes without a create
	mismatches  int // expected hashes whose Count or Devices are wrong
	unexpected  int // creates for hashes that must not stay alerted
	deadLetters int // distinct source coordinates dead-lettered
	poison      int // poison messages produced
	peakRSSKiB  int64
	took        time.Duration
	passed      bool
	notes       []string
}

var table struct {
	sync.Mutex
	rows []row
}

func addRow(r row) {
	table.Lock()
	defer table.Unlock()
	table.rows = append(table.rows, r)
}

// printTable writes the rows gathered so far, with the notes below.
func printTable(w io.Writer) {
	table.Lock()
	defer table.Unlock()
	if len(table.rows) == 0 {
		return
	}
	fmt.Fprintln(w, "\nflarewatch fault suite")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\trecords in\talerts expected\talerts out\tduplicate creates\t"+
		"lost alerts\tCount mismatches\tunexpected\tdead letters\tpeak RSS\ttime\tresult\t")
	for _, r := range table.rows {
		result := "ok"
		if !r.passed {
			result = "FAIL"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d/%d\t%.0f MiB\t%.0fs\t%s\t\n",
			r.scenario, r.recordsIn, r.expected, r.alertsOut, r.dupCreates, r.lost,
			r.mismatches, r.unexpected, r.deadLetters, r.poison,
			float64(r.peakRSSKiB)/1024, r.took.Seconds(), result)
	}
	_ = tw.Flush()
	for _, r := range table.rows {
		if len(r.notes) > 0 {
			fmt.Fprintf(w, "  %s: %s\n", r.scenario, strings.Join(r.notes, "; "))
		}
	}
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "flarewatch-faults-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "faults:", err)
		os.Exit(2)
	}
	workDir = dir
	code := m.Run()
	printTable(os.Stdout)
	_ = os.RemoveAll(dir)
	os.Exit(code)
}
