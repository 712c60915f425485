package expr

// Date and time functions. TIMESTAMP values are UTC wall-clock epoch
// milliseconds; there are no time zones.

import (
	"fmt"
	"github.com/weirsql/weir/internal/arrowbuf"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/weirsql/weir/sqltypes"
)

func init() {
	ts, bi := sqltypes.Timestamp, sqltypes.BigInt
	register(
		&Func{Name: "CURRENT_TIMESTAMP", Doc: "CURRENT_TIMESTAMP → TIMESTAMP: the time the query started (the same for every row).",
			Resolve: sig("CURRENT_TIMESTAMP", ts, 0, false), New: newNow("CURRENT_TIMESTAMP", false)},
		&Func{Name: "CURRENT_DATE", Doc: "CURRENT_DATE → DATE: the date (UTC) the query started.",
			Resolve: sig("CURRENT_DATE", sqltypes.Date, 0, false), New: newNow("CURRENT_DATE", true)},
		&Func{Name: "DATE_TRUNC", Doc: "DATE_TRUNC('unit', ts) → TIMESTAMP: ts truncated to the unit: millisecond, second, minute, hour, day, week (Monday), month, quarter or year. The unit must be a literal.",
			Resolve: sig("DATE_TRUNC", ts, 2, false, kStr, kTs), New: newDateTrunc},
		&Func{Name: "DATE_FORMAT", Doc: "DATE_FORMAT(ts, 'pattern') → VARCHAR: ts formatted with a Java-style pattern such as 'yyyy-MM-dd HH:mm:ss.SSS'.",
			Resolve: sig("DATE_FORMAT", sqltypes.Varchar, 2, false, kTs, kStr), New: newDateFormat},
		&Func{Name: "TO_TIMESTAMP", Doc: "TO_TIMESTAMP(s[, 'pattern']) → TIMESTAMP: s parsed as 'YYYY-MM-DD HH:MM:SS[.fff]' (or RFC 3339, or with a Java-style pattern); NULL when s does not parse.",
			Resolve: sig("TO_TIMESTAMP", ts, 1, false, kStr, kStr), New: newToTimestamp("TO_TIMESTAMP", false)},
		&Func{Name: "TO_DATE", Doc: "TO_DATE(s[, 'pattern']) → DATE: s parsed as 'YYYY-MM-DD' (or with a Java-style pattern); NULL when s does not parse.",
			Resolve: sig("TO_DATE", sqltypes.Date, 1, false, kStr, kStr), New: newToTimestamp("TO_DATE", true)},
		&Func{Name: "TO_TIMESTAMP_LTZ", Doc: "TO_TIMESTAMP_LTZ(epoch[, precision]) → TIMESTAMP: epoch seconds (precision 0) or milliseconds (precision 3, the default) as a TIMESTAMP (UTC).",
			Resolve: resolveToTimestampLTZ, New: newToTimestampLTZ},
		&Func{Name: "YEAR", Doc: "YEAR(ts) → BIGINT: EXTRACT(YEAR FROM ts).", Resolve: sig("YEAR", bi, 1, false, kTs), New: extractFunc("YEAR")},
		&Func{Name: "QUARTER", Doc: "QUARTER(ts) → BIGINT: EXTRACT(QUARTER FROM ts).", Resolve: sig("QUARTER", bi, 1, false, kTs), New: extractFunc("QUARTER")},
		&Func{Name: "MONTH", Doc: "MONTH(ts) → BIGINT: EXTRACT(MONTH FROM ts).", Resolve: sig("MONTH", bi, 1, false, kTs), New: extractFunc("MONTH")},
		&Func{Name: "WEEK", Doc: "WEEK(ts) → BIGINT: EXTRACT(WEEK FROM ts), the ISO week.", Resolve: sig("WEEK", bi, 1, false, kTs), New: extractFunc("WEEK")},
		&Func{Name: "DAYOFMONTH", Doc: "DAYOFMONTH(ts) → BIGINT: EXTRACT(DAY FROM ts).", Resolve: sig("DAYOFMONTH", bi, 1, false, kTs), New: extractFunc("DAY")},
		&Func{Name: "DAYOFWEEK", Doc: "DAYOFWEEK(ts) → BIGINT: EXTRACT(DOW FROM ts), Sunday = 1.", Resolve: sig("DAYOFWEEK", bi, 1, false, kTs), New: extractFunc("DOW")},
		&Func{Name: "DAYOFYEAR", Doc: "DAYOFYEAR(ts) → BIGINT: EXTRACT(DOY FROM ts).", Resolve: sig("DAYOFYEAR", bi, 1, false, kTs), New: extractFunc("DOY")},
		&Func{Name: "HOUR", Doc: "HOUR(ts) → BIGINT: EXTRACT(HOUR FROM ts).", Resolve: sig("HOUR", bi, 1, false, kTs), New: extractFunc("HOUR")},
		&Func{Name: "MINUTE", Doc: "MINUTE(ts) → BIGINT: EXTRACT(MINUTE FROM ts).", Resolve: sig("MINUTE", bi, 1, false, kTs), New: extractFunc("MINUTE")},
		&Func{Name: "SECOND", Doc: "SECOND(ts) → BIGINT: EXTRACT(SECOND FROM ts).", Resolve: sig("SECOND", bi, 1, false, kTs), New: extractFunc("SECOND")},
	)
	register(&Func{Name: "PROCTIME", Doc: "PROCTIME() → TIMESTAMP: the processing time, the wall clock (UTC, milliseconds) when the row's batch is read: " +
		"one value for all the rows of a batch, never going backwards within a query. As a source's computed column " +
		"(`p_time AS PROCTIME()`) or a select item it is a processing-time attribute: a window over it closes on the wall clock. " +
		"Flink's type for it is TIMESTAMP_LTZ(3); Weir's TIMESTAMP has no time zone and holds UTC.",
		Resolve: sig("PROCTIME", ts, 0, false), New: newProcTime})
	alias("LOCALTIMESTAMP", "CURRENT_TIMESTAMP")
	register(&Func{Name: "NOW", Doc: "NOW() → TIMESTAMP: CURRENT_TIMESTAMP.",
		Resolve: sig("NOW", ts, 0, false), New: newNow("NOW()", false)})
}

