package arrowbuf

import (
	"testing"

	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

func TestValuesAppliesOffset(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	b := array.NewInt64Builder(mem)
	b.AppendValues([]int64{1, 2, 3, 4, 5}, nil)
	a := b.NewArray()
	b.Release()
	defer a.Release()
	s := array.NewSlice(a, 1, 4)
	defer s.Release()
	if got := Values[int64](s); len(got) != 3 || got[0] != 2 || got[2] != 4 {
		t.Errorf("Values of a slice = %v, want [2 3 4]", got)
	}
	buf, vals := AllocValues[int32](mem, 7)
	defer buf.Release()
	if len(vals) != 7 || cap(vals) != 7 || buf.Len() != 28 {
		t.Errorf("AllocValues: len %d cap %d bytes %d", len(vals), cap(vals), buf.Len())
	}
	bits, bb := AllocBits(mem, 17)
	defer bits.Release()
	if len(bb) != 3 || bb[0]|bb[1]|bb[2] != 0 {
		t.Errorf("AllocBits: %v, want 3 cleared bytes", bb)
	}
}
