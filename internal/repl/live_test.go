package repl

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/connectors/format"
	"github.com/weirsql/weir/exec"
)

var liveSchema = arrow.NewSchema([]arrow.Field{
	{Name: "channel", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "bids", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
}, nil)

// change is one changelog row: op, channel (nil: NULL), bids.
type change struct {
	op      exec.Op
	channel any
	bids    int64
}

// changes builds an updating batch message.
func changes(mem memory.Allocator, rows ...change) exec.Message {
	b := array.NewRecordBuilder(mem, liveSchema)
	defer b.Release()
	ob := array.NewInt8Builder(mem)
	defer ob.Release()
	for _, r := range rows {
		if r.channel == nil {
			b.Field(0).AppendNull()
		} else {
			b.Field(0).(*array.StringBuilder).Append(r.channel.(string))
		}
		b.Field(1).(*array.Int64Builder).Append(r.bids)
		ob.Append(int8(r.op))
	}
	return exec.Message{Kind: exec.MsgBatch, Batch: b.NewRecord(), Ops: ob.NewInt8Array()}
}

var ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)

// lastDrawing is the text after the last "erase to the end of the screen".
func lastDrawing(out string) string {
	if i := strings.LastIndex(out, "\x1b[J"); i >= 0 {
		out = out[i+len("\x1b[J"):]
	}
	return ansi.ReplaceAllString(out, "")
}

