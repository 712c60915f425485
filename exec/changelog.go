package exec

import (
	"fmt"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// Changelog materializes an updating stream: it buffers batches with their
// ops and gives the rows still live after applying them, where +I and +U
// add a row and -U and -D retract the latest earlier live row with equal
// values. Sort and the table view of standard output use it to show the
// latest value per key.
type Changelog struct {
	mem     memory.Allocator
	schema  *arrow.Schema
	batches []arrow.Record
	ops     []*array.Int8
}

// NewChangelog returns an empty changelog of batches of the given schema.
func NewChangelog(mem memory.Allocator, schema *arrow.Schema) *Changelog {
	return &Changelog{mem: mem, schema: schema}
}

// Add takes over a batch and its ops (nil: all inserts).
func (c *Changelog) Add(rec arrow.Record, ops *array.Int8) {
	if rec.NumRows() == 0 {
		rec.Release()
		if ops != nil {
			ops.Release()
		}
		return
	}
	c.batches = append(c.batches, rec)
	c.ops = append(c.ops, ops)
}

// Result returns the live rows, in the order they were inserted.
func (c *Changelog) Result() (arrow.Record, error) {
	if len(c.batches) == 0 {
		return array.NewRecord(c.schema, emptyColumns(c.mem, c.schema), 0), nil
	}
	cols := make([]arrow.Array, c.schema.NumFields())
	defer releaseAll(cols)
	for i := range cols {
		parts := make([]arrow.Array, len(c.batches))
		for j, b := range c.batches {
			parts[j] = b.Column(i)
		}
		col, err := array.Concatenate(parts, c.mem)
		if err != nil {
			return nil, fmt.Errorf("changelog: %w", err)
		}
		cols[i] = col
	}
	alive := liveRows(cols, c.batches, c.ops)
	var rows []int32
	for i, ok := range alive {
		if ok {
			rows = append(rows, int32(i))
		}
	}
	all := array.NewRecord(c.schema, cols, int64(len(alive)))
	defer all.Release()
	return takeRows(c.mem, all, rows)
}

// Release frees the buffered batches.
func (c *Changelog) Release() {
	for i, b := range c.batches {
		b.Release()
		if c.ops[i] != nil {
			c.ops[i].Release()
		}
	}
	c.batches, c.ops = nil, nil
}

func emptyColumns(mem memory.Allocator, schema *arrow.Schema) []arrow.Array {
	cols := make([]arrow.Array, schema.NumFields())
	for i, f := range schema.Fields() {
		b := array.NewBuilder(mem, f.Type)
		cols[i] = b.NewArray()
		b.Release()
	}
	return cols
}

// liveRows marks which rows of the concatenated columns survive the
// changelog carried by ops (one per batch; nil for all inserts): each -U or
// -D row retracts the latest earlier live row with equal values and is not
// itself live.
func liveRows(cols []arrow.Array, batches []arrow.Record, ops []*array.Int8) []bool {
	total := 0
	for _, b := range batches {
		total += int(b.NumRows())
	}
	alive := make([]bool, total)
	live := map[string][]int{}
	var key strings.Builder
	row := 0
	for bi, b := range batches {
		for r := 0; r < int(b.NumRows()); r, row = r+1, row+1 {
			op := OpInsert
			if ops[bi] != nil {
				op = Op(ops[bi].Value(r))
			}
			key.Reset()
			for _, c := range cols {
				if c.IsNull(row) {
					key.WriteString("\x00N")
				} else {
					key.WriteString("\x00V")
					key.WriteString(c.ValueStr(row))
				}
			}
			k := key.String()
			switch op {
			case OpInsert, OpUpdateAfter:
				alive[row] = true
				live[k] = append(live[k], row)
			case OpUpdateBefore, OpDelete:
				if rows := live[k]; len(rows) > 0 {
					alive[rows[len(rows)-1]] = false
					live[k] = rows[:len(rows)-1]
				}
			}
		}
	}
	return alive
}
