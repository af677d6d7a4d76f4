package faults

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// produceTick is how often the paced producer sends a chunk.
const produceTick = 50 * time.Millisecond

// produce sends the traffic in the background, spread evenly over pace,
// message i to partition i mod partitions, and records where each poison
// message landed. waitProduced returns its outcome.
func (e *env) produce(pace time.Duration) {
	go func() { e.produced <- e.produceAll(pace) }()
}

func (e *env) produceAll(pace time.Duration) error {
	msgs := e.tr.msgs
	per := max(1, len(msgs)*int(produceTick)/max(int(pace), 1))
	tick := time.NewTicker(produceTick)
	defer tick.Stop()
	for i := 0; i < len(msgs); i += per {
		chunk := msgs[i:min(i+per, len(msgs))]
		recs := make([]*kgo.Record, len(chunk))
		index := map[*kgo.Record]int{}
		for j, m := range chunk {
			recs[j] = &kgo.Record{Topic: e.input, Partition: int32((i + j) % partitions), Value: m.value}
			index[recs[j]] = j
		}
		// Long enough to outlast a broker restart.
		c, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		res := e.cl.ProduceSync(c, recs...)
		cancel()
		if err := res.FirstErr(); err != nil {
			return fmt.Errorf("produce input: %w", err)
		}
		e.mu.Lock()
		for _, r := range res {
			if m := chunk[index[r.Record]]; m.poison != "" {
				e.poisonAt[coord{r.Record.Partition, r.Record.Offset}] = m
			}
		}
		e.mu.Unlock()
		<-tick.C
	}
	return nil
}

// waitProduced waits for the producer to finish.
func (e *env) waitProduced(timeout time.Duration) error {
	select {
	case err := <-e.produced:
		e.produced <- err
		return err
	case <-time.After(timeout):
		return errors.New("input not produced in time")
	}
}

// committed returns the group's committed offset of each input partition.
func (e *env) committed() (map[int32]int64, error) {
	c, cancel := opCtx()
	defer cancel()
	resp, err := e.adm.FetchOffsets(c, e.group)
	if err != nil {
		return nil, err
	}
	out := map[int32]int64{}
	resp.Each(func(o kadm.OffsetResponse) {
		if o.Topic == e.input && o.Err == nil {
			out[o.Partition] = o.At
		}
	})
	return out, nil
}

// waitCommitted waits until the group has committed frac of the input's
// messages: the point at which a fault hits "mid-stream".
func (e *env) waitCommitted(frac float64, timeout time.Duration) int {
	want := int64(frac * float64(len(e.tr.msgs)))
	var got int64
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		offs, err := e.committed()
		got = 0
		for _, o := range offs {
			got += o
		}
		if err == nil && got >= want {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got < want {
		e.fail("only %d of %d messages committed after %s", got, len(e.tr.msgs), timeout)
	}
	return int(100 * got / int64(len(e.tr.msgs)))
}

// waitMembers waits until the group is stable with n members.
func (e *env) waitMembers(n int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		c, cancel := opCtx()
		groups, err := e.adm.DescribeGroups(c, e.group)
		cancel()
		if g, ok := groups[e.group]; err == nil && ok && g.State == "Stable" && len(g.Members) == n {
			return true
		}
		time.Sleep(200 * time.Millisecond)
	}
	return false
}

// endOffset returns the sum of the end offsets of topic's partitions.
func (e *env) endOffset(topic string) (int64, error) {
	c, cancel := opCtx()
	defer cancel()
	ends, err := e.adm.ListEndOffsets(c, topic)
	if err != nil {
		return 0, err
	}
	if err := ends.Error(); err != nil {
		return 0, err
	}
	var n int64
	ends.Each(func(o kadm.ListedOffset) { n += o.Offset })
	return n, nil
}

// readAll reads topic from its start to its current end.
func (e *env) readAll(topic string) ([]*kgo.Record, error) {
	c, cancel := opCtx()
	defer cancel()
	ends, err := e.adm.ListEndOffsets(c, topic)
	if err != nil {
		return nil, err
	}
	parts := map[int32]kgo.Offset{}
	left := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset > 0 {
			parts[o.Partition] = kgo.NewOffset().AtStart()
			left[o.Partition] = o.Offset
		}
	})
	if len(parts) == 0 {
		return nil, nil
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.brokers...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: parts}))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	var out []*kgo.Record
	for len(left) > 0 {
		fs := cl.PollFetches(c)
		if err := c.Err(); err != nil {
			return nil, fmt.Errorf("read %s: %w", topic, err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			if end, ok := left[r.Partition]; ok && r.Offset < end {
				out = append(out, r)
				if r.Offset+1 >= end {
					delete(left, r.Partition)
				}
			}
		})
	}
	return out, nil
}

// quietFor is how long the alert and dead-letter topics must not grow
// before a scenario counts as settled.
const quietFor = 3 * time.Second

// stallAfter is how long the group may sit stable and idle with input
// consumed but not committed before settle calls it a commit stall.
const stallAfter = 5 * time.Second

