// Package faults is flarewatch's fault suite. It builds the flarewatch
// binary, runs three `flarewatch run` processes in one consumer group on the
// real Kafka and Redis of deploy/testenv, feeds them generated traffic with a
// known answer (stream/gen), injects a fault while they consume, and checks
// what they published and stored against that answer: no alert lost, no
// count wrong, nothing doubled but for repeats with the same alert id.
//
// The faults: kill -9 of a process, a rolling SIGTERM restart, Redis stopped
// for 20 seconds, the Kafka broker restarted, poison messages, a rebalance
// storm, Redis Cluster, and a flood of distinct hashes.
//
// The short version (kill -9 with poison messages) runs in `make test`. The
// full suite needs the build tag faults and runs with `make faults`. Each
// scenario adds a row to the table printed at the end; README.md states the
// delivery guarantees and what backs each one.
package faults
