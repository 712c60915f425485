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
	if err := checkSharedSources(root); err != nil { // source_group.go
		root.Close()
		sink.Close()
		return st, err
	}
	return drive(ctx, root, sink, updating, nil)
}

// drive is the loop of Run and RunWith; c, when set, takes a checkpoint at
// every barrier and a final one at the end.
func drive(ctx context.Context, root Operator, sink Sink, updating bool, c *checkpointer) (st Stats, err error) {
	defer func() {
		if c != nil {
			c.close()
		}
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
	if c != nil {
		c.start()
	}
	for {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		m, err := root.Next(ctx)
		if err != nil {
			return st, err
		}
		switch {
		case m.Kind == MsgEnd && c != nil:
			return st, c.checkpoint(ctx, m.Barrier, true)
		case m.Kind == MsgEnd:
			return st, nil
		case m.Kind == MsgBarrier && c != nil:
			if err := c.checkpoint(ctx, m.Barrier, false); err != nil {
				return st, err
			}
			if c.stopping.Load() {
				return st, ErrStopped
			}
			continue
		case m.Kind == MsgBatch:
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
