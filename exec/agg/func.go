package agg

// The aggregate functions, their names and their typing rule.

import (
	"errors"
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/weirsql/weir/sqltypes"
)

// Func is an aggregate function.
type Func int

// The aggregate functions. Count is COUNT(x), which skips NULLs; CountStar
// is COUNT(*), which counts rows.
const (
	Count Func = iota
	CountStar
	Sum
	Min
	Max
	Avg
	StddevPop
	StddevSamp
	VarPop
	VarSamp
	FirstValue
	LastValue
	ApproxCountDistinct
)

var funcNames = [...]string{
	Count:               "COUNT",
	CountStar:           "COUNT",
	Sum:                 "SUM",
	Min:                 "MIN",
	Max:                 "MAX",
	Avg:                 "AVG",
	StddevPop:           "STDDEV_POP",
	StddevSamp:          "STDDEV_SAMP",
	VarPop:              "VAR_POP",
	VarSamp:             "VAR_SAMP",
	FirstValue:          "FIRST_VALUE",
	LastValue:           "LAST_VALUE",
	ApproxCountDistinct: "APPROX_COUNT_DISTINCT",
}

// String returns the SQL name of f (COUNT for both Count and CountStar).
func (f Func) String() string {
	if f >= 0 && int(f) < len(funcNames) {
		return funcNames[f]
	}
	return fmt.Sprintf("Func(%d)", int(f))
}

// LookupFunc returns the aggregate function of an upper-case SQL name.
// COUNT is Count (the planner turns COUNT(*) into CountStar), STDDEV is
// STDDEV_SAMP and VARIANCE is VAR_SAMP.
func LookupFunc(name string) (Func, bool) {
	switch name {
	case "STDDEV":
		return StddevSamp, true
	case "VARIANCE":
		return VarSamp, true
	case "COUNT":
		return Count, true
	}
	for f, n := range funcNames {
		if n == name && Func(f) != CountStar {
			return Func(f), true
		}
	}
	return 0, false
}

// Spec is one aggregate call of a GROUP BY.
type Spec struct {
	Func Func
	// Distinct makes the aggregate see each distinct non-NULL value of its
	// group once: COUNT(DISTINCT x), SUM(DISTINCT x), ... It is accepted for
	// every function and ignored where it cannot change the result (MIN,
	// MAX, FIRST_VALUE, LAST_VALUE, APPROX_COUNT_DISTINCT, COUNT(*)).
	Distinct bool
	// Arg is the type of the argument; nil for CountStar.
	Arg arrow.DataType
}

// String renders s as SQL, for example "SUM(DISTINCT DECIMAL(10, 2))".
func (s Spec) String() string {
	if s.Func == CountStar {
		return "COUNT(*)"
	}
	arg := "?"
	if s.Arg != nil {
		arg = sqltypes.Name(s.Arg)
	}
	if s.Distinct {
		arg = "DISTINCT " + arg
	}
	return s.Func.String() + "(" + arg + ")"
}

// ErrUndefined is matched (errors.Is) by the error of an aggregate that is
// not defined for its argument type.
var ErrUndefined = errors.New("aggregate is not defined for the argument type")

// ErrOverflow is wrapped by the error of a DECIMAL sum or average whose
// value does not fit in DECIMAL(38, s).
var ErrOverflow = errors.New("numeric overflow")

// ErrNotRetractable is matched (errors.Is) by the error of an aggregate
// that a retractable table (NewRetractableTable) cannot hold: FIRST_VALUE,
// LAST_VALUE and APPROX_COUNT_DISTINCT keep no record of the values they
// saw, so a retracted row could not be taken back out.
var ErrNotRetractable = errors.New("aggregate cannot retract rows")

// Retractable reports whether f can take rows back out of its groups, as
// an aggregation over an updating input (a changelog) needs: every function
// but FIRST_VALUE, LAST_VALUE and APPROX_COUNT_DISTINCT.
func Retractable(f Func) bool {
	switch f {
	case FirstValue, LastValue, ApproxCountDistinct:
		return false
	}
	return f >= 0 && int(f) < len(funcNames)
}

// undefinedError reads "SUM(VARCHAR) is not defined" and matches
// ErrUndefined.
type undefinedError struct{ msg string }

func (e *undefinedError) Error() string        { return e.msg }
func (e *undefinedError) Is(target error) bool { return target == ErrUndefined }

