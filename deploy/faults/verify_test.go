package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/flarewatch/flarewatch/sinks"
	"github.com/flarewatch/flarewatch/stream/gen"
)

// verify compares the alert topic, the dead-letter topic and the Redis
// state with the known answer, fills in the row, and records a failure for
// each difference.
func (e *env) verify(r *row) {
	by := e.alertsByHash()
	e.verifyPlanted(r, by)
	e.verifyOthers(r, by)
	e.verifyDeadLetters(r)
	e.verifyTTLs()
}

// hashAlerts are the alert documents of one hash, in topic order.
type hashAlerts struct {
	all     []sinks.Alert
	creates []sinks.Alert
	closed  bool // a close came after the last create
}

func (e *env) alertsByHash() map[string]*hashAlerts {
	recs, err := e.readAll(e.alertTopic)
	if err != nil {
		e.fail("read alerts: %v", err)
	}
	by := map[string]*hashAlerts{}
	for _, rec := range recs {
		var a sinks.Alert
		if err := json.Unmarshal(rec.Value, &a); err != nil {
			e.fail("alert at offset %d: %v", rec.Offset, err)
			continue
		}
		if string(rec.Key) != a.SHA1 {
			e.fail("alert %s keyed %q", a.ID, rec.Key)
		}
		h := by[a.SHA1]
		if h == nil {
			h = &hashAlerts{}
			by[a.SHA1] = h
		}
		h.all = append(h.all, a)
		switch a.Activity {
		case sinks.ActivityCreate:
			h.creates = append(h.creates, a)
			h.closed = false
		case sinks.ActivityClose:
			h.closed = len(h.creates) > 0
		}
	}
	return by
}

// verifyPlanted checks every hash that must alert: one create (a repeat
// only with the same id), no alert counting more than there is, and the
// exact Count and Devices in the state.
func (e *env) verifyPlanted(r *row, by map[string]*hashAlerts) {
	d := e.tr.data
	for _, sha1 := range d.Planted {
		want := d.Counts[sha1]
		h := by[sha1]
		if h == nil || len(h.creates) == 0 {
			r.lost++
			e.fail("lost alert: planted hash %s (Count %d, Devices %d) has no create",
				sha1, want.Default, want.Devices)
			continue
		}
		r.alertsOut += len(h.creates)
		if n := len(h.creates) - 1; n > 0 {
			r.dupCreates += n
			e.note("%s created %d times", sha1[:8], n+1)
			for _, c := range h.creates[1:] {
				if c.ID != h.creates[0].ID {
					e.fail("duplicate create of %s with another id: %s, then %s", sha1, h.creates[0].ID, c.ID)
				}
			}
		}
		bad := false
		for _, a := range h.all {
			if a.Count > int64(want.Default) || a.Devices > want.Devices {
				bad = true
				e.fail("%s alert of %s says Count %d Devices %d; there are only %d and %d",
					a.Activity, sha1, a.Count, a.Devices, want.Default, want.Devices)
			}
		}
		count, devices, status, err := e.stateOf(sha1)
		switch {
		case err != nil:
			e.fail("state of %s: %v", sha1, err)
		case count != int64(want.Default) || devices != want.Devices:
			bad = true
			e.fail("Count mismatch: state of %s holds Count %d Devices %d, want %d and %d",
				sha1, count, devices, want.Default, want.Devices)
		case status != "open":
			e.fail("episode of %s is %q, want open", sha1, status)
		}
		if bad {
			r.mismatches++
		}
	}
}

// verifyOthers checks that no other hash stays alerted: a trap whose
// certificate row came after its create must have been closed, and
// nothing else may have a create.
func (e *env) verifyOthers(r *row, by map[string]*hashAlerts) {
	planted := map[string]bool{}
	for _, h := range e.tr.data.Planted {
		planted[h] = true
	}
	kinds := map[string]gen.TrapKind{}
	for _, tr := range e.tr.data.Traps {
		if tr.Kind != gen.TrapDuplicate {
			kinds[tr.SHA1] = tr.Kind
		}
	}
	closed := 0
	for sha1, h := range by {
		if planted[sha1] || len(h.creates) == 0 {
			continue
		}
		r.alertsOut += len(h.creates)
		k := kinds[sha1]
		if h.closed && (k == gen.TrapCertLate || k == gen.TrapCertEarly) {
			closed++
			continue
		}
		r.unexpected++
		if k == "" {
			k = "not planted"
		}
		e.fail("unexpected alert: %s (%s) has %d create(s), closed %v", sha1, k, len(h.creates), h.closed)
	}
	if closed > 0 {
		e.note("%d certificate trap(s) alerted and closed", closed)
	}
}

