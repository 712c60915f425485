package exec

// OVER aggregation (Flink's "over aggregation"): every input row comes out
// once, with aggregates over a frame of the rows of its partition that
// precede it in time order, up to the row itself:
//
//	SELECT sensor, ts, temp,
//	  AVG(temp) OVER (PARTITION BY sensor ORDER BY ts
//	                  RANGE BETWEEN INTERVAL '1' MINUTE PRECEDING AND CURRENT ROW)
//	FROM readings
//
// Over event time a row waits until the watermark passes its time (so
// that every row before it, and every peer at its time, has come); rows
// are then taken in order of time, and of arrival among equal times. Over
// processing time rows are taken as they arrive. The output is
// append-only.
//
// Each partition keeps the rows of its frame (their times and the
// aggregates' arguments, not whole rows) and running accumulators: COUNT,
// SUM and AVG add a row as it enters the frame and take it back as it
// leaves; MIN and MAX keep a monotonic queue of the frame's candidates, so
// each row costs amortized O(1). Unbounded frames keep only the
// accumulators.

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/exec/agg"
	"github.com/weirsql/weir/internal/arrowbuf"
	"github.com/weirsql/weir/sqltypes"
)

// OverFrame is the frame of an OVER aggregation: the rows of the current
// row's partition from Preceding before it up to the current row (and, in
// RANGE mode, its peers: the rows with the same time).
type OverFrame struct {
	// Rows counts the frame in rows (ROWS); else it spans an interval of
	// the order column (RANGE).
	Rows bool
	// Unbounded starts the frame at the partition's first row (UNBOUNDED
	// PRECEDING).
	Unbounded bool
	// Preceding is how far back the frame starts: rows, or milliseconds; 0
	// is CURRENT ROW.
	Preceding int64
}

func (f OverFrame) String() string {
	unit := "RANGE"
	if f.Rows {
		unit = "ROWS"
	}
	switch {
	case f.Unbounded:
		return unit + " BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"
	case f.Preceding == 0:
		return unit + " BETWEEN CURRENT ROW AND CURRENT ROW"
	case f.Rows:
		return fmt.Sprintf("ROWS BETWEEN %d PRECEDING AND CURRENT ROW", f.Preceding)
	}
	return fmt.Sprintf("RANGE BETWEEN %s PRECEDING AND CURRENT ROW", time.Duration(f.Preceding)*time.Millisecond)
}

// OverCall is one aggregate of an OVER aggregation.
type OverCall struct {
	// Func is agg.Count, agg.CountStar, agg.Sum, agg.Avg, agg.Min or
	// agg.Max.
	Func agg.Func
	// Arg is the argument's input column; -1 for COUNT(*).
	Arg int
}

// OverSpec describes an OverAggregate.
type OverSpec struct {
	// Partition lists the input columns of the partition key; none make
	// one partition.
	Partition []int
	// TimeCol is the ORDER BY column, a TIMESTAMP: the input's watermark
	// column, or a processing-time attribute (ByArrival).
	TimeCol int
	// ByArrival takes rows as they arrive (ORDER BY a processing-time
	// attribute) instead of waiting for the watermark.
	ByArrival bool
	Frame     OverFrame
	Calls     []OverCall
	// Schema is the output: the input's columns, then one column per call.
	Schema *arrow.Schema
}

// OverCallType is the result type of call over an argument of type arg
// (nil for COUNT(*)), or an error for what OVER aggregation does not
// compute: COUNT and COUNT(*), SUM and AVG over integers and floats, MIN
// and MAX over those and timestamps.
func OverCallType(fn agg.Func, arg arrow.DataType) (arrow.DataType, error) {
	switch fn {
	case agg.CountStar, agg.Count:
		return sqltypes.BigInt, nil
	case agg.Sum, agg.Avg, agg.Min, agg.Max:
	default:
		return nil, fmt.Errorf("%s OVER (...) is not supported yet; COUNT, SUM, AVG, MIN and MAX are", fn)
	}
	if arg == nil {
		return nil, fmt.Errorf("%s needs an argument", fn)
	}
	if _, ok := overKindOf(arg); !ok || arg.ID() == arrow.TIMESTAMP && (fn == agg.Sum || fn == agg.Avg) {
		return nil, fmt.Errorf("%s(%s) OVER (...) is not supported: OVER aggregates take integers and floats (MIN and MAX also timestamps)", fn, sqltypes.Name(arg))
	}
	return agg.ResultType(agg.Spec{Func: fn, Arg: arg})
}

