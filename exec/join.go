package exec

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/weirsql/weir/exec/agg"
	"github.com/weirsql/weir/exec/expr"
	"github.com/weirsql/weir/internal/arrowbuf"
	"github.com/weirsql/weir/sqltypes"
)

// Join is the streaming equi-join of two append-only inputs described by a
// JoinSpec: an interval join, a window join or a regular join, each INNER,
// LEFT, RIGHT or FULL.
//
// It is a vectorized hash join. Each side keeps its rows as the records
// they arrived in, with a key index (exec/agg's hash table, keys stored
// column-wise) and per-key chains of rows. A batch from one side has its
// keys evaluated once, is stored in its side's state, and probes the other
// side's index as a whole; the output is gathered column by column from
// the batch and the stored records, then filtered by the residual
// condition. Window joins buffer each window's rows and hash-join them when
// the window closes.
//
// The join pulls its inputs itself: it reads the input whose watermark is
// behind (so that the state the other side's rows wait in stays small), and
// alternates between them when they are level. Its output watermark is the
// minimum of the inputs' (an ended input counts as WatermarkMax); an
// interval join holds it back by the larger of its bounds, so that no row
// it emits is behind it. The stream ends when both inputs have ended and
// everything outstanding is emitted.
//
// Checkpoint barriers are aligned: once a barrier comes from one input,
// that input is not read again until a barrier comes from the other (or it
// ends); then one barrier, with the larger of the two ids, goes downstream
// after the output of everything before it.
type Join struct {
	inputs   [2]Operator
	spec     *JoinSpec
	ec       *expr.Context
	mode     joinMode
	nLeft    int
	keys     [2][]expr.Expr // window joins: the keys, then window_start
	keyTypes []arrow.DataType
	timeCols [2]int // interval joins
	preserve [2]bool
	delay    int64 // interval joins: how far the output watermark is held back
	ttl      int64 // regular joins: state TTL in milliseconds
	clock    func() int64

	sides [2]*joinSide   // interval and regular joins
	win   *joinWindowSet // window joins
	spill *recordSpill   // nil unless SetSpill gave a budget
	peak  int64          // the most memory the state has held

	wm       [2]int64
	ended    [2]bool
	outWM    int64
	pending  []Message
	done     bool
	last     int // input read last
	streak   int // consecutive reads of it while the other could be read
	blocked  [2]bool
	barriers [2]uint64

	late, nullTime int64
	err            error // an invalid spec, reported by Open and RestoreState

	out      joinOut
	sel      []int32
	ids      []uint32
	pairRow  []int32
	pairSlot []uint32
	matched  []bool
}

// joinMode is which of the three joins a Join is.
type joinMode uint8

const (
	regularJoin joinMode = iota
	intervalJoin
	windowJoin
)

func (m joinMode) String() string {
	switch m {
	case intervalJoin:
		return "interval"
	case windowJoin:
		return "window"
	}
	return "regular"
}

// maxStreak bounds how many times in a row the join reads one input while
// the other could be read, so that an input whose watermark stays behind
// (or that has none) cannot starve the other.
const maxStreak = 64

var (
	_ Operator  = (*Join)(nil)
	_ Describer = (*Join)(nil)
	_ Stateful  = (*Join)(nil)
)

// NewJoin builds the join of left and right described by spec. An invalid
// spec is reported by Open.
func NewJoin(left, right Operator, spec *JoinSpec, ec *expr.Context) *Join {
	j := &Join{inputs: [2]Operator{left, right}, spec: spec, ec: ec,
		wm: [2]int64{WatermarkMin, WatermarkMin}, outWM: WatermarkMin, last: 1}
	j.clock = ec.ProcTime
	j.err = j.init()
	return j
}

