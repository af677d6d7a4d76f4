//go:build !faults

package faults

import (
	"testing"
	"time"
)

// TestShortKill9Poison is the short version of the fault suite, run by
// `make test`: one process of three is killed with SIGKILL mid-stream and
// started again once the group has rebalanced without it, while poison
// messages sit at random offsets. Every planted
// hash alerts with its exact Count and Devices, every poison message is in
// the dead-letter topic, and every good record around them counts.
func TestShortKill9Poison(t *testing.T) {
	runScenario(t, scenario{
		name: "kill -9 + poison (short)", seed: 101, records: 10000, pace: 8 * time.Second,
		poison: poisonKinds, redis: redisStandalone, settle: 2 * time.Minute,
		fault: killAndRejoin(0.3),
	})
}
