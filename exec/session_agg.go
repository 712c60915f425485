package exec

import (
	"container/heap"
	"context"
	"fmt"
	"slices"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/weirsql/weir/exec/agg"
	"github.com/weirsql/weir/exec/expr"
	"github.com/weirsql/weir/sqltypes"
)

// SessionAggregate computes aggregates per group and session window: a
// group's session closes Gap after its last row, and a row that falls
// between two sessions of its group (within Gap of both) merges them. As in
// Flink, a row exactly Gap after a session's last row still joins it (the
// windows [t, t+gap) touch).
// Sessions are emitted when the watermark reaches their end, in order of
// end. Output columns: the keys, window_start (first row), window_end
// (last row + gap), window_time (end − 1 ms), then the aggregates.
//
// Rows are assigned to sessions one at a time (sessions are per key and
// order-dependent); the aggregates are then updated a batch at a time, in a
// table keyed by the group keys and a session id.
type SessionAggregate struct {
	input Operator
	spec  *AggregateSpec
	win   WindowSpec
	ec    *expr.Context

	keyTable *agg.Table // group keys → key id
	accTable *agg.Table // group keys + session id → accumulators
	byKey    [][]*session
	sessions map[int64]*session
	nextID   int64
	ends     sessionHeap

	watermark int64
	pending   []Message
	done      bool
	late      int64
	nullTime  int64

	keyIDs []uint32
	sids   []int64
	groups []uint32
	merges []sessionMerge // merges of this batch
	row    int32          // the row being placed

	// dead marks the accumulator groups of sessions merged away or
	// emitted: they are never written to disk.
	dead  []bool
	spill *groupSpill // nil: no memory budget
	peak  int64       // most bytes the accumulators have held
}

// sessionMerge is a merge of session from into into, made by a row.
type sessionMerge struct {
	into, from *session
	row        int32
}

type session struct {
	id         int64
	key        uint32
	start, end int64
	hasRows    bool // the session has an accumulator group
	parent     *session
	alive      bool
}

// root follows merges to the session that absorbed s.
func (s *session) root() *session {
	for s.parent != nil {
		s = s.parent
	}
	return s
}

var _ Operator = (*SessionAggregate)(nil)
var _ Describer = (*SessionAggregate)(nil)

// NewSessionAggregate builds a session-window aggregate over input.
func NewSessionAggregate(input Operator, spec *AggregateSpec, win WindowSpec, ec *expr.Context) *SessionAggregate {
	return &SessionAggregate{input: input, spec: spec, win: win, ec: ec, sessions: map[int64]*session{}, watermark: WatermarkMin}
}

// Schema implements Operator.
func (s *SessionAggregate) Schema() *arrow.Schema { return s.spec.Schema }

// Children implements Operator.
func (s *SessionAggregate) Children() []Operator { return []Operator{s.input} }

// Describe implements Describer.
func (s *SessionAggregate) Describe() string {
	return fmt.Sprintf("SessionAggregateExec: %s %s", s.win, s.spec.describe())
}

// LateRows is the number of rows dropped because their session had closed.
func (s *SessionAggregate) LateRows() int64 { return s.late }

// NullTimeRows is the number of rows dropped for a NULL event time.
func (s *SessionAggregate) NullTimeRows() int64 { return s.nullTime }

// OpenWindows is the number of open sessions.
func (s *SessionAggregate) OpenWindows() int { return len(s.sessions) }

// Open implements Operator.
func (s *SessionAggregate) Open(ctx context.Context) error {
	if err := s.openTables(); err != nil {
		return err
	}
	return s.input.Open(ctx)
}

// Next implements Operator.
func (s *SessionAggregate) Next(ctx context.Context) (Message, error) {
	return windowedNext(ctx, s.input, &s.pending, &s.done, s.consume, s.advance, s.win.procClock(s.ec))
}