// overKindOf says whether a column's values are kept as integers (false)
// or floats (true).
func overKindOf(t arrow.DataType) (float bool, ok bool) {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.TIMESTAMP:
		return false, true
	case arrow.FLOAT32, arrow.FLOAT64:
		return true, true
	}
	return false, false
}

// Validate checks the spec against the input's schema.
func (s *OverSpec) Validate(in *arrow.Schema) error {
	n := in.NumFields()
	for _, c := range s.Partition {
		if c < 0 || c >= n {
			return fmt.Errorf("over: partition column %d out of range", c)
		}
	}
	if s.TimeCol < 0 || s.TimeCol >= n || in.Field(s.TimeCol).Type.ID() != arrow.TIMESTAMP {
		return fmt.Errorf("over: the order column must be a TIMESTAMP column")
	}
	if s.Frame.Preceding < 0 {
		return fmt.Errorf("over: negative frame bound %d", s.Frame.Preceding)
	}
	if s.Schema == nil || s.Schema.NumFields() != n+len(s.Calls) {
		return fmt.Errorf("over: the output schema must have the %d input columns and %d aggregates", n, len(s.Calls))
	}
	for i := 0; i < n; i++ {
		if !arrow.TypeEqual(s.Schema.Field(i).Type, in.Field(i).Type) {
			return fmt.Errorf("over: output column %q is %s, its input column is %s", s.Schema.Field(i).Name, sqltypes.Name(s.Schema.Field(i).Type), sqltypes.Name(in.Field(i).Type))
		}
		if err := gatherable(in.Field(i).Type); err != nil {
			return err
		}
	}
	for k, c := range s.Calls {
		var arg arrow.DataType
		if c.Func != agg.CountStar {
			if c.Arg < 0 || c.Arg >= n {
				return fmt.Errorf("over: argument column %d out of range", c.Arg)
			}
			arg = in.Field(c.Arg).Type
		}
		t, err := OverCallType(c.Func, arg)
		if err != nil {
			return err
		}
		if got := s.Schema.Field(n + k).Type; !arrow.TypeEqual(got, t) {
			return fmt.Errorf("over: output column %q is %s, %s gives %s", s.Schema.Field(n+k).Name, sqltypes.Name(got), c.Func, sqltypes.Name(t))
		}
	}
	return nil
}

// OverAggregate computes an OverSpec over its input.
type OverAggregate struct {
	input Operator
	spec  OverSpec
	mem   memory.Allocator
	err   error // an invalid spec, reported by Open and RestoreState

	floats    []bool       // per call: its values are floats
	parts     *agg.Table   // partition key → partition id
	states    []*overPart  // per partition id
	batches   []*overBatch // records of waiting rows; nil entries are free
	freeBatch []int32      // free entries of batches
	waiting   []overRow    // event time: rows waiting for the watermark
	watermark int64        // the last watermark handled
	seq       uint64       // arrival order of rows
	late      int64        // rows behind the watermark when they came
	nullTime  int64        // rows without a time
	pending   []Message    // output not yet returned
	done      bool
	touched   []uint32 // scratch: partitions of a run of peers
	refs      rowRefs  // scratch: the output rows' sources
	pids      []uint32 // scratch
}

// overRow is a row waiting for the watermark, or being processed.
type overRow struct {
	ts    int64
	seq   uint64
	batch int32
	row   int32
	pid   uint32
}

// overBatch is an input record with rows waiting, and its aggregates'
// arguments as flat values.
type overBatch struct {
	rec     arrow.Record
	waiting int         // rows of it still waiting
	ints    [][]int64   // per call: integer arguments (nil for floats)
	flts    [][]float64 // per call: float arguments
	valid   [][]bool    // per call: the argument is not NULL (nil: all are)
}

// overPart is one partition's frame and accumulators.
type overPart struct {
	// The frame's rows, oldest first (bounded frames): times and each
	// call's argument (float bits for floats), from index head on; the
	// row at index i is number off+i of the partition.
	ts    []int64
	vals  [][]int64
	nulls [][]bool
	head  int
	off   int64
	acc   []overAcc
}

