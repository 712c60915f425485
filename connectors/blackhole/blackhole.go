// Package blackhole is the 'blackhole' sink: it discards every row and
// counts them, to measure a query without the cost of output.
package blackhole

import (
	"context"
	"sync/atomic"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/weirsql/weir/connectors"
	"github.com/weirsql/weir/exec"
)

// Spec is the blackhole connector's registry entry.
var Spec = &connectors.Spec{
	Name:    "blackhole",
	Doc:     "Discards every row (counting them), for benchmarks.",
	NewSink: NewSink,
}

func init() { connectors.Register(Spec) }

// Sink discards batches and counts their rows.
type Sink struct {
	rows    atomic.Int64
	batches atomic.Int64
}

var _ exec.Sink = (*Sink)(nil)

// NewSink returns a blackhole sink.
func NewSink(cfg connectors.SinkConfig) (exec.Sink, error) { return &Sink{}, nil }

// Open does nothing.
func (s *Sink) Open(ctx context.Context, schema *arrow.Schema, updating bool) error { return nil }

// Write counts and releases the message.
func (s *Sink) Write(ctx context.Context, msg exec.Message) error {
	if msg.Kind == exec.MsgBatch {
		s.rows.Add(int64(msg.NumRows()))
		s.batches.Add(1)
	}
	msg.Release()
	return nil
}

// Close does nothing.
func (s *Sink) Close() error { return nil }

// Rows is the number of rows discarded.
func (s *Sink) Rows() int64 { return s.rows.Load() }

// Batches is the number of batches discarded.
func (s *Sink) Batches() int64 { return s.batches.Load() }
