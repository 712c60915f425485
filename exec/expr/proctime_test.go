package expr

import (
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/sqltypes"
)

func TestProcClockNeverGoesBack(t *testing.T) {
	var now int64
	c := NewProcClock(func() time.Time { return time.UnixMilli(now) })
	for _, step := range []struct{ now, want int64 }{{5000, 5000}, {3000, 5000}, {5000, 5000}, {6001, 6001}, {0, 6001}} {
		now = step.now
		if got := c.Millis(); got != step.want {
			t.Errorf("clock at %d: Millis() = %d, want %d", step.now, got, step.want)
		}
	}
}

// TestProcTime: PROCTIME() is one reading of the context's clock for every
// row of a batch, and a new reading for the next batch.
func TestProcTime(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	f, ok := LookupFunc("PROCTIME")
	if !ok {
		t.Fatal("PROCTIME is not registered")
	}
	ret, want, err := f.Resolve(nil)
	if err != nil || !arrow.TypeEqual(ret, sqltypes.Timestamp) || len(want) != 0 {
		t.Fatalf("Resolve() = %v, %v, %v", ret, want, err)
	}
	if _, _, err := f.Resolve([]arrow.DataType{sqltypes.Int}); err == nil {
		t.Error("PROCTIME(1) resolved")
	}
	e, err := f.New(nil, ret)
	if err != nil {
		t.Fatal(err)
	}
	reads := 0
	ctx := &Context{Mem: mem, Proc: NewProcClock(func() time.Time {
		reads++
		return time.UnixMilli(int64(1000 * reads))
	})}
	batch := array.NewRecord(arrow.NewSchema(nil, nil), nil, 3)
	defer batch.Release()
	for _, wantMs := range []int64{1000, 2000} {
		arr, err := e.Eval(ctx, batch)
		if err != nil {
			t.Fatal(err)
		}
		ts := arr.(*array.Timestamp)
		if ts.Len() != 3 || ts.NullN() != 0 {
			t.Fatalf("%d values, %d NULL", ts.Len(), ts.NullN())
		}
		for i := 0; i < 3; i++ {
			if int64(ts.Value(i)) != wantMs {
				t.Errorf("row %d = %d, want %d", i, ts.Value(i), wantMs)
			}
		}
		arr.Release()
	}
	if e.String() != "PROCTIME()" {
		t.Errorf("String() = %q", e.String())
	}
	// Without a clock it reads the wall clock.
	arr, err := e.Eval(&Context{Mem: mem}, batch)
	if err != nil {
		t.Fatal(err)
	}
	defer arr.Release()
	if d := time.Since(time.UnixMilli(int64(arr.(*array.Timestamp).Value(0)))); d < 0 || d > time.Minute {
		t.Errorf("PROCTIME() without a clock is %v from now", d)
	}
}
