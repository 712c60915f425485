package exec

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/compute"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// SortKey orders by one input column.
type SortKey struct {
	Column     int
	Desc       bool
	NullsFirst bool
}

// Sort buffers its whole (bounded) input, then emits it ordered by the keys
// in batches of the input's size. The sort is stable. Watermarks are
// dropped: rows leave only at the end. Over an updating input it applies
// the changelog first (a -U or -D row retracts an equal earlier row) and
// sorts the final rows, which it emits as an append-only stream.
type Sort struct {
	input   Operator
	keys    []SortKey
	mem     memory.Allocator
	batches []arrow.Record
	ops     []*array.Int8 // per batch; nil for append-only batches
	out     []arrow.Record
	sorted  bool
}

var _ Operator = (*Sort)(nil)
var _ Describer = (*Sort)(nil)

// NewSort builds a sort over input.
func NewSort(input Operator, keys []SortKey, mem memory.Allocator) *Sort {
	return &Sort{input: input, keys: keys, mem: mem}
}

// Schema implements Operator.
func (s *Sort) Schema() *arrow.Schema { return s.input.Schema() }

// Children implements Operator.
func (s *Sort) Children() []Operator { return []Operator{s.input} }

// Describe implements Describer.
func (s *Sort) Describe() string {
	parts := make([]string, len(s.keys))
	for i, k := range s.keys {
		parts[i] = s.input.Schema().Field(k.Column).Name
		if k.Desc {
			parts[i] += " DESC"
		}
		if k.NullsFirst {
			parts[i] += " NULLS FIRST"
		} else {
			parts[i] += " NULLS LAST"
		}
	}
	return "SortExec: " + strings.Join(parts, ", ")
}

// Open implements Operator.
func (s *Sort) Open(ctx context.Context) error { return s.input.Open(ctx) }

// Next implements Operator.
func (s *Sort) Next(ctx context.Context) (Message, error) {
	for !s.sorted {
		m, err := s.input.Next(ctx)
		if err != nil {
			return m, err
		}
		switch m.Kind {
		case MsgBatch:
			if m.Batch.NumRows() > 0 {
				s.batches = append(s.batches, m.Batch)
				s.ops = append(s.ops, m.Ops)
			} else {
				m.Release()
			}
		case MsgBarrier:
			return m, nil // the buffered batches are the sort's state
		case MsgEnd:
			if err := s.sort(ctx); err != nil {
				return Message{}, err
			}
			s.sorted = true
		}
	}
	if len(s.out) == 0 {
		return EndMessage(), nil
	}
	rec := s.out[0]
	s.out = s.out[1:]
	return BatchMessage(rec), nil
}

