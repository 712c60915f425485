package repl

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/connectors"
	"github.com/weirsql/weir/connectors/format"
	"github.com/weirsql/weir/connectors/stdout"
	"github.com/weirsql/weir/exec"
)

// liveSink prints the results of a bare SELECT in the shell. Rows of an
// append-only result, and every result in CSV or JSON, go through the
// stdout connector's sink: they print as they arrive. An updating result
// in table format (an unwindowed GROUP BY) is shown as a table of its
// latest rows that is redrawn in place as the changelog arrives: an update
// (-U then +U) replaces its row where it stands, a delete removes it, an
// insert adds a row at the bottom. The sink does not know the result's
// key: a -U retracts the latest live row with equal values, and the +U
// rows of a batch take the places of its -U rows in order (the
// aggregation emits a batch's -U rows, then their +U rows, in the same
// order; a pair side by side works the same). While the query runs, the
// table shows at most a screenful of rows; when it ends (or is cancelled)
// the last drawing shows them all.
type liveSink struct {
	out    io.Writer
	format string
	mem    memory.Allocator
	// size returns the terminal's width and height; 0 when unknown.
	size  func() (width, height int)
	now   func() time.Time
	every time.Duration // the least time between two drawings

	inner exec.Sink // the stdout sink, when the result is not drawn live

	live    bool
	names   []string
	right   []bool
	rows    []*liveRow            // in display order, dead rows included until the next drawing
	byKey   map[string][]*liveRow // live rows by their values, latest last
	pending []*liveRow            // rows the batch's -U retracted, whose places its +U rows take
	lines   int                   // terminal lines of the last drawing
	drawn   time.Time
	dirty   bool
	closed  bool
}

type liveRow struct {
	key   string
	cells []string
	dead  bool
}

var _ exec.Sink = (*liveSink)(nil)

// redrawEvery is the least time between two drawings of a live table.
const redrawEvery = 200 * time.Millisecond

// newLiveSink returns the shell's result sink printing to out in format.
func newLiveSink(out io.Writer, format string, mem memory.Allocator, size func() (int, int)) *liveSink {
	if size == nil {
		size = func() (int, int) { return 0, 0 }
	}
	return &liveSink{out: out, format: format, mem: mem, size: size, now: time.Now, every: redrawEvery}
}

// Open implements exec.Sink.
func (l *liveSink) Open(ctx context.Context, schema *arrow.Schema, updating bool) error {
	if l.format != "table" || !updating {
		inner, err := stdout.NewSink(connectors.SinkConfig{Name: "stdout", Stdout: l.out, Format: l.format, Mem: l.mem})
		if err != nil {
			return err
		}
		l.inner = inner
		return inner.Open(ctx, schema, updating)
	}
	l.live = true
	l.byKey = map[string][]*liveRow{}
	for _, f := range schema.Fields() {
		l.names = append(l.names, format.TableText(f.Name))
		l.right = append(l.right, format.RightAligned(f.Type))
	}
	return nil
}

// Write implements exec.Sink: it applies a batch of changes and redraws
// the table when the last drawing is old enough.
func (l *liveSink) Write(ctx context.Context, m exec.Message) error {
	if l.inner != nil {
		return l.inner.Write(ctx, m)
	}
	defer m.Release()
	if m.Kind != exec.MsgBatch || m.Batch == nil || !l.live {
		return nil
	}
	l.apply(m)
	if now := l.now(); l.dirty && now.Sub(l.drawn) >= l.every {
		l.drawn = now
		return l.draw(false)
	}
	return nil
}

// apply folds the rows of a batch and their ops into the table.
func (l *liveSink) apply(m exec.Message) {
	rec := m.Batch
	cols := make([][]string, rec.NumCols())
	for c := range cols {
		cols[c] = format.TableCells(rec.Column(c))
	}
	var key strings.Builder
	for r := 0; r < int(rec.NumRows()); r++ {
		key.Reset()
		cells := make([]string, len(cols))
		for c := range cols {
			cells[c] = cols[c][r]
			if rec.Column(c).IsNull(r) {
				key.WriteString("\x00N")
			} else {
				key.WriteString("\x00V")
				key.WriteString(cells[c])
			}
		}
		op := exec.OpInsert
		if m.Ops != nil && !m.Ops.IsNull(r) {
			op = exec.Op(m.Ops.Value(r))
		}
		l.applyRow(op, key.String(), cells)
	}
	l.pending = l.pending[:0] // a -U left without its +U: its row is gone
	l.dirty = l.dirty || rec.NumRows() > 0
}