// init checks the spec against the inputs and derives the join's settings.
func (j *Join) init() error {
	s := j.spec
	ls, rs := j.inputs[0].Schema(), j.inputs[1].Schema()
	j.nLeft = ls.NumFields()
	switch {
	case s.Interval != nil && s.Window != nil:
		return fmt.Errorf("join: both interval bounds and window columns are set")
	case s.Interval != nil:
		j.mode = intervalJoin
	case s.Window != nil:
		j.mode = windowJoin
	}
	j.preserve = [2]bool{s.Kind == LeftJoin || s.Kind == FullJoin, s.Kind == RightJoin || s.Kind == FullJoin}
	if s.Kind < InnerJoin || s.Kind > FullJoin {
		return fmt.Errorf("join: unknown join kind %d", s.Kind)
	}
	if s.Schema == nil || s.Schema.NumFields() != ls.NumFields()+rs.NumFields() {
		return fmt.Errorf("join: the output schema must have the %d left and %d right columns", ls.NumFields(), rs.NumFields())
	}
	for i, f := range s.Schema.Fields() {
		in := ls
		c := i
		if i >= j.nLeft {
			in, c = rs, i-j.nLeft
		}
		if !arrow.TypeEqual(f.Type, in.Field(c).Type) {
			return fmt.Errorf("join: output column %q is %s, its input column is %s", f.Name, sqltypes.Name(f.Type), sqltypes.Name(in.Field(c).Type))
		}
		if err := gatherable(f.Type); err != nil {
			return err
		}
	}
	if len(s.LeftKeys) != len(s.RightKeys) {
		return fmt.Errorf("join: %d left keys and %d right keys", len(s.LeftKeys), len(s.RightKeys))
	}
	for i := range s.LeftKeys {
		lt, rt := s.LeftKeys[i].DataType(), s.RightKeys[i].DataType()
		if !arrow.TypeEqual(lt, rt) {
			return fmt.Errorf("join: key %s is %s but %s is %s", s.LeftKeys[i], sqltypes.Name(lt), s.RightKeys[i], sqltypes.Name(rt))
		}
		j.keyTypes = append(j.keyTypes, lt)
	}
	j.keys = [2][]expr.Expr{s.LeftKeys, s.RightKeys}
	if s.Residual != nil && s.Residual.DataType().ID() != arrow.BOOL {
		return fmt.Errorf("join: condition %s is %s, not BOOLEAN", s.Residual, sqltypes.Name(s.Residual.DataType()))
	}
	checkTime := func(what string, in *arrow.Schema, c int) error {
		if c < 0 || c >= in.NumFields() {
			return fmt.Errorf("join: %s column %d out of range", what, c)
		}
		if in.Field(c).Type.ID() != arrow.TIMESTAMP {
			return fmt.Errorf("join: %s column %q is %s, not TIMESTAMP", what, in.Field(c).Name, sqltypes.Name(in.Field(c).Type))
		}
		return nil
	}
	switch j.mode {
	case intervalJoin:
		iv := s.Interval
		if err := checkTime("left time", ls, iv.LeftTime); err != nil {
			return err
		}
		if err := checkTime("right time", rs, iv.RightTime); err != nil {
			return err
		}
		const limit = int64(1) << 62
		if iv.Lower < -limit || iv.Lower > limit || iv.Upper < -limit || iv.Upper > limit {
			return fmt.Errorf("join: interval bounds [%d, %d] ms out of range", iv.Lower, iv.Upper)
		}
		j.timeCols = [2]int{iv.LeftTime, iv.RightTime}
		j.delay = max(0, iv.Upper, -iv.Lower)
	case windowJoin:
		w := s.Window
		for _, c := range []struct {
			what string
			in   *arrow.Schema
			col  int
		}{{"left window_start", ls, w.LeftStart}, {"left window_end", ls, w.LeftEnd},
			{"right window_start", rs, w.RightStart}, {"right window_end", rs, w.RightEnd}} {
			if err := checkTime(c.what, c.in, c.col); err != nil {
				return err
			}
		}
		// Rows join within one window (same end) when their keys and
		// window starts are equal.
		start := [2]int{w.LeftStart, w.RightStart}
		ins := [2]*arrow.Schema{ls, rs}
		for side := range 2 {
			f := ins[side].Field(start[side])
			j.keys[side] = append(j.keys[side][:len(j.keys[side]):len(j.keys[side])], expr.NewColumn(start[side], f.Name, f.Type))
		}
		j.keyTypes = append(j.keyTypes, sqltypes.Timestamp)
		j.win = newJoinWindowSet()
	default:
		j.ttl = s.StateTTL.Milliseconds()
		if s.StateTTL < 0 {
			return fmt.Errorf("join: negative state TTL %s", s.StateTTL)
		}
	}
	if _, err := agg.NewTable(j.ec.Mem, j.keyTypes, nil); err != nil {
		return fmt.Errorf("join: %w", err)
	}
	if j.mode != windowJoin {
		for side := range 2 {
			j.sides[side] = newJoinSide(j.ec.Mem, j.keyTypes, j.mode == intervalJoin, j.ttl)
		}
	}
	return nil
}

