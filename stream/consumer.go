package stream

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flarewatch/flarewatch/stream/mde"
)

// pollRecords bounds one poll, so that a rebalance never waits long.
const pollRecords = 10000

// Consumer runs the consumer loop: poll, process each partition's records
// in its own goroutine, wait for all, commit what was done, let a pending
// rebalance through, poll again.
type Consumer struct {
	client   *kgo.Client
	pipe     *Pipeline
	log      *slog.Logger
	decoders sync.Pool

	// Drain bounds how long in-flight work may take once the run context
	// ends, before it is abandoned uncommitted.
	Drain time.Duration
	// Until, when set, bounds each partition: records at or past the
	// partition's offset are not processed (a replay's end), but are
	// committed past so that the run can tell it is done.
	Until map[string]map[int32]int64
}

// NewConsumer returns a consumer on client, which must have been built
// with ClientOptions (manual commits, rebalances blocked while polling).
func NewConsumer(client *kgo.Client, pipe *Pipeline) *Consumer {
	c := &Consumer{client: client, pipe: pipe, log: pipe.Log, Drain: 30 * time.Second}
	c.decoders.New = func() any { return new(mde.Decoder) }
	return c
}

// Run consumes until ctx ends, then finishes and commits the records in
// hand within Drain, and returns. A partition whose work could not finish
// is left uncommitted: whoever owns it next reads it again, and the state
// skips what was already applied.
func (c *Consumer) Run(ctx context.Context) error {
	for {
		fetches := c.client.PollRecords(ctx, pollRecords)
		if fetches.IsClientClosed() {
			return nil
		}
		fetches.EachError(func(topic string, partition int32, err error) {
			if ctx.Err() == nil {
				c.log.Warn("fetch", "topic", topic, "partition", partition, "err", err)
			}
		})
		done, ok := c.processAll(ctx, fetches)
		c.commit(ctx, done)
		c.client.AllowRebalance()
		if !ok || ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// processAll handles every partition of a fetch in parallel and returns the
// last record of each partition that was fully processed.
func (c *Consumer) processAll(ctx context.Context, fetches kgo.Fetches) ([]*kgo.Record, bool) {
	// In-flight work outlives ctx by Drain, so that a stop finishes it.
	work, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(c.Drain, cancel)
		context.AfterFunc(work, func() { t.Stop() })
	})
	defer stop()

	var mu sync.Mutex
	var done []*kgo.Record
	ok := true
	var wg sync.WaitGroup
	fetches.EachPartition(func(p kgo.FetchTopicPartition) {
		if len(p.Records) == 0 {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			dec := c.decoders.Get().(*mde.Decoder)
			defer c.decoders.Put(dec)
			err := c.pipe.Process(work, dec, c.bounded(p.Topic, p.Partition, p.Records))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				c.log.Warn("partition left uncommitted", "topic", p.Topic, "partition", p.Partition, "err", err)
				ok = false
				return
			}
			done = append(done, p.Records[len(p.Records)-1])
		}()
	})
	wg.Wait()
	return done, ok
}

// commit commits past each record in done, on a context that outlives the
// run's, with a deadline.
func (c *Consumer) commit(ctx context.Context, done []*kgo.Record) {
	if len(done) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := c.client.CommitRecords(ctx, done...); err != nil {
		// The records are read again by the partition's next owner; the
		// state skips what it already applied.
		c.log.Warn("commit", "err", err)
	}
}

// bounded returns the records of a partition before its Until offset.
func (c *Consumer) bounded(topic string, partition int32, recs []*kgo.Record) []*kgo.Record {
	end, ok := c.Until[topic][partition]
	if !ok {
		return recs
	}
	n := len(recs)
	for n > 0 && recs[n-1].Offset >= end {
		n--
	}
	return recs[:n]
}