// stateOf reads a hash's totals and episode status from Redis: the sum of
// its per-group counts, its devices, and the episode's status.
func (e *env) stateOf(sha1 string) (count int64, devices int, status string, err error) {
	c, cancel := opCtx()
	defer cancel()
	prefix := e.ns + ":{" + sha1 + "}:"
	totals, err := e.rdb.HGetAll(c, prefix+"g").Result()
	if err != nil {
		return 0, 0, "", err
	}
	for f, v := range totals {
		switch f[0] {
		case 'c':
			n, _ := strconv.ParseInt(v, 10, 64)
			count += n
		case 'f':
			devices++
		}
	}
	status, err = e.rdb.HGet(c, prefix+"ep", "status").Result()
	if errors.Is(err, redis.Nil) {
		err = nil
	}
	return count, devices, status, err
}

// verifyDeadLetters checks that every poison message, and nothing else,
// reached the dead-letter topic with its source coordinates and its bytes.
func (e *env) verifyDeadLetters(r *row) {
	recs, err := e.readAll(e.deadTopic)
	if err != nil {
		e.fail("read dead letters: %v", err)
	}
	e.mu.Lock()
	poison := e.poisonAt
	e.mu.Unlock()
	seen := map[coord]bool{}
	for _, rec := range recs {
		h := map[string]string{}
		for _, x := range rec.Headers {
			h[x.Key] = string(x.Value)
		}
		p, perr := strconv.ParseInt(h[sinks.HeaderSourcePartition], 10, 32)
		o, oerr := strconv.ParseInt(h[sinks.HeaderSourceOffset], 10, 64)
		if h[sinks.HeaderSourceTopic] != e.input || perr != nil || oerr != nil {
			e.fail("dead letter without its source: headers %v", h)
			continue
		}
		at := coord{int32(p), o}
		m, ok := poison[at]
		if !ok {
			e.fail("dead letter for a good message at %d/%d: %s", p, o, h[sinks.HeaderReason])
			continue
		}
		whole := h[sinks.HeaderRecordIndex] == strconv.Itoa(sinks.WholeMessage)
		// A message over the dead-letter cap is cut, and says so; the
		// whole of it stays at the source offset the letter names.
		cut := strings.Contains(h[sinks.HeaderReason], "value cut from") &&
			bytes.HasPrefix(m.value, rec.Value)
		exact := whole && bytes.Equal(rec.Value, m.value) || !whole && bytes.Contains(m.value, rec.Value)
		if !exact && !cut {
			e.fail("dead letter of %s at %d/%d does not carry the original bytes", m.poison, p, o)
		}
		seen[at] = true
	}
	r.deadLetters = len(seen)
	for at, m := range poison {
		if !seen[at] {
			e.fail("poison message %s at %d/%d is not in the dead-letter topic", m.poison, at.partition, at.offset)
		}
	}
	if extra := len(recs) - len(seen); extra > 0 {
		e.note("%d dead letter(s) sent again after a re-read", extra)
	}
}

// verifyTTLs checks that every key of the namespace expires.
func (e *env) verifyTTLs() {
	var mu sync.Mutex // ForEachMaster scans the masters at once
	var total, forever int
	var sample []string
	scan := func(c context.Context, node redis.Cmdable) error {
		iter := node.Scan(c, 0, e.ns+":*", 1000).Iterator()
		var keys []string
		for iter.Next(c) {
			keys = append(keys, iter.Val())
		}
		if err := iter.Err(); err != nil {
			return err
		}
		cmds, err := node.Pipelined(c, func(p redis.Pipeliner) error {
			for _, k := range keys {
				p.PTTL(c, k)
			}
			return nil
		})
		if err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		for i, cmd := range cmds {
			total++
			// PTTL answers -1 ms for a key without an expiry.
			if d, err := cmd.(*redis.DurationCmd).Result(); err == nil && d == -1 {
				forever++
				if len(sample) < 5 {
					sample = append(sample, keys[i])
				}
			}
		}
		return nil
	}
	c, cancel := opCtx()
	defer cancel()
	var err error
	if cc, ok := e.rdb.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(c, func(c context.Context, m *redis.Client) error { return scan(c, m) })
	} else {
		err = scan(c, e.rdb)
	}
	if err != nil {
		e.fail("scan the namespace: %v", err)
		return
	}
	if forever > 0 {
		e.fail("%d of %d keys never expire, e.g. %s", forever, total, strings.Join(sample, " "))
	}
	e.note("%d keys, all expiring", total)
}