// overAcc is one call's accumulator in one partition.
type overAcc struct {
	n    int64 // non-NULL arguments in the frame (rows, for COUNT(*))
	sumI int64
	sumF float64
	// MIN, MAX: over a bounded frame, the row numbers of the frame's
	// candidates, best first; over an unbounded one, the best value.
	queue []int64
	best  int64
	has   bool
}

var (
	_ Operator  = (*OverAggregate)(nil)
	_ Describer = (*OverAggregate)(nil)
)

// NewOverAggregate builds an OverAggregate over input; an invalid spec is
// reported by Open.
func NewOverAggregate(input Operator, spec OverSpec, mem memory.Allocator) *OverAggregate {
	o := &OverAggregate{input: input, spec: spec, mem: mem, watermark: WatermarkMin}
	o.err = spec.Validate(input.Schema())
	if o.err == nil {
		in := input.Schema()
		for _, c := range spec.Calls {
			f := false
			if c.Arg >= 0 {
				f, _ = overKindOf(in.Field(c.Arg).Type)
			}
			o.floats = append(o.floats, f)
		}
	}
	return o
}

// Schema implements Operator.
func (o *OverAggregate) Schema() *arrow.Schema { return o.spec.Schema }

// Children implements Operator.
func (o *OverAggregate) Children() []Operator { return []Operator{o.input} }

// Describe implements Describer.
func (o *OverAggregate) Describe() string {
	in := o.input.Schema()
	parts := make([]string, len(o.spec.Partition))
	for i, c := range o.spec.Partition {
		parts[i] = in.Field(c).Name
	}
	calls := make([]string, len(o.spec.Calls))
	for i, c := range o.spec.Calls {
		if c.Func == agg.CountStar {
			calls[i] = "COUNT(*)"
		} else {
			calls[i] = fmt.Sprintf("%s(%s)", c.Func, in.Field(c.Arg).Name)
		}
	}
	by := ""
	if o.spec.ByArrival {
		by = " by arrival"
	}
	return fmt.Sprintf("OverAggregateExec: [%s] partition=[%s] order=[%s]%s %s", strings.Join(calls, ", "),
		strings.Join(parts, ", "), in.Field(o.spec.TimeCol).Name, by, o.spec.Frame)
}

// LateRows is the number of rows dropped for coming behind the watermark.
func (o *OverAggregate) LateRows() int64 { return o.late }

// LateReason says why late rows were dropped, for the report.
func (o *OverAggregate) LateReason() string {
	return "they came behind the watermark, after the OVER aggregate had emitted later rows"
}

// NullTimeRows is the number of rows dropped for a NULL time.
func (o *OverAggregate) NullTimeRows() int64 { return o.nullTime }

// StateRows is the number of rows held: waiting for the watermark, and in
// the partitions' frames.
func (o *OverAggregate) StateRows() int64 {
	n := int64(len(o.waiting))
	for _, p := range o.states {
		n += int64(len(p.ts) - p.head)
	}
	return n
}

// StateBytes estimates the memory the state holds.
func (o *OverAggregate) StateBytes() int64 {
	var b int64
	for _, bt := range o.batches {
		if bt != nil {
			b += recordBytes(bt.rec)
			for k := range bt.ints {
				b += int64(cap(bt.ints[k]))*8 + int64(cap(bt.flts[k]))*8 + int64(cap(bt.valid[k]))
			}
		}
	}
	b += int64(cap(o.waiting)) * 32
	for _, p := range o.states {
		b += int64(cap(p.ts))*8 + 64
		for k := range p.vals {
			b += int64(cap(p.vals[k]))*8 + int64(cap(p.nulls[k]))
		}
		for _, a := range p.acc {
			b += int64(cap(a.queue))*8 + 48
		}
	}
	if o.parts != nil {
		b += o.parts.MemoryBytes()
	}
	return b
}

// init makes the partition table unless Open or a restore did.
func (o *OverAggregate) init() error {
	if o.err != nil {
		return o.err
	}
	if o.parts != nil {
		return nil
	}
	in := o.input.Schema()
	keyTypes := make([]arrow.DataType, len(o.spec.Partition))
	for i, c := range o.spec.Partition {
		keyTypes[i] = in.Field(c).Type
	}
	t, err := agg.NewTable(o.mem, keyTypes, nil)
	if err != nil {
		return fmt.Errorf("over: %w", err)
	}
	o.parts = t
	return nil
}

// Open implements Operator.
func (o *OverAggregate) Open(ctx context.Context) error {
	if err := o.init(); err != nil {
		return err
	}
	return o.input.Open(ctx)
}