type nowExpr struct {
	name string
	date bool
}

var _ Expr = (*nowExpr)(nil)

func newNow(name string, date bool) newFn {
	return func([]Expr, arrow.DataType) (Expr, error) { return &nowExpr{name: name, date: date}, nil }
}

func (e *nowExpr) DataType() arrow.DataType {
	if e.date {
		return sqltypes.Date
	}
	return sqltypes.Timestamp
}
func (e *nowExpr) children() []Expr { return nil }
func (e *nowExpr) fallible() bool   { return false }
func (e *nowExpr) String() string   { return e.name }

func (e *nowExpr) Eval(ctx *Context, batch arrow.Record) (arrow.Array, error) {
	n := int(batch.NumRows())
	ms := ctx.Now.UnixMilli()
	if e.date {
		buf, out := arrowbuf.AllocValues[int32](ctx.Mem, n)
		d := int32(floorDiv(ms, msPerDay))
		for i := range out {
			out[i] = d
		}
		return newArray(sqltypes.Date, n, nil, buf), nil
	}
	buf, out := arrowbuf.AllocValues[int64](ctx.Mem, n)
	for i := range out {
		out[i] = ms
	}
	return newArray(sqltypes.Timestamp, n, nil, buf), nil
}

// procTimeExpr is PROCTIME(): the processing-time clock, read once per
// batch.
type procTimeExpr struct{}

var _ Expr = procTimeExpr{}

func newProcTime([]Expr, arrow.DataType) (Expr, error) { return procTimeExpr{}, nil }

func (procTimeExpr) DataType() arrow.DataType { return sqltypes.Timestamp }
func (procTimeExpr) children() []Expr         { return nil }
func (procTimeExpr) fallible() bool           { return false }
func (procTimeExpr) String() string           { return "PROCTIME()" }

