package nexmark

import (
	"context"
	"errors"
	"io"
	"reflect"
	"testing"

	"github.com/apache/arrow/go/v17/arrow/memory"
)

// readSome reads up to n batches into r; it reports whether the source
// ended.
func readSome(t *testing.T, src *Source, r *rows, n int) bool {
	t.Helper()
	for i := 0; i < n; i++ {
		b, err := src.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return true
		}
		if err != nil {
			t.Fatal(err)
		}
		if b.Record != nil {
			r.add(b.Record, b.Split)
			b.Record.Release()
		}
	}
	return false
}

// TestPositionRestore stops after various numbers of batches, with several
// splits and events held back out of order, and resumes in a new source:
// the rows before and after make exactly one uninterrupted read.
func TestPositionRestore(t *testing.T) {
	raw := opts("nexmark.table", "bid", "events", "30000", "splits", "3",
		"out-of-order.fraction", "0.2", "out-of-order.delay", "1s")
	want := generate(t, raw, 500)
	for _, stop := range []int{0, 1, 5, 17, 40, 1000} {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		got := &rows{}
		first := open(t, mem, raw, nil, 500)
		ended := readSome(t, first, got, stop)
		pos, err := first.Position()
		if err != nil {
			t.Fatal(err)
		}
		first.Close()
		second := open(t, mem, raw, nil, 500)
		if err := second.Restore(pos); err != nil {
			t.Fatal(err)
		}
		if !ended {
			readSome(t, second, got, 1<<20)
		}
		second.Close()
		mem.AssertSize(t, 0)
		if got.n != want.n || !reflect.DeepEqual(got.i64, want.i64) || !reflect.DeepEqual(got.str, want.str) || !reflect.DeepEqual(got.split, want.split) {
			t.Fatalf("stop after %d batches: %d rows resumed, want %d, or other values", stop, got.n, want.n)
		}
	}
	src := open(t, nil, opts("nexmark.table", "bid", "events", "100", "splits", "2"), nil, 10)
	pos, _ := src.Position()
	other := open(t, nil, opts("nexmark.table", "bid", "events", "100", "splits", "3"), nil, 10)
	if err := other.Restore(pos); err == nil {
		t.Fatal("restored a position of 2 splits into 3")
	}
}
