package exec

import (
	"context"

	"github.com/apache/arrow/go/v17/arrow"
)

// Source is a connector's reader as the runtime sees it. It reads one or more
// splits (files, partitions) and returns batches of the projected columns.
// Sources know nothing of watermarks: the Scan operator derives them from the
// event-time column of each batch, per split.
type Source interface {
	// Schema is the schema of the batches Next returns (the projection).
	Schema() *arrow.Schema
	// Open starts reading.
	Open(ctx context.Context) error
	// Next returns the next batch. At the end of a bounded input it returns
	// io.EOF. The caller owns the batch.
	Next(ctx context.Context) (SourceBatch, error)
	// Splits is the number of splits; SourceBatch.Split is below it. It
	// may grow after Open (a Kafka source discovering partitions), never
	// shrink; the scan checks it after every Next.
	Splits() int
	// Close releases resources; safe to call twice and without Open.
	Close() error
}

// SourceBatch is a batch read from one split of a source.
type SourceBatch struct {
	Record arrow.Record
	// Split identifies the split (file, partition) the rows came from.
	Split int
	// SplitDone is set on the last batch of a split (Record may be nil then):
	// the split's watermark no longer holds the others back.
	SplitDone bool
}

// SourceStats is implemented by sources that count what they read.
type SourceStats interface {
	// RowsRead is the number of rows decoded so far.
	RowsRead() int64
	// BadRecords is the number of malformed records skipped so far.
	BadRecords() int64
}

// SinkChecker is a Sink that can tell, before the query runs, whether it
// can take the query's output: the schema and whether it is updating. A
// runtime calls Check once, before Open, so that a mismatch (an updating
// result for a sink that needs keys) is reported with the statement, as
// a planning error, instead of when the sink opens.
type SinkChecker interface {
	Check(schema *arrow.Schema, updating bool) error
}

// Sink consumes the output of a query.
type Sink interface {
	// Open prepares the sink for batches of the given schema. updating says
	// the stream carries ops (a changelog) rather than inserts only.
	Open(ctx context.Context, schema *arrow.Schema, updating bool) error
	// Write consumes one message; the sink owns it and releases it. Sinks
	// receive watermarks and barriers too and may ignore them.
	Write(ctx context.Context, msg Message) error
	// Close flushes and releases; safe to call twice and without Open.
	Close() error
}
