package exec

import (
	"context"
	"fmt"
	"strings"
)

// Stats counts what a query run produced.
type Stats struct {
	RowsOut int64
	Batches int64
}

// Run drives a pipeline: it opens root and sink, moves every message from
// root to sink until MsgEnd, and closes both. It stops early, with ctx's
// error, when ctx is cancelled.
func Run(ctx context.Context, root Operator, sink Sink, updating bool) (st Stats, err error) {
	defer func() {
		if cerr := root.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close pipeline: %w", cerr)
		}
		if cerr := sink.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close sink: %w", cerr)
		}
	}()
	if err := sink.Open(ctx, root.Schema(), updating); err != nil {
		return st, fmt.Errorf("open sink: %w", err)
	}
	if err := root.Open(ctx); err != nil {
		return st, err
	}
	for {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		m, err := root.Next(ctx)
		if err != nil {
			return st, err
		}
		if m.Kind == MsgEnd {
			return st, nil
		}
		if m.Kind == MsgBatch {
			st.RowsOut += int64(m.NumRows())
			st.Batches++
		}
		if err := sink.Write(ctx, m); err != nil {
			return st, fmt.Errorf("sink: %w", err)
		}
	}
}

// FormatPlan prints a physical plan as an indented tree.
func FormatPlan(op Operator) string {
	var b strings.Builder
	var walk func(op Operator, depth int)
	walk = func(op Operator, depth int) {
		b.WriteString(strings.Repeat("  ", depth))
		if d, ok := op.(Describer); ok {
			b.WriteString(d.Describe())
		} else {
			fmt.Fprintf(&b, "%T", op)
		}
		b.WriteByte('\n')
		for _, c := range op.Children() {
			walk(c, depth+1)
		}
	}
	walk(op, 0)
	return b.String()
}

// Walk calls f on op and every operator below it.
func Walk(op Operator, f func(Operator)) {
	f(op)
	for _, c := range op.Children() {
		Walk(c, f)
	}
}