func (s *SessionAggregate) consume(m Message) error {
	if m.Ops != nil {
		return fmt.Errorf("session windows over an updating stream are not supported")
	}
	rec := m.Batch
	n := int(rec.NumRows())
	if n == 0 {
		return nil
	}
	ts, ok := rec.Column(s.win.TimeCol).(*array.Timestamp)
	if !ok {
		return fmt.Errorf("session time column %d is %s, not TIMESTAMP", s.win.TimeCol, rec.Column(s.win.TimeCol).DataType())
	}
	in, err := s.spec.eval(s.ec, rec)
	if err != nil {
		return err
	}
	defer in.release()

	s.keyIDs = grow(s.keyIDs, n)
	s.keyTable.Lookup(in.keys, nil, s.keyIDs)
	for len(s.byKey) < s.keyTable.Len() {
		s.byKey = append(s.byKey, nil)
	}
	s.merges = s.merges[:0]
	rowSession := make([]*session, n)
	vals := ts.TimestampValues()
	for i := 0; i < n; i++ {
		if ts.IsNull(i) {
			s.nullTime++
			continue
		}
		s.row = int32(i)
		rowSession[i] = s.place(s.keyIDs[i], int64(vals[i]))
	}

	// Update the accumulators of the rows' (final) sessions in one pass.
	sel := make([]int32, 0, n)
	s.sids = s.sids[:0]
	for i, ss := range rowSession {
		if ss != nil {
			sel = append(sel, int32(i))
			s.sids = append(s.sids, ss.root().id)
		}
	}
	if len(sel) > 0 {
		sidCol := s.sessionIDColumn(sel, n)
		defer sidCol.Release()
		keys := append(append([]arrow.Array(nil), in.keys...), sidCol)
		if err := s.spill.unspill(s.accTable, keys, sel, n); err != nil {
			return err
		}
		s.groups = grow(s.groups, len(sel))
		s.accTable.Lookup(keys, sel, s.groups)
		s.growDead()
		if err := s.accTable.Update(sel, s.groups, in.args, in.filters); err != nil {
			return err
		}
		for _, i := range sel {
			rowSession[i].root().hasRows = true
		}
	}
	// Fold the state of sessions merged away in this batch into their roots.
	// A root always has a group by now: it either held rows before this
	// batch or was created by a row of it.
	for _, mg := range s.merges {
		from, into := mg.from, mg.into.root()
		if !from.hasRows {
			continue // created and merged away in this batch
		}
		fg, err := s.sessionGroup(in.keys, mg.row, from.id)
		if err != nil {
			return err
		}
		ig, err := s.sessionGroup(in.keys, mg.row, into.id)
		if err != nil {
			return err
		}
		if fg == agg.NotFound || ig == agg.NotFound {
			return fmt.Errorf("session aggregate: the state of merged sessions %d and %d is missing", from.id, into.id)
		}
		s.accTable.Merge(ig, fg)
		s.dead[fg] = true
	}
	return s.maybeSpill()
}

// sessionIDColumn builds a BIGINT column of n rows holding the session id
// of each selected row (other rows are never read).
func (s *SessionAggregate) sessionIDColumn(sel []int32, n int) arrow.Array {
	vals := make([]int64, n)
	for j, i := range sel {
		vals[i] = s.sids[j]
	}
	b := array.NewInt64Builder(s.ec.Mem)
	defer b.Release()
	b.AppendValues(vals, nil)
	return b.NewArray()
}

// place puts event time t of key k into a session: an open session within
// Gap of t is extended (merging any others it now reaches); otherwise a new
// session starts, unless it would already be closed (a late row).
func (s *SessionAggregate) place(k uint32, t int64) *session {
	lo, hi := t, t+s.win.Gap
	var into *session
	var intoEnd int64 // into's end before this row, to see if it moves
	list := s.byKey[k]
	kept := list[:0]
	for _, ss := range list {
		if !ss.alive {
			continue
		}
		// Flink's rule: the row's window [t, t+gap) joins a session it
		// overlaps or touches.
		if t <= ss.end && hi >= ss.start {
			if into == nil {
				into, intoEnd = ss, ss.end
			} else {
				// t bridges two sessions: merge ss into the first.
				ss.alive, ss.parent = false, into
				into.start, into.end = min(into.start, ss.start), max(into.end, ss.end)
				delete(s.sessions, ss.id)
				s.merges = append(s.merges, sessionMerge{into: into, from: ss, row: s.row})
				continue
			}
		}
		kept = append(kept, ss)
	}
	s.byKey[k] = kept
	if into != nil {
		// The session's end may have moved through merges above as well as
		// through this row; a moved end needs a heap entry of its own (the
		// old entry is skipped as stale when it surfaces).
		into.start = min(into.start, lo)
		into.end = max(into.end, hi)
		if into.end != intoEnd {
			heap.Push(&s.ends, sessionEnd{end: into.end, id: into.id})
		}
		return into
	}
	if hi <= s.watermark {
		s.late++
		return nil
	}
	ss := &session{id: s.nextID, key: k, start: lo, end: hi, alive: true}
	s.nextID++
	s.sessions[ss.id] = ss
	s.byKey[k] = append(s.byKey[k], ss)
	heap.Push(&s.ends, sessionEnd{end: ss.end, id: ss.id})
	return ss
}

