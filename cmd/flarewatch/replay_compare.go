package main

import (
	"fmt"
	"io"
	"sort"

	"github.com/flarewatch/flarewatch/sinks"
)

// writeComparison prints the hashes that alert under one configuration and
// not the other.
func writeComparison(w io.Writer, a, b *replayResult) {
	left, right := alertedHashes(a.alerts), alertedHashes(b.alerts)
	var lost, gained []string
	for h := range left {
		if !right[h] {
			lost = append(lost, h)
		}
	}
	for h := range right {
		if !left[h] {
			gained = append(gained, h)
		}
	}
	sort.Strings(lost)
	sort.Strings(gained)
	fmt.Fprintf(w, "alerted hashes: %d with the configuration, %d with the comparison\n", len(left), len(right))
	for _, h := range gained {
		fmt.Fprintf(w, "+ %s\n", h)
	}
	for _, h := range lost {
		fmt.Fprintf(w, "- %s\n", h)
	}
}

func alertedHashes(alerts []sinks.Alert) map[string]bool {
	out := map[string]bool{}
	for _, a := range alerts {
		if a.Activity == sinks.ActivityCreate {
			out[a.SHA1] = true
		}
	}
	return out
}

func sortStrings(s []string) { sort.Strings(s) }
