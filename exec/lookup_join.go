package exec

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/weirsql/weir/exec/expr"
	"github.com/weirsql/weir/sqltypes"
)

// LookupJoin joins each row of its input (the streaming side) with the
// rows of a DimensionTable whose key columns equal the row's key, as the
// table is when the row is processed (a processing-time temporal join, as
// Flink's lookup join: `JOIN dim FOR SYSTEM_TIME AS OF a.proc_time AS d ON
// ...`).
//
// Open loads the table and indexes it by its key columns. Every
// LookupJoinSpec.Reload of processing time, checked before each input
// batch, the table is asked whether it changed; if it did, the new rows
// replace the old ones and are indexed anew. Rows already joined are not
// revisited, so a change shows in later output only.
//
// Each batch is joined as a whole: its keys are evaluated, the index is
// probed for every row, and the output columns are gathered from the
// batch and the table by row lists. A row whose key holds a NULL matches
// nothing; a LEFT join emits it, and every other unmatched row, once with
// the table's columns NULL. The output, the input's columns then the
// table's, is append-only; watermarks and barriers pass through unchanged.
//
// LookupJoin keeps no state across a checkpoint (it is not Stateful): its
// output depends only on each batch and the table of the moment, and the
// table is loaded afresh by Open after a restore.
type LookupJoin struct {
	input Operator
	table DimensionTable
	spec  *LookupJoinSpec
	ec    *expr.Context

	idx       *lookupIndex
	nextCheck int64 // processing time (ms) of the next change check
	loads     int64
	scratch   probeScratch
	group     []int32
	left      []int32
	right     []int32
	first     []int32 // first pair of each input row, for LEFT residuals
	keep      []int32 // pairs passing the residual
	keys      []arrow.Array
	closed    bool
}

var (
	_ Operator  = (*LookupJoin)(nil)
	_ Describer = (*LookupJoin)(nil)
)

// NewLookupJoin builds a lookup join of input with table. The clock that
// times reloads is the query's processing-time clock, ec.Proc (the wall
// clock when nil). The join owns table and closes it.
func NewLookupJoin(input Operator, table DimensionTable, spec *LookupJoinSpec, ec *expr.Context) *LookupJoin {
	return &LookupJoin{input: input, table: table, spec: spec, ec: ec}
}

// Schema implements Operator.
func (j *LookupJoin) Schema() *arrow.Schema { return j.spec.Schema }

// Children implements Operator. The table is not a child: it is read by
// the join itself and has no watermarks or checkpoint state.
func (j *LookupJoin) Children() []Operator { return []Operator{j.input} }

// Table is the join's lookup table.
func (j *LookupJoin) Table() DimensionTable { return j.table }

// TableName is the lookup table's name, for messages.
func (j *LookupJoin) TableName() string { return j.spec.TableName }

// Describe implements Describer: the join kind, the key pairs (input
// expression = table column), the residual and the reload interval.
func (j *LookupJoin) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "LookupJoinExec: %s ON ", j.spec.Kind)
	ts := j.table.Schema()
	for i, k := range j.spec.StreamKeys {
		if i > 0 {
			b.WriteString(" AND ")
		}
		name := fmt.Sprintf("#%d", j.spec.TableKeys[i])
		if c := j.spec.TableKeys[i]; c >= 0 && c < ts.NumFields() {
			name = "table." + ts.Field(c).Name
		}
		fmt.Fprintf(&b, "%s = %s", k, name)
	}
	if j.spec.Residual != nil {
		fmt.Fprintf(&b, " AND %s", j.spec.Residual)
	}
	if j.spec.Reload > 0 {
		fmt.Fprintf(&b, " reload=%s", j.spec.Reload)
	} else {
		b.WriteString(" reload=never")
	}
	return b.String()
}

// TableRows is the number of rows of the table as last loaded.
func (j *LookupJoin) TableRows() int {
	if j.idx == nil {
		return 0
	}
	return j.idx.Len()
}

// Loads is the number of times the table was (re)loaded and indexed: 1
// after Open, one more for each change found.
func (j *LookupJoin) Loads() int64 { return j.loads }

// Open implements Operator: it opens the input, then loads and indexes the
// table.
func (j *LookupJoin) Open(ctx context.Context) error {
	if err := j.check(); err != nil {
		return err
	}
	if err := j.input.Open(ctx); err != nil {
		return err
	}
	recs, changed, err := j.table.Load(ctx)
	if err != nil {
		return fmt.Errorf("lookup join: load table: %w", err)
	}
	if !changed {
		return fmt.Errorf("lookup join: the table returned no rows on its first load")
	}
	if err := j.index(recs); err != nil {
		return err
	}
	j.scheduleCheck()
	return nil
}