// advance emits the sessions that end at or before wm, in order of end.
func (s *SessionAggregate) advance(wm int64) error {
	if wm <= s.watermark {
		return nil
	}
	s.watermark = wm
	var closing []*session
	for s.ends.Len() > 0 && s.ends[0].end <= wm {
		e := heap.Pop(&s.ends).(sessionEnd)
		ss, ok := s.sessions[e.id]
		if !ok || ss.end != e.end {
			continue // merged away, or extended (a later entry stands for it)
		}
		delete(s.sessions, ss.id)
		ss.alive = false
		closing = append(closing, ss)
	}
	if len(closing) == 0 {
		return nil
	}
	slices.SortStableFunc(closing, func(a, b *session) int {
		if a.end != b.end {
			return compareInt64(a.end, b.end)
		}
		return compareInt64(a.start, b.start)
	})
	var withRows []*session
	for _, ss := range closing {
		if ss.hasRows {
			withRows = append(withRows, ss)
		}
	}
	for k, list := range s.byKey {
		kept := list[:0]
		for _, ss := range list {
			if ss.alive {
				kept = append(kept, ss)
			}
		}
		s.byKey[k] = kept
	}
	if len(withRows) == 0 {
		return s.resetIfIdle()
	}
	groups, err := s.closingGroups(withRows)
	if err != nil {
		return err
	}
	keys, results, err := s.accTable.Results(groups)
	if err != nil {
		return err
	}
	n := len(groups)
	starts := make([]int64, n)
	ends := make([]int64, n)
	times := make([]int64, n)
	for i, ss := range withRows {
		starts[i], ends[i], times[i] = ss.start, ss.end, ss.end-1
	}
	cols := make([]arrow.Array, 0, len(keys)+2+len(results))
	cols = append(cols, keys[:len(keys)-1]...) // drop the session id
	keys[len(keys)-1].Release()
	cols = append(cols, timestamps(s.ec, starts), timestamps(s.ec, ends), timestamps(s.ec, times))
	cols = append(cols, results...)
	rec := array.NewRecord(s.spec.Schema, cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	s.pending = append(s.pending, BatchMessage(rec))
	for _, g := range groups {
		s.dead[g] = true
	}
	return s.resetIfIdle()
}

// resetIfIdle starts the accumulators afresh when no session is open, so
// state does not grow with the sessions already emitted.
func (s *SessionAggregate) resetIfIdle() error {
	if len(s.sessions) > 0 {
		return nil
	}
	s.accTable.Reset()
	s.dead = s.dead[:0]
	return s.spill.dropAll()
}

func timestamps(ec *expr.Context, v []int64) arrow.Array {
	b := array.NewTimestampBuilder(ec.Mem, sqltypes.Timestamp.(*arrow.TimestampType))
	defer b.Release()
	b.Reserve(len(v))
	for _, x := range v {
		b.UnsafeAppend(arrow.Timestamp(x))
	}
	return b.NewArray()
}

func compareInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// Close implements Operator.
func (s *SessionAggregate) Close() error {
	for _, m := range s.pending {
		m.Release()
	}
	s.pending = nil
	if s.keyTable != nil {
		s.keyTable.Release()
		s.keyTable = nil
	}
	if s.accTable != nil {
		s.accTable.Release()
		s.accTable = nil
	}
	return s.input.Close()
}

type sessionEnd struct {
	end int64
	id  int64
}

type sessionHeap []sessionEnd

func (h sessionHeap) Len() int           { return len(h) }
func (h sessionHeap) Less(i, j int) bool { return h[i].end < h[j].end }
func (h sessionHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *sessionHeap) Push(x any)        { *h = append(*h, x.(sessionEnd)) }
func (h *sessionHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