// Next implements Operator.
func (o *OverAggregate) Next(ctx context.Context) (Message, error) {
	for len(o.pending) == 0 {
		if o.done {
			return EndMessage(), nil
		}
		m, err := o.input.Next(ctx)
		if err != nil {
			return Message{}, err
		}
		switch m.Kind {
		case MsgBatch:
			err := o.consume(m)
			m.Release()
			if err != nil {
				return Message{}, err
			}
		case MsgWatermark:
			if m.Watermark > o.watermark {
				o.watermark = m.Watermark
				if err := o.release(m.Watermark); err != nil {
					m.Release()
					return Message{}, err
				}
			}
			o.pending = append(o.pending, m)
		case MsgEnd:
			if err := o.release(WatermarkMax); err != nil {
				return Message{}, err
			}
			o.done = true
		default:
			o.pending = append(o.pending, m)
		}
	}
	m := o.pending[0]
	o.pending[0] = Message{}
	o.pending = o.pending[1:]
	return m, nil
}

// consume takes in a batch: over processing time its rows are aggregated
// and emitted at once; over event time they wait for the watermark.
func (o *OverAggregate) consume(m Message) error {
	if m.Ops != nil {
		return fmt.Errorf("OVER aggregation over an updating stream (a changelog) is not supported")
	}
	rec := m.Batch
	n := int(rec.NumRows())
	if n == 0 {
		return nil
	}
	ts, ok := rec.Column(o.spec.TimeCol).(*array.Timestamp)
	if !ok {
		return fmt.Errorf("over: order column %d is %s, not TIMESTAMP", o.spec.TimeCol, rec.Column(o.spec.TimeCol).DataType())
	}
	times := arrowbuf.Values[int64](ts)
	keys := make([]arrow.Array, len(o.spec.Partition))
	for i, c := range o.spec.Partition {
		keys[i] = rec.Column(c)
	}
	o.pids = grow(o.pids, n)
	o.parts.Lookup(keys, nil, o.pids)
	for len(o.states) < o.parts.Len() {
		o.states = append(o.states, o.newPart())
	}
	bi, err := o.addBatch(rec)
	if err != nil {
		return err
	}
	b := o.batches[bi]
	rows := make([]overRow, 0, n)
	for i := 0; i < n; i++ {
		switch {
		case ts.IsNull(i):
			o.nullTime++
			continue
		case !o.spec.ByArrival && times[i] < o.watermark:
			o.late++
			continue
		}
		o.seq++
		rows = append(rows, overRow{ts: times[i], seq: o.seq, batch: bi, row: int32(i), pid: o.pids[i]})
	}
	b.waiting = len(rows)
	if len(rows) == 0 {
		o.dropBatch(bi)
		return nil
	}
	if o.spec.ByArrival {
		return o.process(rows)
	}
	o.waiting = append(o.waiting, rows...)
	return nil
}

// addBatch keeps rec (retaining it) with its arguments as flat values.
func (o *OverAggregate) addBatch(rec arrow.Record) (int32, error) {
	b := &overBatch{rec: rec}
	for k, c := range o.spec.Calls {
		var ints []int64
		var flts []float64
		var valid []bool
		if c.Arg >= 0 {
			col := rec.Column(c.Arg)
			var err error
			if ints, flts, err = overValues(col, o.floats[k]); err != nil {
				return 0, err
			}
			if col.NullN() > 0 {
				valid = make([]bool, col.Len())
				for i := range valid {
					valid[i] = col.IsValid(i)
				}
			}
		}
		b.ints, b.flts, b.valid = append(b.ints, ints), append(b.flts, flts), append(b.valid, valid)
	}
	rec.Retain()
	if k := len(o.freeBatch); k > 0 {
		bi := o.freeBatch[k-1]
		o.freeBatch = o.freeBatch[:k-1]
		o.batches[bi] = b
		return bi, nil
	}
	o.batches = append(o.batches, b)
	return int32(len(o.batches) - 1), nil
}

func (o *OverAggregate) dropBatch(bi int32) {
	o.batches[bi].rec.Release()
	o.batches[bi] = nil
	o.freeBatch = append(o.freeBatch, bi)
}