// check validates the spec against the input and the table.
func (j *LookupJoin) check() error {
	s, in, ts := j.spec, j.input.Schema(), j.table.Schema()
	if s.Kind != InnerJoin && s.Kind != LeftJoin {
		return fmt.Errorf("lookup join: a %s join is not supported (INNER or LEFT)", s.Kind)
	}
	if len(s.StreamKeys) == 0 || len(s.StreamKeys) != len(s.TableKeys) {
		return fmt.Errorf("lookup join: %d input keys for %d table keys", len(s.StreamKeys), len(s.TableKeys))
	}
	for i, k := range s.StreamKeys {
		c := s.TableKeys[i]
		if c < 0 || c >= ts.NumFields() {
			return fmt.Errorf("lookup join: table key %d is column %d of a table of %d", i+1, c, ts.NumFields())
		}
		f := ts.Field(c)
		if !arrow.TypeEqual(k.DataType(), f.Type) {
			return fmt.Errorf("lookup join: key %s is %s but table column %q is %s", k, sqltypes.Name(k.DataType()), f.Name, sqltypes.Name(f.Type))
		}
		if err := checkLookupKeyType(f.Type); err != nil {
			return fmt.Errorf("lookup join: column %q: %w", f.Name, err)
		}
	}
	if s.Schema.NumFields() != in.NumFields()+ts.NumFields() {
		return fmt.Errorf("lookup join: output of %d columns for an input of %d and a table of %d", s.Schema.NumFields(), in.NumFields(), ts.NumFields())
	}
	for i, f := range s.Schema.Fields() {
		want := f.Type
		var got arrow.Field
		if i < in.NumFields() {
			got = in.Field(i)
		} else {
			got = ts.Field(i - in.NumFields())
		}
		if !arrow.TypeEqual(want, got.Type) {
			return fmt.Errorf("lookup join: output column %q is %s but its source %q is %s", f.Name, sqltypes.Name(want), got.Name, sqltypes.Name(got.Type))
		}
	}
	return nil
}

// index replaces the index with one over recs, which it releases.
func (j *LookupJoin) index(recs []arrow.Record) error {
	idx, err := buildLookupIndex(j.ec.Mem, j.table.Schema(), recs, j.spec.TableKeys)
	if err != nil {
		return fmt.Errorf("lookup join: index table: %w", err)
	}
	j.idx.release()
	j.idx = idx
	j.loads++
	return nil
}

// scheduleCheck sets the time of the next change check.
func (j *LookupJoin) scheduleCheck() {
	if j.spec.Reload > 0 {
		j.nextCheck = j.ec.ProcTime() + max(1, j.spec.Reload.Milliseconds())
	}
}

// maybeReload asks the table for changes when the reload interval has
// passed, and reindexes it if it changed.
func (j *LookupJoin) maybeReload(ctx context.Context) error {
	if j.spec.Reload <= 0 || j.ec.ProcTime() < j.nextCheck {
		return nil
	}
	j.scheduleCheck()
	recs, changed, err := j.table.Load(ctx)
	if err != nil {
		return fmt.Errorf("lookup join: reload table: %w", err)
	}
	if !changed {
		releaseLookupRecords(recs)
		return nil
	}
	return j.index(recs)
}

// Next implements Operator.
func (j *LookupJoin) Next(ctx context.Context) (Message, error) {
	for {
		m, err := j.input.Next(ctx)
		if err != nil || m.Kind != MsgBatch {
			return m, err
		}
		if m.Ops != nil {
			m.Release()
			return Message{}, errors.New("lookup join: the input is an updating stream; a lookup join needs an append-only input")
		}
		if err := j.maybeReload(ctx); err != nil {
			m.Release()
			return Message{}, err
		}
		out, err := j.join(m.Batch)
		m.Release()
		if err != nil {
			return Message{}, err
		}
		if out != nil {
			return BatchMessage(out), nil
		}
	}
}

// join joins one batch with the table; nil when no row comes out.
func (j *LookupJoin) join(batch arrow.Record) (arrow.Record, error) {
	n := int(batch.NumRows())
	if n == 0 {
		return nil, nil
	}
	if err := j.probe(batch); err != nil {
		return nil, err
	}
	left := j.spec.Kind == LeftJoin
	residual := j.spec.Residual != nil

	// The pairs (input row, table row), in input order. Without a
	// residual, a LEFT join's unmatched rows pair with the NULL row now;
	// with one, they are added once the residual has been applied.
	j.left, j.right, j.first = j.left[:0], j.right[:0], j.first[:0]
	identity := true // each input row once, in order
	for r, g := range j.group {
		if residual {
			j.first = append(j.first, int32(len(j.left)))
		}
		if g == noMatch {
			if left && !residual {
				j.left, j.right = append(j.left, int32(r)), append(j.right, j.idx.nullRow)
			} else {
				identity = false
			}
			continue
		}
		ms := j.idx.matches(g)
		if len(ms) != 1 {
			identity = false
		}
		for _, t := range ms {
			j.left, j.right = append(j.left, int32(r)), append(j.right, t)
		}
	}
	if residual {
		j.first = append(j.first, int32(len(j.left)))
	}
	if len(j.left) == 0 && !(left && residual) {
		return nil, nil
	}
	joined, err := j.gather(batch, j.left, j.right, identity && len(j.left) == n)
	if err != nil || !residual {
		return joined, err
	}
	return j.applyResidual(batch, joined)
}