func (l *liveSink) applyRow(op exec.Op, key string, cells []string) {
	switch op {
	case exec.OpUpdateBefore, exec.OpDelete:
		stack := l.byKey[key]
		if len(stack) == 0 {
			return // retracts nothing shown (it cannot happen in a well-formed changelog)
		}
		row := stack[len(stack)-1]
		l.byKey[key] = stack[:len(stack)-1]
		row.dead = true
		if op == exec.OpUpdateBefore {
			l.pending = append(l.pending, row)
		}
	default: // +I, +U
		var row *liveRow
		if op == exec.OpUpdateAfter && len(l.pending) > 0 {
			row, l.pending = l.pending[0], l.pending[1:]
		} else {
			row = &liveRow{}
			l.rows = append(l.rows, row)
		}
		row.key, row.cells, row.dead = key, cells, false
		l.byKey[key] = append(l.byKey[key], row)
	}
}

// Close implements exec.Sink: a live table is drawn a last time, whole.
func (l *liveSink) Close() error {
	if l.inner != nil {
		return l.inner.Close()
	}
	if l.closed || !l.live {
		return nil
	}
	l.closed = true
	return l.draw(true)
}

// draw replaces the last drawing with the table as it stands.
func (l *liveSink) draw(final bool) error {
	shown := l.rows[:0]
	for _, r := range l.rows {
		if !r.dead {
			shown = append(shown, r)
		}
	}
	l.rows = shown
	width, height := l.size()
	k := len(shown)
	fit := !final && height > 1
	if fit {
		// While the query runs the drawing must fit the screen above the
		// status line, or the cursor could not move back up to its first
		// line: a header, a rule and a row count besides the rows.
		k = min(k, max(height-4, 0))
	}
	text := renderGrid(l.names, l.right, shown[:k], len(shown))
	for fit && k > 0 && screenLines(text, width) > height-1 {
		// Lines wider than the screen wrap: show fewer rows.
		k = max(0, k-(screenLines(text, width)-(height-1)))
		text = renderGrid(l.names, l.right, shown[:k], len(shown))
	}
	var b strings.Builder
	if l.lines > 0 {
		fmt.Fprintf(&b, "\r\033[%dA\033[J", l.lines)
	}
	b.WriteString(text)
	l.lines = screenLines(text, width)
	l.dirty = false
	if _, err := io.WriteString(l.out, b.String()); err != nil {
		return fmt.Errorf("print results: %w", err)
	}
	return nil
}

// renderGrid lays rows out as the table format does (a centred header,
// a rule, numbers right-aligned, a row count), with a note when only the
// first rows of total are shown.
func renderGrid(names []string, right []bool, rows []*liveRow, total int) string {
	widths := make([]int, len(names))
	for c, n := range names {
		widths[c] = format.DisplayWidth(n)
	}
	for _, r := range rows {
		for c, cell := range r.cells {
			widths[c] = max(widths[c], format.DisplayWidth(cell))
		}
	}
	var b strings.Builder
	pad := func(l *strings.Builder, n int) {
		for ; n > 0; n-- {
			l.WriteByte(' ')
		}
	}
	writeLine := func(cell func(c int) (text string, rightAlign, centre bool)) {
		var l strings.Builder
		for c := range names {
			if c > 0 {
				l.WriteByte('|')
			}
			l.WriteByte(' ')
			text, r, centre := cell(c)
			gap := widths[c] - format.DisplayWidth(text)
			switch {
			case centre:
				pad(&l, gap/2)
				l.WriteString(text)
				pad(&l, gap-gap/2)
			case r:
				pad(&l, gap)
				l.WriteString(text)
			default:
				l.WriteString(text)
				pad(&l, gap)
			}
			l.WriteByte(' ')
		}
		b.WriteString(strings.TrimRight(l.String(), " "))
		b.WriteByte('\n')
	}
	writeLine(func(c int) (string, bool, bool) { return names[c], false, true })
	for c, w := range widths {
		if c > 0 {
			b.WriteByte('+')
		}
		b.WriteString(strings.Repeat("-", w+2))
	}
	b.WriteByte('\n')
	for _, r := range rows {
		writeLine(func(c int) (string, bool, bool) { return r.cells[c], right[c], false })
	}
	b.WriteByte('(')
	b.WriteString(strconv.Itoa(total))
	if total == 1 {
		b.WriteString(" row")
	} else {
		b.WriteString(" rows")
	}
	if len(rows) < total {
		fmt.Fprintf(&b, ", the first %d shown", len(rows))
	}
	b.WriteString(")\n")
	return b.String()
}

// screenLines is how many terminal lines text takes on a screen width
// columns wide (0: unknown, one line per line of text).
func screenLines(text string, width int) int {
	n := 0
	for _, line := range strings.SplitAfter(text, "\n") {
		if line == "" {
			continue
		}
		w := format.DisplayWidth(strings.TrimSuffix(line, "\n"))
		if width <= 0 || w <= width {
			n++
			continue
		}
		n += (w + width - 1) / width
	}
	return n
}