// overValues reads a numeric or timestamp column as int64s or float64s.
func overValues(col arrow.Array, float bool) ([]int64, []float64, error) {
	n := col.Len()
	switch c := col.(type) {
	case *array.Int64:
		return slices.Clone(c.Int64Values()), nil, nil
	case *array.Timestamp:
		return slices.Clone(arrowbuf.Values[int64](c)), nil, nil
	case *array.Int32:
		return toInt64s(c.Int32Values()), nil, nil
	case *array.Int16:
		return toInt64s(c.Int16Values()), nil, nil
	case *array.Int8:
		return toInt64s(c.Int8Values()), nil, nil
	case *array.Float64:
		return nil, slices.Clone(c.Float64Values()), nil
	case *array.Float32:
		out := make([]float64, n)
		for i, v := range c.Float32Values() {
			out[i] = float64(v)
		}
		return nil, out, nil
	}
	return nil, nil, fmt.Errorf("over: cannot aggregate a %s column (float=%v)", sqltypes.Name(col.DataType()), float)
}

func toInt64s[T int8 | int16 | int32](vs []T) []int64 {
	out := make([]int64, len(vs))
	for i, v := range vs {
		out[i] = int64(v)
	}
	return out
}

// release aggregates and emits, in order of time, the waiting rows whose
// time is before wm: no row at or before their time can come any more.
func (o *OverAggregate) release(wm int64) error {
	if len(o.waiting) == 0 {
		return nil
	}
	slices.SortFunc(o.waiting, func(a, b overRow) int {
		if a.ts != b.ts {
			if a.ts < b.ts {
				return -1
			}
			return 1
		}
		if a.seq < b.seq {
			return -1
		}
		return 1
	})
	k := 0
	for k < len(o.waiting) && (o.waiting[k].ts < wm || wm == WatermarkMax) {
		k++
	}
	if k == 0 {
		return nil
	}
	ready := slices.Clone(o.waiting[:k])
	o.waiting = append(o.waiting[:0], o.waiting[k:]...)
	return o.process(ready)
}

// newPart makes an empty partition state.
func (o *OverAggregate) newPart() *overPart {
	p := &overPart{acc: make([]overAcc, len(o.spec.Calls))}
	if !o.spec.Frame.Unbounded {
		p.vals = make([][]int64, len(o.spec.Calls))
		p.nulls = make([][]bool, len(o.spec.Calls))
	}
	return p
}

// process aggregates rows, in the order given (time, then arrival), and
// queues them with their aggregates; the waiting count of their batches
// goes down, and batches left without waiting rows are released.
func (o *OverAggregate) process(rows []overRow) error {
	nc := len(o.spec.Calls)
	res := make([][]int64, nc)
	fres := make([][]float64, nc)
	null := make([][]bool, nc)
	for k := range o.spec.Calls {
		if o.resultFloat(k) {
			fres[k] = make([]float64, len(rows))
		} else {
			res[k] = make([]int64, len(rows))
		}
		null[k] = make([]bool, len(rows))
	}
	fr := o.spec.Frame
	for i := 0; i < len(rows); {
		// A run: one row (ROWS), or the rows with one time (RANGE: peers
		// see each other).
		j := i + 1
		if !fr.Rows {
			for j < len(rows) && rows[j].ts == rows[i].ts {
				j++
			}
		}
		o.touched = o.touched[:0]
		for _, r := range rows[i:j] {
			p := o.states[r.pid]
			o.push(p, r)
			if fr.Rows && !fr.Unbounded {
				for int64(len(p.ts)-p.head) > fr.Preceding+1 {
					o.pop(p)
				}
			}
			if !fr.Rows && !fr.Unbounded && len(p.ts)-p.head > 0 && (len(o.touched) == 0 || o.touched[len(o.touched)-1] != r.pid) {
				o.touched = append(o.touched, r.pid)
			}
		}
		if !fr.Rows && !fr.Unbounded {
			cut := satAdd(rows[i].ts, -fr.Preceding)
			for _, pid := range o.touched {
				p := o.states[pid]
				for len(p.ts)-p.head > 0 && p.ts[p.head] < cut {
					o.pop(p)
				}
			}
		}
		for x := i; x < j; x++ {
			p := o.states[rows[x].pid]
			for k := range o.spec.Calls {
				o.result(p, k, x, res, fres, null)
			}
		}
		i = j
	}
	return o.emit(rows, res, fres, null)
}

// resultFloat says whether call k's result is a float.
func (o *OverAggregate) resultFloat(k int) bool {
	switch o.spec.Calls[k].Func {
	case agg.Avg:
		return true
	case agg.Sum, agg.Min, agg.Max:
		return o.floats[k]
	}
	return false
}