// probe evaluates the stream keys over batch and sets j.group to each
// row's group in the index.
func (j *LookupJoin) probe(batch arrow.Record) error {
	n := int(batch.NumRows())
	j.keys = j.keys[:0]
	defer func() {
		releaseAll(j.keys)
		clear(j.keys)
	}()
	for _, k := range j.spec.StreamKeys {
		a, err := k.Eval(j.ec, batch)
		if err != nil {
			return err
		}
		j.keys = append(j.keys, a)
		if a.Len() != n {
			return fmt.Errorf("lookup join: key %s returned %d rows for a batch of %d", k, a.Len(), n)
		}
	}
	j.group = grow(j.group, n)
	if err := j.idx.probe(&j.scratch, j.keys, n, j.group); err != nil {
		return fmt.Errorf("lookup join: %w", err)
	}
	return nil
}

// gather builds the output rows: input row left[k] beside table row
// right[k]. When same is set, left is every input row in order and the
// input's columns are reused as they are.
func (j *LookupJoin) gather(batch arrow.Record, left, right []int32, same bool) (arrow.Record, error) {
	in := int(batch.NumCols())
	cols := make([]arrow.Array, 0, j.spec.Schema.NumFields())
	for _, c := range batch.Columns() {
		if same {
			c.Retain()
			cols = append(cols, c)
			continue
		}
		t, err := takeArray(j.ec.Mem, c, left)
		if err != nil {
			releaseAll(cols)
			return nil, fmt.Errorf("lookup join: gather input column %d: %w", len(cols)+1, err)
		}
		cols = append(cols, t)
	}
	for c, col := range j.idx.rec.Columns() {
		t, err := takeArray(j.ec.Mem, col, right)
		if err != nil {
			releaseAll(cols)
			return nil, fmt.Errorf("lookup join: gather table column %q: %w", j.spec.Schema.Field(in+c).Name, err)
		}
		cols = append(cols, t)
	}
	out := array.NewRecord(j.spec.Schema, cols, int64(len(left)))
	releaseAll(cols)
	return out, nil
}

// applyResidual keeps the joined pairs for which the residual is TRUE and,
// for a LEFT join, adds each input row none of whose pairs passed, with
// the table's columns NULL. It takes over joined.
func (j *LookupJoin) applyResidual(batch, joined arrow.Record) (arrow.Record, error) {
	defer joined.Release()
	maskArr, err := j.spec.Residual.Eval(j.ec, joined)
	if err != nil {
		return nil, err
	}
	defer maskArr.Release()
	mask, ok := maskArr.(*array.Boolean)
	if !ok {
		return nil, fmt.Errorf("lookup join: residual %s is %s, not BOOLEAN", j.spec.Residual, sqltypes.Name(maskArr.DataType()))
	}
	pass := func(k int) bool { return mask.IsValid(k) && mask.Value(k) }
	keep := j.keep[:0]
	for k := 0; k < mask.Len(); k++ {
		if pass(k) {
			keep = append(keep, int32(k))
		}
	}
	j.keep = keep
	padded := false
	if j.spec.Kind == LeftJoin {
		for r := 0; r+1 < len(j.first) && !padded; r++ {
			padded = !anyPass(pass, j.first[r], j.first[r+1])
		}
	}
	if !padded {
		switch len(keep) {
		case 0:
			return nil, nil
		case int(joined.NumRows()):
			joined.Retain()
			return joined, nil
		}
		out, err := takeRows(j.ec.Mem, joined, keep)
		if err != nil {
			return nil, fmt.Errorf("lookup join: %w", err)
		}
		return out, nil
	}
	// Some input rows lost all their pairs: gather afresh, in input order.
	var left, right []int32
	for r := 0; r+1 < len(j.first); r++ {
		lo, hi := j.first[r], j.first[r+1]
		if !anyPass(pass, lo, hi) {
			left, right = append(left, int32(r)), append(right, j.idx.nullRow)
			continue
		}
		for k := lo; k < hi; k++ {
			if pass(int(k)) {
				left, right = append(left, int32(r)), append(right, j.right[k])
			}
		}
	}
	return j.gather(batch, left, right, len(left) == int(batch.NumRows()) && isIota(left))
}

func anyPass(pass func(int) bool, lo, hi int32) bool {
	for k := lo; k < hi; k++ {
		if pass(int(k)) {
			return true
		}
	}
	return false
}

// isIota reports whether rows is 0, 1, 2, ...
func isIota(rows []int32) bool {
	for i, r := range rows {
		if int(r) != i {
			return false
		}
	}
	return true
}

// Close implements Operator: it releases the table's rows and closes the
// table and the input.
func (j *LookupJoin) Close() error {
	if j.closed {
		return nil
	}
	j.closed = true
	j.idx.release()
	j.idx = nil
	return errors.Join(j.table.Close(), j.input.Close())
}
