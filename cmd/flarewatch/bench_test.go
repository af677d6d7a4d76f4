package main

import (
	"context"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// bench on the embedded backends, as it streams and on a backlog: every
// planted positive alerts, and the report's measures are filled in. With
// rule.cert_grace 0 the trap whose certificate row comes minutes after its
// connections alerts too, and no other hash may.
func TestBenchEmbedded(t *testing.T) {
	for _, preload := range []bool{false, true} {
		out := captureStdout(t, func() {
			c := &benchCmd{Embedded: true, Records: 4000, Positives: 4, Rate: 20000, Preload: preload,
				Partitions: 3, Seed: 2, Duration: time.Minute, Timeout: time.Minute}
			if err := c.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
		})
		m := regexp.MustCompile(`planted positives alerted \| (\d+) of the (\d+) produced \((\d+) planted\); ` +
			`(\d+) create alerts for other hashes`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("preload %t: no alert line in\n%s", preload, out)
		}
		if others, _ := strconv.Atoi(m[4]); m[1] != m[3] || m[2] != m[3] || m[1] == "0" || others > 1 {
			t.Errorf("preload %t: %s", preload, m[0])
		}
		cmds := regexp.MustCompile(`Redis commands per record \| \*\*([0-9.]+)\*\*`).FindStringSubmatch(out)
		if cmds == nil {
			t.Fatalf("preload %t: no command line in\n%s", preload, out)
		}
		if v, _ := strconv.ParseFloat(cmds[1], 64); v <= 0 || v >= 0.2 {
			t.Errorf("preload %t: %s Redis commands per record", preload, cmds[1])
		}
		latency := regexp.MustCompile(`produce to alert, p50 / p99 / max \| \*\*\d`).MatchString(out)
		if latency == preload {
			t.Errorf("preload %t: latency measured %t\n%s", preload, latency, out)
		}
	}
}