// Schema implements Operator.
func (j *Join) Schema() *arrow.Schema { return j.spec.Schema }

// Children implements Operator.
func (j *Join) Children() []Operator { return []Operator{j.inputs[0], j.inputs[1]} }

// alignsBarriers implements barrierAligner.
func (j *Join) alignsBarriers() {}

// Describe implements Describer.
func (j *Join) Describe() string {
	s := j.spec
	var b strings.Builder
	fmt.Fprintf(&b, "JoinExec: %s %s", s.Kind, j.mode)
	ls, rs := j.inputs[0].Schema(), j.inputs[1].Schema()
	if len(s.LeftKeys) > 0 {
		b.WriteString(" keys=[")
		for i := range s.LeftKeys {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s = %s", s.LeftKeys[i], s.RightKeys[i])
		}
		b.WriteString("]")
	}
	name := func(in *arrow.Schema, c int) string {
		if c >= 0 && c < in.NumFields() {
			return in.Field(c).Name
		}
		return fmt.Sprintf("#%d", c)
	}
	switch {
	case s.Interval != nil:
		iv := s.Interval
		fmt.Fprintf(&b, " time=[left.%s BETWEEN right.%s %s AND right.%s %s]",
			name(ls, iv.LeftTime), name(rs, iv.RightTime), signedDuration(iv.Lower), name(rs, iv.RightTime), signedDuration(iv.Upper))
	case s.Window != nil:
		w := s.Window
		fmt.Fprintf(&b, " window=[%s, %s]", name(ls, w.LeftStart), name(ls, w.LeftEnd))
	case s.StateTTL > 0:
		fmt.Fprintf(&b, " ttl=%s", s.StateTTL)
	}
	if s.Residual != nil {
		fmt.Fprintf(&b, " residual=%s", s.Residual)
	}
	if j.updating() {
		b.WriteString(" updating")
	}
	return b.String()
}

// signedDuration prints a bound such as "- 1h0m0s" or "+ 10m0s".
func signedDuration(ms int64) string {
	if ms < 0 {
		return "- " + (time.Duration(-ms) * time.Millisecond).String()
	}
	return "+ " + (time.Duration(ms) * time.Millisecond).String()
}

// updating reports whether the output carries ops: outer regular joins.
func (j *Join) updating() bool { return j.mode == regularJoin && j.spec.Kind != InnerJoin }

// StateRows is the number of input rows the join holds.
func (j *Join) StateRows() int64 {
	if j.win != nil {
		return j.win.rows
	}
	var n int64
	for _, s := range j.sides {
		if s != nil {
			n += s.rows()
		}
	}
	return n
}

// StateBytes estimates the memory the join's state holds.
func (j *Join) StateBytes() int64 {
	if j.win != nil {
		return j.win.bytes
	}
	var n int64
	for _, s := range j.sides {
		if s != nil {
			n += s.bytes()
		}
	}
	return n
}

// LateRows is the number of late rows: in an interval join, rows whose
// time was behind their input's watermark when they came (they are joined
// with the state that remains, and kept only while a row of the other side
// could still match them); in a window join, rows of windows already
// emitted, which are dropped.
func (j *Join) LateRows() int64 { return j.late }

// NullTimeRows is the number of rows of a window join dropped for a NULL
// window_end (a windowed input never has one).
func (j *Join) NullTimeRows() int64 { return j.nullTime }