func (procTimeExpr) Eval(ctx *Context, batch arrow.Record) (arrow.Array, error) {
	n := int(batch.NumRows())
	ms := ctx.ProcTime()
	buf, out := arrowbuf.AllocValues[int64](ctx.Mem, n)
	for i := range out {
		out[i] = ms
	}
	return newArray(sqltypes.Timestamp, n, nil, buf), nil
}

func extractFunc(unit string) newFn {
	return func(args []Expr, _ arrow.DataType) (Expr, error) { return NewExtract(unit, args[0]) }
}

// truncator maps epoch milliseconds to the start of their unit.
func truncator(unit string) (func(int64) int64, bool) {
	fixed := func(m int64) func(int64) int64 {
		return func(ms int64) int64 { return floorDiv(ms, m) * m }
	}
	switch strings.ToLower(unit) {
	case "millisecond", "milliseconds":
		return func(ms int64) int64 { return ms }, true
	case "second", "seconds":
		return fixed(1000), true
	case "minute", "minutes":
		return fixed(60_000), true
	case "hour", "hours":
		return fixed(3_600_000), true
	case "day", "days":
		return fixed(msPerDay), true
	case "week", "weeks":
		return func(ms int64) int64 {
			d, _ := splitMs(ms)
			return (d - floorMod(d+3, 7)) * msPerDay
		}, true
	case "month", "months":
		return func(ms int64) int64 {
			d, _ := splitMs(ms)
			y, m, _ := civilFromDays(d)
			return daysFromCivil(y, m, 1) * msPerDay
		}, true
	case "quarter", "quarters":
		return func(ms int64) int64 {
			d, _ := splitMs(ms)
			y, m, _ := civilFromDays(d)
			return daysFromCivil(y, (m-1)/3*3+1, 1) * msPerDay
		}, true
	case "year", "years":
		return func(ms int64) int64 {
			d, _ := splitMs(ms)
			y, _, _ := civilFromDays(d)
			return daysFromCivil(y, 1, 1) * msPerDay
		}, true
	}
	return nil, false
}

func newDateTrunc(args []Expr, ret arrow.DataType) (Expr, error) {
	u, ok := IsLiteral(args[0])
	if !ok {
		return nil, fmt.Errorf("DATE_TRUNC unit must be a literal such as 'day'")
	}
	if !u.IsValid() {
		return NewLiteral(scalar.MakeNullScalar(ret)), nil
	}
	unit := litString(u)
	f, ok := truncator(unit)
	if !ok {
		return nil, fmt.Errorf("DATE_TRUNC: unknown unit %s (use millisecond, second, minute, hour, day, week, month, quarter or year)", quoteSQL(unit))
	}
	return newFunc("DATE_TRUNC", args, ret, false, func(ctx *Context, ops []operand, n int) (arrow.Array, error) {
		return mapFixed(ctx, ops[1], ret, n, f)
	}), nil
}

// literalFormat compiles a literal pattern argument; nil for a computed one.
func literalFormat(name string, e Expr) (*timeFormat, error) {
	s, ok := IsLiteral(e)
	if !ok || !s.IsValid() {
		return nil, nil
	}
	f, err := compileTimeFormat(litString(s))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return f, nil
}

func newDateFormat(args []Expr, ret arrow.DataType) (Expr, error) {
	fixed, err := literalFormat("DATE_FORMAT", args[1])
	if err != nil {
		return nil, err
	}
	return newFunc("DATE_FORMAT", args, ret, fixed == nil, func(ctx *Context, ops []operand, n int) (arrow.Array, error) {
		ts, pat := newNumArg[int64](ops[0]), newStrArg(ops[1])
		cache := timeFormats{}
		return buildStr(ctx.Mem, n, func(i int, dst []byte) ([]byte, bool, error) {
			ms, ok1 := ts.get(i)
			p, ok2 := pat.get(i)
			if !ok1 || !ok2 {
				return dst, false, nil
			}
			f := fixed
			if f == nil {
				var err error
				if f, err = cache.get(p); err != nil {
					return dst, false, err
				}
			}
			return f.format(dst, ms), true, nil
		})
	}), nil
}