// keepAlive is the message settle sends to a stalled partition: an
// envelope without records, as an idle live stream would carry, which
// needs no Redis and gives the owner something to commit past.
var keepAlive = []byte(`{"records":[]}`)

// settle waits until the producer is done, the group has committed the
// whole input, no hash waits in the pending set, and the alert and
// dead-letter topics have been quiet for quietFor.
//
// A consumer commits only after processing a poll, so a commit that failed
// (franz-go holds commits back for a whole join and sync, which a dead
// member stretches to its session timeout) is never retried on a partition
// that gets no new input. When the group is stable and idle and the lag
// stays, settle records that commit stall, as a failure when strict and a
// note otherwise, and sends keepAlive messages to the lagging partitions.
func (e *env) settle(timeout time.Duration, strict bool) error {
	if err := e.waitProduced(timeout); err != nil {
		return err
	}
	e.logf("input produced: %d messages", len(e.tr.msgs))
	deadline := time.Now().Add(timeout)
	var out [2]int64
	var lag int64 = -1
	outSince, lagSince := time.Now(), time.Now()
	var stalled map[int32]int64 // lags when the first keep-alive went out
	kept := 0
	why := "not checked"
	for time.Now().Before(deadline) {
		time.Sleep(250 * time.Millisecond)
		cur, err := e.outputEnds()
		if err != nil {
			why = err.Error()
			continue
		}
		if cur != out {
			out, outSince = cur, time.Now()
		}
		lags, err := e.lags()
		if err != nil {
			why = err.Error()
			continue
		}
		if n := sum(lags); n != lag {
			lag, lagSince = n, time.Now()
			e.logf("uncommitted input: %v", lags)
		}
		c, cancel := opCtx()
		pending, err := e.rdb.ZCard(c, e.ns+":{pending}").Result()
		cancel()
		if err != nil {
			why = err.Error()
			continue
		}
		quiet := time.Since(outSince) >= quietFor
		switch {
		case lag == 0 && pending == 0 && quiet:
			e.logf("settled")
			if stalled != nil {
				e.stall(strict, stalled, kept)
			}
			return nil
		case lag > 0 && pending == 0 && quiet && time.Since(lagSince) >= stallAfter && e.stable():
			if stalled == nil {
				stalled = lags
			}
			kept += e.sendKeepAlive(lags)
			lagSince = time.Now()
		}
		why = fmt.Sprintf("uncommitted messages per partition %v, %d hashes pending, outputs quiet %v",
			lags, pending, quiet)
	}
	if stalled != nil {
		why += fmt.Sprintf("; %d keep-alive message(s) to the idle group's lagging partitions "+
			"did not get them committed: a partition is stuck", kept)
	}
	return fmt.Errorf("not settled after %s: %s", timeout, why)
}

// stall records a commit stall: the group was stable and idle, yet it had
// not committed past input it had consumed, until keep-alive messages gave
// it something new to commit.
func (e *env) stall(strict bool, lags map[int32]int64, kept int) {
	msg := fmt.Sprintf("commit stall: group stable and idle with messages per partition %v "+
		"consumed but not committed; committed only after %d keep-alive message(s): "+
		"a failed commit is not retried until the partition gets new input", lags, kept)
	if strict {
		e.fail("%s", msg)
		return
	}
	e.note("%s", msg)
}

// sendKeepAlive sends one keepAlive message to each lagging partition and
// returns how many it sent.
func (e *env) sendKeepAlive(lags map[int32]int64) int {
	var recs []*kgo.Record
	for p, n := range lags {
		if n > 0 {
			recs = append(recs, &kgo.Record{Topic: e.input, Partition: p, Value: keepAlive})
		}
	}
	c, cancel := opCtx()
	defer cancel()
	if err := e.cl.ProduceSync(c, recs...).FirstErr(); err != nil {
		e.fail("produce keep-alive: %v", err)
	}
	return len(recs)
}

// outputEnds returns the end offsets of the alert and dead-letter topics.
func (e *env) outputEnds() ([2]int64, error) {
	var out [2]int64
	var err error
	if out[0], err = e.endOffset(e.alertTopic); err == nil {
		out[1], err = e.endOffset(e.deadTopic)
	}
	return out, err
}

// lags returns, per input partition, how many messages the group has not
// committed past.
func (e *env) lags() (map[int32]int64, error) {
	c, cancel := opCtx()
	defer cancel()
	ends, err := e.adm.ListEndOffsets(c, e.input)
	if err != nil {
		return nil, err
	}
	if err := ends.Error(); err != nil {
		return nil, err
	}
	offs, err := e.committed()
	if err != nil {
		return nil, err
	}
	out := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		if n := o.Offset - offs[o.Partition]; n > 0 {
			out[o.Partition] = n
		}
	})
	return out, nil
}

func sum(m map[int32]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// stable reports whether the group is stable with every running process
// in it.
func (e *env) stable() bool {
	c, cancel := opCtx()
	defer cancel()
	groups, err := e.adm.DescribeGroups(c, e.group)
	g, ok := groups[e.group]
	return err == nil && ok && g.State == "Stable" && len(g.Members) == len(e.running())
}