// Open implements Operator.
func (j *Join) Open(ctx context.Context) error {
	if j.err != nil {
		return j.err
	}
	for _, in := range j.inputs {
		if err := in.Open(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Next implements Operator.
func (j *Join) Next(ctx context.Context) (Message, error) {
	for len(j.pending) == 0 {
		if j.done {
			return EndMessage(), nil
		}
		if j.ended[0] && j.ended[1] {
			j.done = true
			continue
		}
		if j.ttl > 0 {
			if err := j.expireTTL(); err != nil {
				return Message{}, err
			}
		}
		side, ok := j.choose()
		if !ok {
			// Every input still running has sent a barrier.
			id := max(j.barriers[0], j.barriers[1])
			j.blocked, j.barriers = [2]bool{}, [2]uint64{}
			j.pending = append(j.pending, Message{Kind: MsgBarrier, Barrier: id})
			continue
		}
		m, err := j.inputs[side].Next(ctx)
		if err != nil {
			return Message{}, err
		}
		if err := j.handle(side, m); err != nil {
			return Message{}, err
		}
	}
	m := j.pending[0]
	j.pending[0] = Message{}
	j.pending = j.pending[1:]
	return m, nil
}

// choose picks the input to read next: false when every input still
// running waits at a barrier.
func (j *Join) choose() (int, bool) {
	can := [2]bool{!j.ended[0] && !j.blocked[0], !j.ended[1] && !j.blocked[1]}
	var side int
	switch {
	case !can[0] && !can[1]:
		return 0, false
	case !can[0]:
		side = 1
	case !can[1]:
		side = 0
	default:
		switch {
		case j.wm[0] < j.wm[1]:
			side = 0
		case j.wm[1] < j.wm[0]:
			side = 1
		default:
			side = 1 - j.last
		}
		if side == j.last && j.streak >= maxStreak {
			side = 1 - side
		}
		if side == j.last {
			j.streak++
		} else {
			j.streak = 1
		}
	}
	if !can[0] || !can[1] {
		j.streak = 0
	}
	j.last = side
	return side, true
}

// handle acts on one message from input side; it takes over m.
func (j *Join) handle(side int, m Message) error {
	switch m.Kind {
	case MsgBatch:
		defer m.Release()
		if m.Ops != nil {
			return fmt.Errorf("join: the %s input is an updating stream; joins of updating streams are not supported", sideName(side))
		}
		if m.Batch.NumRows() == 0 {
			return nil
		}
		if j.spill != nil {
			j.spill.tick++
		}
		var err error
		if j.mode == windowJoin {
			err = j.windowBatch(side, m.Batch)
		} else {
			err = j.streamBatch(side, m.Batch)
		}
		if err != nil {
			return err
		}
		return j.maybeSpill()
	case MsgWatermark:
		if m.Watermark > j.wm[side] {
			j.wm[side] = m.Watermark
			if err := j.advance(); err != nil {
				return err
			}
			return j.maybeSpill()
		}
	case MsgBarrier:
		j.blocked[side] = true
		j.barriers[side] = m.Barrier
	case MsgEnd:
		j.ended[side] = true
		j.wm[side] = WatermarkMax
		return j.advance()
	}
	return nil
}

func sideName(side int) string {
	if side == 0 {
		return "left"
	}
	return "right"
}

// advance acts on the inputs' watermarks: an interval join drops the rows
// no longer needed (emitting the unmatched ones of an outer side), a window
// join closes the windows that end at or before the watermark; then the
// output watermark follows if it moved.
func (j *Join) advance() error {
	lo := min(j.wm[0], j.wm[1])
	out := lo
	switch j.mode {
	case intervalJoin:
		if err := j.expireInterval(); err != nil {
			return err
		}
		switch {
		case lo == WatermarkMax:
		case lo < WatermarkMin+j.delay:
			out = WatermarkMin
		default:
			out = lo - j.delay
		}
	case windowJoin:
		if err := j.closeWindows(lo); err != nil {
			return err
		}
	}
	if out > j.outWM {
		j.outWM = out
		j.pending = append(j.pending, WatermarkMessage(out))
	}
	return nil
}

// now is the wall-clock time for the state TTL.
func (j *Join) now() int64 {
	if j.ttl == 0 {
		return 0
	}
	return j.clock()
}

// expireTTL drops the rows of keys not seen for the state TTL.
func (j *Join) expireTTL() error {
	now := j.clock()
	for _, s := range j.sides {
		s.expireTTL(now)
		if err := s.settle(); err != nil {
			return err
		}
	}
	return nil
}

// evalKeys evaluates a side's keys over rec; the caller releases them.
func (j *Join) evalKeys(side int, rec arrow.Record) ([]arrow.Array, error) {
	keys := make([]arrow.Array, len(j.keys[side]))
	for i, e := range j.keys[side] {
		a, err := e.Eval(j.ec, rec)
		if err != nil {
			releaseAll(keys[:i])
			return nil, fmt.Errorf("join: %s key %s: %w", sideName(side), e, err)
		}
		if !arrow.TypeEqual(a.DataType(), j.keyTypes[i]) {
			a.Release()
			releaseAll(keys[:i])
			return nil, fmt.Errorf("join: %s key %s evaluated to %s, want %s", sideName(side), e, sqltypes.Name(a.DataType()), sqltypes.Name(j.keyTypes[i]))
		}
		keys[i] = a
	}
	return keys, nil
}

// timeColumn returns column c of rec as TIMESTAMP values.
func timeColumn(rec arrow.Record, c int) (*array.Timestamp, []int64, error) {
	ts, ok := rec.Column(c).(*array.Timestamp)
	if !ok {
		return nil, nil, fmt.Errorf("join: time column %d is %s, not TIMESTAMP", c, rec.Column(c).DataType())
	}
	return ts, arrowbuf.Values[int64](ts), nil
}

// expiryCutoffs are the times below which each side's rows can no longer
// match, at the inputs' watermarks (a left row l matches right rows r with
// l.time - Upper <= r.time <= l.time - Lower, and no right row will come
// with r.time below the watermark; likewise the other way), and whether
// every row has expired (both inputs ended).
func (j *Join) expiryCutoffs() (cut [2]int64, all bool) {
	lo := min(j.wm[0], j.wm[1])
	if lo == WatermarkMin {
		return [2]int64{WatermarkMin, WatermarkMin}, false
	}
	if lo == WatermarkMax {
		return [2]int64{WatermarkMax, WatermarkMax}, true
	}
	iv := j.spec.Interval
	return [2]int64{satAdd(lo, iv.Lower), satAdd(lo, -iv.Upper)}, false
}

// streamBatch joins a batch of an interval or regular join with the other
// side's state and stores it in its own.
func (j *Join) streamBatch(side int, rec arrow.Record) error {
	n := int(rec.NumRows())
	own, other := j.sides[side], j.sides[1-side]
	keys, err := j.evalKeys(side, rec)
	if err != nil {
		return err
	}
	defer releaseAll(keys)
	var ts *array.Timestamp
	var times []int64
	if j.mode == intervalJoin {
		if ts, times, err = timeColumn(rec, j.timeCols[side]); err != nil {
			return err
		}
	}
	j.sel = validRows(n, keys, ts, j.sel)
	sel := j.sel
	now := j.now()

	// Probe the other side: candidate pairs (row of rec, stored slot).
	if cap(j.ids) < len(sel) {
		j.ids = make([]uint32, len(sel))
	}
	ids := j.ids[:len(sel)]
	other.find(keys, sel, ids)
	if j.ttl > 0 {
		other.touch(ids, now)
	}
	pr, ps := j.pairRow[:0], j.pairSlot[:0]
	var lower, upper int64
	if iv := j.spec.Interval; iv != nil {
		lower, upper = iv.Lower, iv.Upper
	}
	for k, id := range ids {
		if id == agg.NotFound {
			continue
		}
		row := sel[k]
		if j.mode != intervalJoin {
			for s := other.head[id]; s != 0; s = other.sNext[s-1] {
				pr, ps = append(pr, row), append(ps, s-1)
			}
			continue
		}
		// The other side's times that match this row's.
		t := times[row]
		lo, hi := satAdd(t, -upper), satAdd(t, -lower)
		if side == 1 {
			lo, hi = satAdd(t, lower), satAdd(t, upper)
		}
		for s := other.head[id]; s != 0; s = other.sNext[s-1] {
			if ot := other.sTime[s-1]; ot >= lo && ot <= hi {
				pr, ps = append(pr, row), append(ps, s-1)
			}
		}
	}
	j.pairRow, j.pairSlot = pr, ps

	pr, ps, err = j.filterResidual(side, rec, other, pr, ps)
	if err != nil {
		return err
	}

	// Which rows of rec matched.
	if cap(j.matched) < n {
		j.matched = make([]bool, n)
	}
	rowMatched := j.matched[:n]
	clear(rowMatched)
	for _, r := range pr {
		rowMatched[r] = true
	}
	if j.mode == intervalJoin && j.wm[side] != WatermarkMin {
		for _, r := range sel {
			if times[r] < j.wm[side] {
				j.late++
			}
		}
	}

	// The output: retractions of the other side's NULL-padded rows that
	// match for the first time (regular outer joins), the joined rows,
	// then this batch's rows that go out NULL-padded now.
	o := &j.out
	o.reset()
	ownRefs, otherRefs := o.sides(side)
	src := ownRefs.source(rec)
	retract := j.mode == regularJoin && j.preserve[1-side]
	if retract {
		for _, slot := range ps {
			if !other.sMatched[slot] {
				other.sMatched[slot] = true
				ownRefs.addNull()
				o.addStored(otherRefs, other, slot)
				o.ops = append(o.ops, OpDelete)
			}
		}
	} else {
		for _, slot := range ps {
			other.sMatched[slot] = true
		}
	}
	for k, r := range pr {
		ownRefs.add(src, r)
		o.addStored(otherRefs, other, ps[k])
	}
	if j.preserve[side] {
		// A regular join emits an unmatched row now (and retracts it when
		// it first matches); an interval join when it expires, unless it
		// can never match (a NULL key or time).
		stored := 0
		for r := 0; r < n; r++ {
			if stored < len(sel) && sel[stored] == int32(r) {
				stored++
				if j.mode == intervalJoin || rowMatched[r] {
					continue
				}
			}
			ownRefs.add(src, int32(r))
			otherRefs.addNull()
		}
	}
	for len(o.ops) < ownRefs.len() {
		o.ops = append(o.ops, OpInsert)
	}
	if err := j.flush(); err != nil {
		return err
	}

	// Store the batch's rows that can match.
	for k, r := range sel {
		rowMatched[k] = rowMatched[r] // k <= r: compacts in place
	}
	if _, err := own.insert(rec, keys, sel, times, rowMatched[:len(sel)], now); err != nil {
		return err
	}
	if j.mode == intervalJoin {
		// Rows already past their side's expiry go at once.
		return j.expireInterval()
	}
	return nil
}

// filterResidual keeps the pairs (row pr[k] of rec from side, stored slot
// ps[k] of other) whose joined row satisfies the residual condition.
func (j *Join) filterResidual(side int, rec arrow.Record, other *joinSide, pr []int32, ps []uint32) ([]int32, []uint32, error) {
	if j.spec.Residual == nil || len(pr) == 0 {
		return pr, ps, nil
	}
	o := &j.out
	o.reset()
	ownRefs, otherRefs := o.sides(side)
	src := ownRefs.source(rec)
	for k, r := range pr {
		ownRefs.add(src, r)
		o.addStored(otherRefs, other, ps[k])
	}
	cand, err := o.assemble(j)
	if err != nil {
		return nil, nil, err
	}
	defer cand.Release()
	keep, err := j.residualRows(cand)
	if err != nil {
		return nil, nil, err
	}
	for k, i := range keep {
		pr[k], ps[k] = pr[i], ps[i]
	}
	return pr[:len(keep)], ps[:len(keep)], nil
}

// residualRows lists the rows of a joined batch where the residual
// condition is TRUE.
func (j *Join) residualRows(joined arrow.Record) ([]int32, error) {
	res, err := j.spec.Residual.Eval(j.ec, joined)
	if err != nil {
		return nil, fmt.Errorf("join condition %s: %w", j.spec.Residual, err)
	}
	defer res.Release()
	mask, ok := res.(*array.Boolean)
	if !ok {
		return nil, fmt.Errorf("join condition %s is %s, not BOOLEAN", j.spec.Residual, res.DataType())
	}
	return selectedRows(mask, mask.Len()), nil
}

// expireInterval drops the rows of an interval join that can no longer
// match, emitting the unmatched ones of an outer side NULL-padded.
func (j *Join) expireInterval() error {
	cut, all := j.expiryCutoffs()
	if cut[0] == WatermarkMin && cut[1] == WatermarkMin {
		return nil
	}
	o := &j.out
	o.reset()
	for side, s := range j.sides {
		own, otherRefs := o.sides(side)
		keep := j.preserve[side]
		s.expire(cut[side], all, func(ri, row int32, matched bool) {
			if keep && !matched {
				o.addStored(own, s, s.recs[ri].slots[row])
				otherRefs.addNull()
			}
		})
	}
	for len(o.ops) < o.left.len() {
		o.ops = append(o.ops, OpInsert)
	}
	err := j.flush()
	for _, s := range j.sides {
		if serr := s.settle(); serr != nil && err == nil {
			err = serr
		}
	}
	return err
}

// flush assembles the rows collected in j.out, if any, into a batch on
// the pending queue.
func (j *Join) flush() error {
	o := &j.out
	if o.err != nil {
		err := o.err
		o.reset()
		return err
	}
	if o.left.len() == 0 {
		o.reset()
		return nil
	}
	rec, err := o.assemble(j)
	if err != nil {
		return err
	}
	m := BatchMessage(rec)
	if j.updating() {
		b := array.NewInt8Builder(j.ec.Mem)
		b.Reserve(len(o.ops))
		for _, op := range o.ops {
			b.UnsafeAppend(int8(op))
		}
		m.Ops = b.NewInt8Array()
		b.Release()
	}
	o.reset()
	j.pending = append(j.pending, m)
	return nil
}

// Close implements Operator.
func (j *Join) Close() error {
	for i := range j.pending {
		j.pending[i].Release()
	}
	j.pending = nil
	j.out.reset()
	for _, s := range j.sides {
		if s != nil {
			s.release()
		}
	}
	if j.win != nil {
		j.win.release()
	}
	var err error
	for _, in := range j.inputs {
		if cerr := in.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}
	return err
}

// joinOut collects the rows of one output batch: where each row's left
// and right columns come from, and its op.
type joinOut struct {
	left, right rowRefs
	ops         []Op
	marked      []*joinRec
	err         error // a spilled record that could not be read back
}

// sides returns the references of the probing side and of the other.
func (o *joinOut) sides(side int) (own, other *rowRefs) {
	if side == 0 {
		return &o.left, &o.right
	}
	return &o.right, &o.left
}

// addStored adds stored row slot of state s to refs.
// A spilled record is read back; if that fails, the row is NULL and the
// error is kept for assemble and flush.
func (o *joinOut) addStored(refs *rowRefs, s *joinSide, slot uint32) {
	r := s.recs[s.sRec[slot]]
	if r.mark == 0 {
		if err := s.resident(r); err != nil {
			if o.err == nil {
				o.err = err
			}
			refs.addNull()
			return
		}
		r.mark = refs.source(r.rec) + 1
		o.marked = append(o.marked, r)
	}
	refs.add(r.mark-1, s.sRow[slot])
}

// assemble builds the collected rows.
func (o *joinOut) assemble(j *Join) (arrow.Record, error) {
	if o.err != nil {
		return nil, o.err
	}
	return assemble(j.ec.Mem, j.spec.Schema, j.nLeft, &o.left, &o.right)
}

func (o *joinOut) reset() {
	for _, r := range o.marked {
		r.mark = 0
	}
	clear(o.marked)
	o.marked = o.marked[:0]
	o.left.reset()
	o.right.reset()
	o.ops = o.ops[:0]
	o.err = nil
}