func newToTimestamp(name string, date bool) newFn {
	return func(args []Expr, ret arrow.DataType) (Expr, error) {
		var fixed *timeFormat
		if len(args) == 2 {
			var err error
			if fixed, err = literalFormat(name, args[1]); err != nil {
				return nil, err
			}
		}
		return newFunc(name, args, ret, len(args) == 2 && fixed == nil, func(ctx *Context, ops []operand, n int) (arrow.Array, error) {
			s := newStrArg(ops[0])
			pat := strArg{isConst: true}
			if len(ops) == 2 {
				pat = newStrArg(ops[1])
			}
			withFormat := len(ops) == 2
			cache := timeFormats{}
			parse := func(i int) (int64, bool, error) {
				v, ok1 := s.get(i)
				p, ok2 := pat.get(i)
				if !ok1 || !ok2 {
					return 0, false, nil
				}
				if !withFormat {
					if date {
						d, err := sqltypes.ParseDate(v)
						return int64(d) * msPerDay, err == nil, nil
					}
					ms, err := sqltypes.ParseTimestamp(v)
					return ms, err == nil, nil
				}
				f := fixed
				if f == nil {
					var err error
					if f, err = cache.get(p); err != nil {
						return 0, false, err
					}
				}
				ms, ok := f.parse(v)
				return ms, ok, nil
			}
			if date {
				return buildFixed(ctx.Mem, ret, n, func(i int) (int32, bool, error) {
					ms, ok, err := parse(i)
					return int32(floorDiv(ms, msPerDay)), ok, err
				})
			}
			return buildFixed(ctx.Mem, ret, n, parse)
		}), nil
	}
}

func resolveToTimestampLTZ(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
	if err := checkArity("TO_TIMESTAMP_LTZ", args, 1, 2); err != nil {
		return nil, nil, err
	}
	if !sqltypes.IsNumeric(args[0]) && !isNullType(args[0]) {
		return nil, nil, fmt.Errorf("TO_TIMESTAMP_LTZ argument 1 must be a number, not %s", sqltypes.Name(args[0]))
	}
	want := []arrow.DataType{sqltypes.BigInt}
	if len(args) == 2 {
		w, ok := kInt.accepts(args[1])
		if !ok {
			return nil, nil, fmt.Errorf("TO_TIMESTAMP_LTZ precision must be 0 or 3, not %s", sqltypes.Name(args[1]))
		}
		want = append(want, w)
	}
	return sqltypes.Timestamp, want, nil
}

func newToTimestampLTZ(args []Expr, ret arrow.DataType) (Expr, error) {
	scale := int64(1) // milliseconds
	if len(args) == 2 {
		p, ok := IsLiteral(args[1])
		if !ok || !p.IsValid() {
			return nil, fmt.Errorf("TO_TIMESTAMP_LTZ precision must be the literal 0 or 3")
		}
		switch litValue[int64](p) {
		case 0:
			scale = 1000
		case 3:
		default:
			return nil, fmt.Errorf("TO_TIMESTAMP_LTZ precision must be 0 or 3, not %d", litValue[int64](p))
		}
	}
	return newFunc("TO_TIMESTAMP_LTZ", args, ret, false, func(ctx *Context, ops []operand, n int) (arrow.Array, error) {
		xa := ops[0].arr
		if xa == nil {
			a, err := ops[0].array(ctx.Mem, n)
			if err != nil {
				return nil, err
			}
			defer a.Release()
			xa = a
		}
		x := xa.(*array.Int64)
		buf, out := arrowbuf.AllocValues[int64](ctx.Mem, n)
		for i, v := range x.Int64Values() {
			out[i] = v * scale
		}
		return newArray(ret, n, shareValidity(ctx.Mem, x), buf), nil
	}), nil
}