func undefined(s Spec) error {
	d := s
	d.Distinct = false
	return &undefinedError{msg: d.String() + " is not defined"}
}

// kind is the physical layout of a value as the accumulators and key
// columns read it.
type kind int

const (
	kOther kind = iota
	kNull
	kBool
	kI8
	kI16
	kI32 // INT, DATE
	kI64 // BIGINT, TIMESTAMP, INTERVAL
	kF32
	kF64
	kDec
	kStr
)

func kindOf(t arrow.DataType) kind {
	if t == nil {
		return kOther
	}
	switch t.ID() {
	case arrow.NULL:
		return kNull
	case arrow.BOOL:
		return kBool
	case arrow.INT8:
		return kI8
	case arrow.INT16:
		return kI16
	case arrow.INT32, arrow.DATE32:
		return kI32
	case arrow.INT64, arrow.TIMESTAMP, arrow.DATE64, arrow.DURATION:
		return kI64
	case arrow.FLOAT32:
		return kF32
	case arrow.FLOAT64:
		return kF64
	case arrow.DECIMAL128:
		return kDec
	case arrow.STRING:
		return kStr
	}
	return kOther
}

func (k kind) integer() bool  { return k >= kI8 && k <= kI64 }
func (k kind) floating() bool { return k == kF32 || k == kF64 }
func (k kind) numeric() bool  { return k.integer() || k.floating() || k == kDec }

// keyable reports whether values of kind k can be group keys, DISTINCT
// values and APPROX_COUNT_DISTINCT arguments.
func (k kind) keyable() bool { return k != kOther }

// ResultType returns the type of the aggregate's result, or an error
// matching ErrUndefined ("SUM(VARCHAR) is not defined").
//
//	COUNT, COUNT(*), APPROX_COUNT_DISTINCT   BIGINT
//	SUM     INT, BIGINT → BIGINT; FLOAT, DOUBLE → DOUBLE;
//	        DECIMAL(p,s) → DECIMAL(38,s); INTERVAL → INTERVAL
//	AVG     integers and floats → DOUBLE (Flink keeps the integer type);
//	        DECIMAL(p,s) → DECIMAL(38, max(s,6))
//	MIN, MAX, FIRST_VALUE, LAST_VALUE   the argument type
//	STDDEV_POP, STDDEV_SAMP, VAR_POP, VAR_SAMP   DOUBLE, over numbers
func ResultType(s Spec) (arrow.DataType, error) {
	if s.Func == CountStar {
		return sqltypes.BigInt, nil
	}
	if s.Arg == nil {
		return nil, fmt.Errorf("%s needs an argument", s.Func)
	}
	k := kindOf(s.Arg)
	switch s.Func {
	case Count:
		return sqltypes.BigInt, nil
	case ApproxCountDistinct:
		if k.keyable() {
			return sqltypes.BigInt, nil
		}
	case Sum:
		switch {
		case k.integer() && s.Arg.ID() == arrow.DURATION:
			return s.Arg, nil
		case k.integer() && (s.Arg.ID() == arrow.TIMESTAMP || s.Arg.ID() == arrow.DATE32 || s.Arg.ID() == arrow.DATE64):
		case k.integer():
			return sqltypes.BigInt, nil
		case k.floating():
			return sqltypes.Double, nil
		case k == kDec:
			return sqltypes.Decimal(38, s.Arg.(*arrow.Decimal128Type).Scale), nil
		}
	case Avg:
		switch {
		case isPlainNumber(s.Arg):
			return sqltypes.Double, nil
		case k == kDec:
			return sqltypes.Decimal(38, max(s.Arg.(*arrow.Decimal128Type).Scale, 6)), nil
		}
	case Min, Max, FirstValue, LastValue:
		if k.keyable() && k != kNull {
			return s.Arg, nil
		}
	case StddevPop, StddevSamp, VarPop, VarSamp:
		if isPlainNumber(s.Arg) || k == kDec {
			return sqltypes.Double, nil
		}
	default:
		return nil, fmt.Errorf("unknown aggregate %s", s.Func)
	}
	return nil, undefined(s)
}

// isPlainNumber reports whether t is an integer or floating type (not a
// temporal type stored as an integer).
func isPlainNumber(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.FLOAT32, arrow.FLOAT64:
		return true
	}
	return false
}