// fakeClock is a clock the test moves.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestLiveTableUpdatesRowsInPlace(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var out bytes.Buffer
	clock := &fakeClock{t: time.Unix(0, 0)}
	l := newLiveSink(&out, "table", mem, func() (int, int) { return 80, 24 })
	l.now = clock.now
	ctx := context.Background()
	if err := l.Open(ctx, liveSchema, true); err != nil {
		t.Fatal(err)
	}
	write := func(m exec.Message) {
		t.Helper()
		if err := l.Write(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	write(changes(mem, change{exec.OpInsert, "apple", 1}, change{exec.OpInsert, "google", 1}, change{exec.OpInsert, nil, 1}))
	first := " channel | bids\n---------+------\n apple   |    1\n google  |    1\n NULL    |    1\n(3 rows)\n"
	if got := lastDrawing(out.String()); got != first {
		t.Fatalf("first drawing:\n%s\nwant:\n%s", got, first)
	}
	// Within the redraw interval nothing is drawn; the changes are kept.
	n := out.Len()
	write(changes(mem, change{exec.OpUpdateBefore, "apple", 1}, change{exec.OpUpdateAfter, "apple", 2}))
	if out.Len() != n {
		t.Fatalf("drew within the redraw interval: %q", out.String()[n:])
	}
	clock.t = clock.t.Add(time.Second)
	// Updates keep their rows' places, whether the -U and +U of a key are
	// side by side or, as the aggregation emits them, all the -U rows of
	// a batch come first; google is deleted; baidu is new.
	write(changes(mem,
		change{exec.OpUpdateBefore, "apple", 2}, change{exec.OpUpdateAfter, "apple", 3},
		change{exec.OpDelete, "google", 1}, change{exec.OpInsert, "baidu", 1}))
	clock.t = clock.t.Add(time.Second)
	write(changes(mem,
		change{exec.OpUpdateBefore, "apple", 3}, change{exec.OpUpdateBefore, nil, 1},
		change{exec.OpUpdateAfter, "apple", 4}, change{exec.OpUpdateAfter, nil, 10}))
	redraw := out.String()[n:]
	// The redraw goes back up over the six lines of the first drawing
	// and erases them.
	if !strings.HasPrefix(redraw, "\r\x1b[6A\x1b[J") {
		t.Errorf("redraw starts %q, want to move up 6 lines and erase", redraw)
	}
	second := " channel | bids\n---------+------\n apple   |    4\n NULL    |   10\n baidu   |    1\n(3 rows)\n"
	if got := lastDrawing(out.String()); got != second {
		t.Errorf("second drawing:\n%s\nwant:\n%s", got, second)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if got := lastDrawing(out.String()); got != second {
		t.Errorf("final drawing:\n%s\nwant:\n%s", got, second)
	}
}

// TestLiveTableLooksLikeTheTableFormat checks that the live table lays
// rows out exactly as the table encoder of `weir run` does.
func TestLiveTableLooksLikeTheTableFormat(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rows := []change{{exec.OpInsert, "a", 1}, {exec.OpInsert, "ünïcode 日本", 123456789}, {exec.OpInsert, nil, -5}, {exec.OpInsert, "tab\there", 0}}
	var want bytes.Buffer
	enc := format.NewTableEncoder(&want, liveSchema, format.EncoderOptions{})
	m := changes(mem, rows...)
	if err := enc.Write(m.Batch, nil); err != nil {
		t.Fatal(err)
	}
	m.Release()
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	l := newLiveSink(&out, "table", mem, nil)
	ctx := context.Background()
	if err := l.Open(ctx, liveSchema, true); err != nil {
		t.Fatal(err)
	}
	if err := l.Write(ctx, changes(mem, rows...)); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if got := lastDrawing(out.String()); got != want.String() {
		t.Errorf("live table:\n%s\ntable format:\n%s", got, want.String())
	}
}

func TestLiveTableFitsTheScreenWhileRunning(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var out bytes.Buffer
	l := newLiveSink(&out, "table", mem, func() (int, int) { return 80, 6 })
	ctx := context.Background()
	if err := l.Open(ctx, liveSchema, true); err != nil {
		t.Fatal(err)
	}
	var rows []change
	for _, c := range []string{"a", "b", "c", "d", "e"} {
		rows = append(rows, change{exec.OpInsert, c, 1})
	}
	if err := l.Write(ctx, changes(mem, rows...)); err != nil {
		t.Fatal(err)
	}
	// Six lines, one kept for the status line: header, rule, two rows, note.
	running := " channel | bids\n---------+------\n a       |    1\n b       |    1\n(5 rows, the first 2 shown)\n"
	if got := lastDrawing(out.String()); got != running {
		t.Errorf("while running:\n%s\nwant:\n%s", got, running)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	final := lastDrawing(out.String())
	if !strings.Contains(final, " e       |    1\n(5 rows)\n") {
		t.Errorf("final drawing should show every row:\n%s", final)
	}
}

func TestLiveSinkPassesAppendOnlyResultsThrough(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	for _, c := range []struct {
		format   string
		updating bool
		want     string
	}{
		{"table", false, " channel | bids\n---------+------\n a       |    1\n(1 row)\n"},
		{"csv", true, "op,channel,bids\n+I,a,1\n"},
		{"json", false, "{\"channel\":\"a\",\"bids\":1}\n"},
	} {
		var out bytes.Buffer
		l := newLiveSink(&out, c.format, mem, nil)
		ctx := context.Background()
		if err := l.Open(ctx, liveSchema, c.updating); err != nil {
			t.Fatal(err)
		}
		m := changes(mem, change{exec.OpInsert, "a", 1})
		if !c.updating {
			m.Ops.Release()
			m.Ops = nil
		}
		if err := l.Write(ctx, m); err != nil {
			t.Fatal(err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if out.String() != c.want {
			t.Errorf("%s (updating %v): %q, want %q", c.format, c.updating, out.String(), c.want)
		}
	}
}

func TestScreenLinesCountsWrappedLines(t *testing.T) {
	text := strings.Repeat("x", 25) + "\n" + "short\n" + strings.Repeat("y", 10) + "\n"
	if got := screenLines(text, 10); got != 3+1+1 {
		t.Errorf("screenLines = %d, want 5", got)
	}
	if got := screenLines(text, 0); got != 3 {
		t.Errorf("screenLines without a width = %d, want 3", got)
	}
}