// push adds row r to partition p's frame.
func (o *OverAggregate) push(p *overPart, r overRow) {
	b := o.batches[r.batch]
	bounded := !o.spec.Frame.Unbounded
	abs := p.off + int64(len(p.ts))
	if bounded {
		p.ts = append(p.ts, r.ts)
	}
	for k, c := range o.spec.Calls {
		a := &p.acc[k]
		isNull := c.Arg >= 0 && b.valid[k] != nil && !b.valid[k][r.row]
		var v int64
		if c.Arg >= 0 {
			if o.floats[k] {
				v = int64(math.Float64bits(b.flts[k][r.row]))
			} else {
				v = b.ints[k][r.row]
			}
		}
		if bounded {
			p.vals[k] = append(p.vals[k], v)
			p.nulls[k] = append(p.nulls[k], isNull)
		}
		if isNull {
			continue
		}
		a.n++
		switch c.Func {
		case agg.Sum, agg.Avg:
			if o.floats[k] {
				a.sumF += math.Float64frombits(uint64(v))
			} else {
				a.sumI += v
			}
		case agg.Min, agg.Max:
			if !bounded {
				if !a.has || o.better(k, v, a.best) {
					a.best, a.has = v, true
				}
				continue
			}
			for len(a.queue) > 0 && !o.better(k, p.vals[k][a.queue[len(a.queue)-1]-p.off], v) {
				a.queue = a.queue[:len(a.queue)-1]
			}
			a.queue = append(a.queue, abs)
		}
	}
}

// better says whether value v ranks before w for MIN or MAX call k (a tie
// is not better: the later row replaces the earlier in the queue).
func (o *OverAggregate) better(k int, v, w int64) bool {
	less := v < w
	more := v > w
	if o.floats[k] {
		fv, fw := math.Float64frombits(uint64(v)), math.Float64frombits(uint64(w))
		less, more = fv < fw, fv > fw
	}
	if o.spec.Calls[k].Func == agg.Min {
		return less
	}
	return more
}

// pop takes partition p's oldest frame row out.
func (o *OverAggregate) pop(p *overPart) {
	abs := p.off + int64(p.head)
	for k, c := range o.spec.Calls {
		a := &p.acc[k]
		if p.nulls[k][p.head] {
			continue
		}
		a.n--
		v := p.vals[k][p.head]
		switch c.Func {
		case agg.Sum, agg.Avg:
			if o.floats[k] {
				a.sumF -= math.Float64frombits(uint64(v))
			} else {
				a.sumI -= v
			}
			if a.n == 0 {
				a.sumI, a.sumF = 0, 0 // no drift once the frame is empty
			}
		case agg.Min, agg.Max:
			if len(a.queue) > 0 && a.queue[0] == abs {
				a.queue = a.queue[1:]
			}
		}
	}
	p.head++
	if p.head == len(p.ts) {
		p.off += int64(p.head)
		p.head = 0
		p.ts = p.ts[:0]
		for k := range p.vals {
			p.vals[k], p.nulls[k] = p.vals[k][:0], p.nulls[k][:0]
		}
		return
	}
	if p.head >= 64 && p.head*2 >= len(p.ts) {
		p.off += int64(p.head)
		p.ts = append(p.ts[:0], p.ts[p.head:]...)
		for k := range p.vals {
			p.vals[k] = append(p.vals[k][:0], p.vals[k][p.head:]...)
			p.nulls[k] = append(p.nulls[k][:0], p.nulls[k][p.head:]...)
		}
		p.head = 0
	}
}

// result writes call k's value over partition p's frame as output row x.
func (o *OverAggregate) result(p *overPart, k, x int, res [][]int64, fres [][]float64, null [][]bool) {
	a := &p.acc[k]
	switch o.spec.Calls[k].Func {
	case agg.Count, agg.CountStar:
		res[k][x] = a.n
	case agg.Sum:
		switch {
		case a.n == 0:
			null[k][x] = true
		case o.floats[k]:
			fres[k][x] = a.sumF
		default:
			res[k][x] = a.sumI
		}
	case agg.Avg:
		switch {
		case a.n == 0:
			null[k][x] = true
		case o.floats[k]:
			fres[k][x] = a.sumF / float64(a.n)
		default:
			fres[k][x] = float64(a.sumI) / float64(a.n)
		}
	case agg.Min, agg.Max:
		var v int64
		switch {
		case o.spec.Frame.Unbounded && a.has:
			v = a.best
		case !o.spec.Frame.Unbounded && len(a.queue) > 0:
			v = p.vals[k][a.queue[0]-p.off]
		default:
			null[k][x] = true
			return
		}
		if o.floats[k] {
			fres[k][x] = math.Float64frombits(uint64(v))
		} else {
			res[k][x] = v
		}
	}
}

