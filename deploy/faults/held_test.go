//go:build faults

package faults

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// stopHeld is stop with proof that the process committed what it held: the
// other processes are frozen (SIGSTOP) while it shuts down, and then every
// input partition it owned must be committed past the last offset it
// applied to the state, which each hash records per partition in its "off"
// hash. checked is false when the group was rebalancing, so that whom a
// partition belonged to was not known, and only stop's checks ran.
func (e *env) stopHeld(slot int) (took time.Duration, checked bool) {
	name := fmt.Sprintf("fw-%d", slot)
	owned, ok := e.assignment(name)
	if !ok {
		return e.stop(slot), false
	}
	var frozen []*proc
	e.mu.Lock()
	for i, p := range e.slots {
		if i != slot && p != nil && p.alive() && p.cmd.Process.Signal(syscall.SIGSTOP) == nil {
			frozen = append(frozen, p)
		}
	}
	e.mu.Unlock()
	defer func() {
		for _, p := range frozen {
			_ = p.cmd.Process.Signal(syscall.SIGCONT)
		}
	}()

	took = e.stop(slot)
	applied, err := e.lastApplied()
	if err != nil {
		e.fail("read applied positions: %v", err)
		return took, false
	}
	committed, err := e.committed()
	if err != nil {
		e.fail("committed offsets: %v", err)
		return took, false
	}
	for _, p := range owned {
		if a, ok := applied[p]; ok && committed[p] <= a {
			e.fail("%s exited with offset %d of partition %d applied to the state but the "+
				"partition committed only up to %d", name, a, p, committed[p])
		}
	}
	return took, true
}

// assignment returns the input partitions of the member with client id,
// when the group is stable.
func (e *env) assignment(clientID string) ([]int32, bool) {
	c, cancel := opCtx()
	defer cancel()
	groups, err := e.adm.DescribeGroups(c, e.group)
	g, ok := groups[e.group]
	if err != nil || !ok || g.State != "Stable" {
		return nil, false
	}
	for _, m := range g.Members {
		if m.ClientID != clientID {
			continue
		}
		a, ok := m.Assigned.AsConsumer()
		if !ok {
			return nil, false
		}
		for _, t := range a.Topics {
			if t.Topic == e.input {
				return t.Partitions, true
			}
		}
		return nil, true
	}
	return nil, false
}

// lastApplied returns, per input partition, the highest offset whose
// records any hash's state has applied.
func (e *env) lastApplied() (map[int32]int64, error) {
	var mu sync.Mutex
	out := map[int32]int64{}
	read := func(c context.Context, node redis.Cmdable) error {
		iter := node.Scan(c, 0, e.ns+":*:off", 1000).Iterator()
		var keys []string
		for iter.Next(c) {
			keys = append(keys, iter.Val())
		}
		if err := iter.Err(); err != nil {
			return err
		}
		for _, k := range keys {
			fields, err := node.HGetAll(c, k).Result()
			if err != nil {
				return err
			}
			mu.Lock()
			for f, v := range fields {
				topic, part, _ := strings.Cut(f, "/")
				p, perr := strconv.ParseInt(part, 10, 32)
				pos, verr := strconv.ParseInt(v, 10, 64)
				if topic != e.input || perr != nil || verr != nil {
					continue
				}
				// A position is offset<<20 | index of the record in its message.
				if off := pos >> 20; off > out[int32(p)] {
					out[int32(p)] = off
				}
			}
			mu.Unlock()
		}
		return nil
	}
	c, cancel := opCtx()
	defer cancel()
	if cc, ok := e.rdb.(*redis.ClusterClient); ok {
		return out, cc.ForEachMaster(c, func(c context.Context, m *redis.Client) error { return read(c, m) })
	}
	return out, read(c, e.rdb)
}
