package exec

import (
	"context"
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"
)

// Limit passes the first n rows and then ends the stream.
type Limit struct {
	input Operator
	n     int64
	seen  int64
}

var _ Operator = (*Limit)(nil)
var _ Describer = (*Limit)(nil)

// NewLimit builds a limit of n rows over input.
func NewLimit(input Operator, n int64) *Limit { return &Limit{input: input, n: n} }

// Schema implements Operator.
func (l *Limit) Schema() *arrow.Schema { return l.input.Schema() }

// Children implements Operator.
func (l *Limit) Children() []Operator { return []Operator{l.input} }

// Describe implements Describer.
func (l *Limit) Describe() string { return fmt.Sprintf("LimitExec: %d", l.n) }

// Open implements Operator.
func (l *Limit) Open(ctx context.Context) error { return l.input.Open(ctx) }

// Next implements Operator.
func (l *Limit) Next(ctx context.Context) (Message, error) {
	if l.seen >= l.n {
		return EndMessage(), nil
	}
	m, err := l.input.Next(ctx)
	if err != nil || m.Kind != MsgBatch {
		return m, err
	}
	rows := m.Batch.NumRows()
	if l.seen+rows <= l.n {
		l.seen += rows
		return m, nil
	}
	if m.Ops != nil {
		m.Release()
		return Message{}, fmt.Errorf("limit over an updating stream is not supported")
	}
	keep := l.n - l.seen
	l.seen = l.n
	out := Message{Kind: MsgBatch, Batch: m.Batch.NewSlice(0, keep)}
	m.Release()
	return out, nil
}

// Close implements Operator.
func (l *Limit) Close() error { return l.input.Close() }