// emit queues rows, each with its input columns and its aggregates, and
// releases the batches no row waits in any more.
func (o *OverAggregate) emit(rows []overRow, res [][]int64, fres [][]float64, null [][]bool) error {
	if len(rows) == 0 {
		return nil
	}
	in := o.input.Schema()
	refs := &o.refs
	refs.reset()
	src := map[int32]int32{}
	for _, r := range rows {
		s, ok := src[r.batch]
		if !ok {
			s = refs.source(o.batches[r.batch].rec)
			src[r.batch] = s
		}
		refs.add(s, r.row)
	}
	nIn := in.NumFields()
	cols := make([]arrow.Array, 0, nIn+len(o.spec.Calls))
	parts := make([]arrow.Array, len(refs.srcs))
	for c := 0; c < nIn; c++ {
		for j, s := range refs.srcs {
			parts[j] = s.Column(c)
		}
		a, err := gatherRows(o.mem, in.Field(c).Type, parts, refs.which, refs.rows)
		if err != nil {
			releaseAll(cols)
			refs.reset()
			return fmt.Errorf("over: %w", err)
		}
		cols = append(cols, a)
	}
	refs.reset()
	for k := range o.spec.Calls {
		cols = append(cols, o.resultArray(o.spec.Schema.Field(nIn+k).Type, res[k], fres[k], null[k]))
	}
	out := array.NewRecord(o.spec.Schema, cols, int64(len(rows)))
	releaseAll(cols)
	o.pending = append(o.pending, BatchMessage(out))
	for _, r := range rows {
		b := o.batches[r.batch]
		b.waiting--
		if b.waiting == 0 {
			o.dropBatch(r.batch)
		}
	}
	return nil
}

// resultArray builds one aggregate's output column.
func (o *OverAggregate) resultArray(t arrow.DataType, ints []int64, flts []float64, null []bool) arrow.Array {
	n := len(null)
	var valid *memory.Buffer
	nulls := 0
	for _, isNull := range null {
		if isNull {
			nulls++
		}
	}
	if nulls > 0 {
		valid = memory.NewResizableBuffer(o.mem)
		valid.Resize(int(bitutil.BytesForBits(int64(n))))
		bits := valid.Bytes()
		clear(bits)
		for i, isNull := range null {
			if !isNull {
				bitutil.SetBit(bits, i)
			}
		}
	}
	var data *memory.Buffer
	switch t.ID() {
	case arrow.FLOAT64:
		data = convertedValues[float64](o.mem, flts)
	case arrow.FLOAT32:
		data = convertedValues[float32](o.mem, flts)
	case arrow.INT32:
		data = convertedValues[int32](o.mem, ints)
	case arrow.INT16:
		data = convertedValues[int16](o.mem, ints)
	case arrow.INT8:
		data = convertedValues[int8](o.mem, ints)
	default: // BIGINT, TIMESTAMP
		data = convertedValues[int64](o.mem, ints)
	}
	return makeArray(t, n, []*memory.Buffer{valid, data}, nulls)
}

// convertedValues is a value buffer of vs converted to T.
func convertedValues[T int8 | int16 | int32 | int64 | float32 | float64, S int64 | float64](mem memory.Allocator, vs []S) *memory.Buffer {
	buf, vals := arrowbuf.AllocValues[T](mem, len(vs))
	for i, v := range vs {
		vals[i] = T(v)
	}
	return buf
}

// Close implements Operator.
func (o *OverAggregate) Close() error {
	for _, m := range o.pending {
		m.Release()
	}
	o.pending = nil
	for i, b := range o.batches {
		if b != nil {
			b.rec.Release()
			o.batches[i] = nil
		}
	}
	o.batches, o.freeBatch, o.waiting, o.states = nil, nil, nil, nil
	if o.parts != nil {
		o.parts.Release()
		o.parts = nil
	}
	return o.input.Close()
}
