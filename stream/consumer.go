package stream

import (
	"context"
	"errors"
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
	// owed holds, per partition, the last processed record whose commit
	// failed; it is committed again until it succeeds. Only the loop's
	// goroutine touches it.
	owed map[topicPartition]*kgo.Record

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
		fetches := c.poll(ctx)
		if fetches.IsClientClosed() {
			return nil
		}
		fetches.EachError(func(topic string, partition int32, err error) {
			if ctx.Err() == nil && !errors.Is(err, context.DeadlineExceeded) {
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

// poll waits for records. While a commit is owed it wakes up every
// commitRetry even without records, so that an idle partition's commit is
// retried once the rebalance that held it back is through.
func (c *Consumer) poll(ctx context.Context) kgo.Fetches {
	if len(c.owed) == 0 {
		return c.client.PollRecords(ctx, pollRecords)
	}
	pctx, cancel := context.WithTimeout(ctx, commitRetry)
	defer cancel()
	return c.client.PollRecords(pctx, pollRecords)
}

// commitRetry is how soon a failed commit is tried again.
const commitRetry = time.Second

type topicPartition struct {
	topic     string
	partition int32
}

// commit commits past each record in done, and past what an earlier failed
// commit still owes, on a context that outlives the run's, with a deadline.
// A commit that fails (franz-go holds commits back while a rebalance is
// under way) is owed and tried again on the next turn of the loop; until
// then, the partition's next owner would read the records again and the
// state would skip them.
func (c *Consumer) commit(ctx context.Context, done []*kgo.Record) {
	if c.owed == nil {
		c.owed = map[topicPartition]*kgo.Record{}
	}
	for _, r := range done {
		tp := topicPartition{r.Topic, r.Partition}
		if prev, ok := c.owed[tp]; !ok || prev.Offset < r.Offset {
			c.owed[tp] = r
		}
	}
	if len(c.owed) == 0 {
		return
	}
	recs := make([]*kgo.Record, 0, len(c.owed))
	for _, r := range c.owed {
		recs = append(recs, r)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := c.client.CommitRecords(ctx, recs...); err != nil {
		c.log.Warn("commit owed, retrying", "partitions", len(recs), "err", err)
		return
	}
	clear(c.owed)
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
