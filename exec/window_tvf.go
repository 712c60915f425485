package exec

import (
	"context"
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/weirsql/weir/exec/expr"
)

// WindowTVF is the windowing table function TABLE(TUMBLE|HOP|CUMULATE(...)):
// each input row comes out once per window that holds it, with
// window_start, window_end and window_time (end − 1 ms) appended. Rows with
// a NULL event time belong to no window and are dropped. Watermarks pass
// through.
type WindowTVF struct {
	input   Operator
	win     WindowSpec
	schema  *arrow.Schema
	ec      *expr.Context
	pending []Message
}

var _ Operator = (*WindowTVF)(nil)
var _ Describer = (*WindowTVF)(nil)

// NewWindowTVF builds the table function over input; schema is the input's
// schema plus the three window columns.
func NewWindowTVF(input Operator, win WindowSpec, schema *arrow.Schema, ec *expr.Context) *WindowTVF {
	return &WindowTVF{input: input, win: win, schema: schema, ec: ec}
}

// Schema implements Operator.
func (w *WindowTVF) Schema() *arrow.Schema { return w.schema }

// Children implements Operator.
func (w *WindowTVF) Children() []Operator { return []Operator{w.input} }

// Describe implements Describer.
func (w *WindowTVF) Describe() string { return "WindowTVFExec: " + w.win.String() }

// Open implements Operator.
func (w *WindowTVF) Open(ctx context.Context) error { return w.input.Open(ctx) }

// Next implements Operator.
func (w *WindowTVF) Next(ctx context.Context) (Message, error) {
	for len(w.pending) == 0 {
		m, err := w.input.Next(ctx)
		if err != nil || m.Kind != MsgBatch {
			return m, err
		}
		err = w.expand(m)
		m.Release()
		if err != nil {
			return Message{}, err
		}
	}
	m := w.pending[0]
	w.pending = w.pending[1:]
	return m, nil
}

// expand queues one output batch per window pass.
func (w *WindowTVF) expand(m Message) error {
	if m.Ops != nil {
		return fmt.Errorf("window table functions over an updating stream are not supported")
	}
	rec := m.Batch
	n := int(rec.NumRows())
	ts, ok := rec.Column(w.win.TimeCol).(*array.Timestamp)
	if !ok {
		return fmt.Errorf("window time column is %s, not TIMESTAMP", rec.Column(w.win.TimeCol).DataType())
	}
	starts, ends := make([]int64, n), make([]int64, n)
	for k := 0; k < w.win.passes(); k++ {
		w.win.assign(ts, k, starts, ends)
		rows := make([]int32, 0, n)
		for i, e := range ends {
			if e != skip {
				rows = append(rows, int32(i))
			}
		}
		if len(rows) == 0 {
			continue
		}
		var base arrow.Record
		if len(rows) == n {
			rec.Retain()
			base = rec
		} else {
			var err error
			if base, err = takeRows(w.ec.Mem, rec, rows); err != nil {
				return err
			}
		}
		ws := make([]int64, len(rows))
		we := make([]int64, len(rows))
		wt := make([]int64, len(rows))
		for j, i := range rows {
			ws[j], we[j], wt[j] = starts[i], ends[i], ends[i]-1
		}
		cols := append(append([]arrow.Array(nil), base.Columns()...),
			timestamps(w.ec, ws), timestamps(w.ec, we), timestamps(w.ec, wt))
		out := array.NewRecord(w.schema, cols, int64(len(rows)))
		for _, c := range cols[base.NumCols():] {
			c.Release()
		}
		base.Release()
		w.pending = append(w.pending, BatchMessage(out))
	}
	return nil
}

// Close implements Operator.
func (w *WindowTVF) Close() error {
	for _, m := range w.pending {
		m.Release()
	}
	w.pending = nil
	return w.input.Close()
}
