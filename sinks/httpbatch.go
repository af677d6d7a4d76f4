package sinks

// batch is a run of alerts sent in one request, with their encoded
// documents and the bytes they take.
type batch struct {
	alerts []Alert
	docs   [][]byte
	size   int
}

// split returns the batches of at most maxCount alerts and maxBytes bytes,
// each document costing its length plus sep and a batch adding overhead.
// maxCount 0 means no limit. The indexes of documents too large to go alone
// are returned in oversized.
func split(alerts []Alert, docs [][]byte, maxCount, maxBytes, sep, overhead int) (
	batches []batch, oversized []int) {
	cur := batch{size: overhead}
	for i, d := range docs {
		cost := len(d) + sep
		if overhead+cost > maxBytes {
			oversized = append(oversized, i)
			continue
		}
		if len(cur.docs) > 0 && (cur.size+cost > maxBytes || (maxCount > 0 && len(cur.docs) == maxCount)) {
			batches = append(batches, cur)
			cur = batch{size: overhead}
		}
		cur.alerts = append(cur.alerts, alerts[i])
		cur.docs = append(cur.docs, d)
		cur.size += cost
	}
	if len(cur.docs) > 0 {
		batches = append(batches, cur)
	}
	return batches, oversized
}

// half splits b into two batches of about equal length; b holds at least two
// alerts.
func (b batch) half() (batch, batch) {
	n := len(b.docs) / 2
	first := batch{alerts: b.alerts[:n], docs: b.docs[:n]}
	second := batch{alerts: b.alerts[n:], docs: b.docs[n:]}
	for _, d := range first.docs {
		first.size += len(d)
	}
	second.size = b.size - first.size
	return first, second
}

// from returns the batch of b's alerts from index i on.
func (b batch) from(i int) batch {
	r := batch{alerts: b.alerts[i:], docs: b.docs[i:], size: b.size}
	for _, d := range b.docs[:i] {
		r.size -= len(d)
	}
	return r
}

// encodeAll encodes every alert with enc.
func encodeAll(alerts []Alert, enc func(*Alert) ([]byte, error)) ([][]byte, error) {
	docs := make([][]byte, len(alerts))
	for i := range alerts {
		d, err := enc(&alerts[i])
		if err != nil {
			return nil, err
		}
		docs[i] = d
	}
	return docs, nil
}
