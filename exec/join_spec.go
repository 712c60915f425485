package exec

import (
	"context"
	"time"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/weirsql/weir/exec/expr"
)

// JoinKind says which rows of a join survive.
type JoinKind int

// Join kinds.
const (
	InnerJoin JoinKind = iota
	LeftJoin           // every left row, NULL-padded when unmatched
	RightJoin          // every right row, NULL-padded when unmatched
	FullJoin           // both
)

func (k JoinKind) String() string {
	switch k {
	case InnerJoin:
		return "INNER"
	case LeftJoin:
		return "LEFT"
	case RightJoin:
		return "RIGHT"
	case FullJoin:
		return "FULL"
	}
	return "JoinKind(?)"
}

// JoinSpec describes a streaming equi-join of two inputs: what the planner
// compiles a JOIN into. Rows whose equi-key holds a NULL never match (an
// outer join still emits them, NULL-padded).
//
// The mode follows from which of Interval and Window is set:
//
//   - Interval join (Interval set): a left row l and a right row r join when
//     their keys are equal, Residual holds, and
//     r.time + Lower <= l.time <= r.time + Upper (milliseconds, inclusive;
//     a strict bound in SQL is compiled as the inclusive one a millisecond
//     inside). Each side's state holds a row only while a row of the other
//     side could still match it: the watermark of the other side (the
//     minimum of the two) expires rows, and for outer kinds an expired row
//     that never matched is emitted NULL-padded then. The output is
//     append-only. The output's watermark is the minimum of the inputs',
//     held back by max(0, Upper, -Lower) (as Flink does) so that no
//     joined row's times are behind it.
//   - Window join (Window set): both inputs are windowed results; rows join
//     when their keys and window bounds are equal and Residual holds. A
//     window's rows are joined, and for outer kinds its unmatched rows
//     emitted, when the watermark (the minimum of the inputs') reaches its
//     end; then its state is dropped. The output is append-only.
//   - Regular join (neither): every row is kept (or until StateTTL passes
//     without the row's key being seen on either side), and each new row
//     joins with all stored rows of the other side. An inner join of
//     append-only inputs is append-only; outer kinds produce an updating
//     result: an unmatched row goes out NULL-padded (+I), and when its first
//     match arrives that row is retracted (-D) before the joined rows (+I).
//     Watermarks pass through as the minimum of the inputs'.
//
// Inputs must be append-only (updating inputs are refused by the planner).
type JoinSpec struct {
	Kind JoinKind
	// LeftKeys and RightKeys are the equi-join keys, evaluated on each
	// side's batches; pairwise of the same type.
	LeftKeys, RightKeys []expr.Expr
	// Residual, when set, is the rest of the ON condition, evaluated on
	// the joined row (the left columns then the right ones); a pair joins
	// only where it is TRUE.
	Residual expr.Expr
	// Interval makes an interval join.
	Interval *IntervalBounds
	// Window makes a window join.
	Window *WindowJoinCols
	// StateTTL, for a regular join, drops a row from the state once its key
	// has not been seen on either side for that long (wall-clock time, as
	// Flink's 'table.exec.state.ttl'); 0 keeps rows forever.
	StateTTL time.Duration
	// Schema is the output: the left input's columns then the right's,
	// every field nullable.
	Schema *arrow.Schema
}

// IntervalBounds are an interval join's time columns (indexes into each
// input's schema, TIMESTAMP) and bounds in milliseconds:
// right.time + Lower <= left.time <= right.time + Upper.
type IntervalBounds struct {
	LeftTime, RightTime int
	Lower, Upper        int64
}

// WindowJoinCols are a window join's window_start and window_end columns
// (indexes into each input's schema, TIMESTAMP).
type WindowJoinCols struct {
	LeftStart, LeftEnd, RightStart, RightEnd int
}

// DimensionTable is the table side of a lookup (temporal) join: a bounded
// relation, such as a file, read whole and read again when it changes.
type DimensionTable interface {
	// Schema is the schema of the table's records.
	Schema() *arrow.Schema
	// Load returns the table's rows if they changed since the last Load
	// (always on the first call), else changed is false and recs nil. The
	// caller releases the records.
	Load(ctx context.Context) (recs []arrow.Record, changed bool, err error)
	// Close releases what the table holds.
	Close() error
}

// LookupJoinSpec describes a lookup join: each row of the input (the left,
// streaming side) is joined with the rows of a DimensionTable whose key
// columns equal its key, as the table is when the row is processed
// (processing-time temporal join, as Flink's lookup join). The table is
// checked for changes every Reload and reloaded if it changed.
type LookupJoinSpec struct {
	// Kind is InnerJoin or LeftJoin.
	Kind JoinKind
	// StreamKeys are evaluated on the input's batches; TableKeys are
	// column indexes of the table, pairwise of the same type.
	StreamKeys []expr.Expr
	TableKeys  []int
	// Residual, when set, filters the joined rows (input columns then the
	// table's).
	Residual expr.Expr
	// Reload is how often the table is checked for changes (0: never after
	// the first load).
	Reload time.Duration
	// Schema is the output: the input's columns then the table's.
	Schema *arrow.Schema
	// TableName names the table in messages.
	TableName string
}