func (s *Sort) sort(ctx context.Context) error {
	if len(s.batches) == 0 {
		return nil
	}
	schema := s.input.Schema()
	total := int64(0)
	for _, b := range s.batches {
		total += b.NumRows()
	}
	// Emit batches as large as the largest input batch.
	batchSize := int64(1)
	for _, b := range s.batches {
		batchSize = max(batchSize, b.NumRows())
	}
	cols := make([]arrow.Array, schema.NumFields())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i := range cols {
		parts := make([]arrow.Array, len(s.batches))
		for j, b := range s.batches {
			parts[j] = b.Column(i)
		}
		c, err := array.Concatenate(parts, s.mem)
		if err != nil {
			return fmt.Errorf("sort: %w", err)
		}
		cols[i] = c
	}
	var alive []bool
	if slices.ContainsFunc(s.ops, func(o *array.Int8) bool { return o != nil }) {
		alive = liveRows(cols, s.batches, s.ops)
	}
	for i, b := range s.batches {
		b.Release()
		if s.ops[i] != nil {
			s.ops[i].Release()
		}
	}
	s.batches, s.ops = nil, nil

	cmps := make([]func(i, j int) int, len(s.keys))
	for k, key := range s.keys {
		c, err := comparator(cols[key.Column])
		if err != nil {
			return err
		}
		col, desc, nullsFirst := cols[key.Column], key.Desc, key.NullsFirst
		cmps[k] = func(i, j int) int {
			ni, nj := col.IsNull(i), col.IsNull(j)
			switch {
			case ni && nj:
				return 0
			case ni:
				if nullsFirst {
					return -1
				}
				return 1
			case nj:
				if nullsFirst {
					return 1
				}
				return -1
			}
			r := c(i, j)
			if desc {
				return -r
			}
			return r
		}
	}
	idx := make([]int64, 0, total)
	for i := int64(0); i < total; i++ {
		if alive == nil || alive[i] {
			idx = append(idx, i)
		}
	}
	total = int64(len(idx))
	if total == 0 {
		return nil
	}
	// The row index as the last key makes the order total, so an unstable
	// sort gives the stable result (and is several times faster).
	slices.SortFunc(idx, func(a, b int64) int {
		for _, c := range cmps {
			if r := c(int(a), int(b)); r != 0 {
				return r
			}
		}
		return cmp.Compare(a, b)
	})
	ib := array.NewInt64Builder(s.mem)
	defer ib.Release()
	ib.AppendValues(idx, nil)
	indices := ib.NewInt64Array()
	defer indices.Release()
	cctx := compute.WithAllocator(ctx, s.mem)
	sortedCols := make([]arrow.Array, len(cols))
	for i, c := range cols {
		t, err := compute.TakeArray(cctx, c, indices)
		if err != nil {
			for _, x := range sortedCols[:i] {
				x.Release()
			}
			return fmt.Errorf("sort: %w", err)
		}
		sortedCols[i] = t
	}
	all := array.NewRecord(schema, sortedCols, total)
	for _, c := range sortedCols {
		c.Release()
	}
	defer all.Release()
	for off := int64(0); off < total; off += batchSize {
		s.out = append(s.out, all.NewSlice(off, min(off+batchSize, total)))
	}
	return nil
}

// comparator returns a three-way comparison of two non-null rows of a.
func comparator(a arrow.Array) (func(i, j int) int, error) {
	switch a := a.(type) {
	case *array.Int32:
		v := a.Int32Values()
		return func(i, j int) int { return cmp.Compare(v[i], v[j]) }, nil
	case *array.Int64:
		v := a.Int64Values()
		return func(i, j int) int { return cmp.Compare(v[i], v[j]) }, nil
	case *array.Float32:
		v := a.Float32Values()
		return func(i, j int) int { return cmp.Compare(v[i], v[j]) }, nil
	case *array.Float64:
		v := a.Float64Values()
		return func(i, j int) int { return cmp.Compare(v[i], v[j]) }, nil
	case *array.Timestamp:
		v := a.TimestampValues()
		return func(i, j int) int { return cmp.Compare(v[i], v[j]) }, nil
	case *array.Date32:
		v := a.Date32Values()
		return func(i, j int) int { return cmp.Compare(v[i], v[j]) }, nil
	case *array.Duration:
		v := a.DurationValues()
		return func(i, j int) int { return cmp.Compare(v[i], v[j]) }, nil
	case *array.Decimal128:
		return func(i, j int) int { return a.Value(i).Cmp(a.Value(j)) }, nil
	case *array.String:
		return func(i, j int) int { return strings.Compare(a.Value(i), a.Value(j)) }, nil
	case *array.Binary:
		return func(i, j int) int { return bytes.Compare(a.Value(i), a.Value(j)) }, nil
	case *array.Boolean:
		return func(i, j int) int {
			x, y := a.Value(i), a.Value(j)
			switch {
			case x == y:
				return 0
			case !x:
				return -1
			}
			return 1
		}, nil
	case *array.Null:
		return func(i, j int) int { return 0 }, nil
	}
	return nil, fmt.Errorf("ORDER BY on %s is not supported", a.DataType())
}

// Close implements Operator.
func (s *Sort) Close() error {
	for i, b := range s.batches {
		b.Release()
		if s.ops[i] != nil {
			s.ops[i].Release()
		}
	}
	for _, b := range s.out {
		b.Release()
	}
	s.batches, s.ops, s.out = nil, nil, nil
	return s.input.Close()
}
