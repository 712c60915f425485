package expr

// Binary operators: the operator enum, the typing rule and the constructor
// that picks a kernel (arith.go, compare.go, logic.go).

import (
	"fmt"
	"math"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/weirsql/weir/sqltypes"
)

// BinaryOp is a binary SQL operator.
type BinaryOp int

// The binary operators.
const (
	Add BinaryOp = iota
	Sub
	Mul
	Div
	Mod
	Concat
	Eq
	NotEq
	Lt
	LtEq
	Gt
	GtEq
	And
	Or
)

var binaryOpText = [...]string{
	Add: "+", Sub: "-", Mul: "*", Div: "/", Mod: "%", Concat: "||",
	Eq: "=", NotEq: "<>", Lt: "<", LtEq: "<=", Gt: ">", GtEq: ">=",
	And: "AND", Or: "OR",
}

// String returns the operator's SQL text: "+", "=", "<>", "AND", ...
func (op BinaryOp) String() string {
	if op >= 0 && int(op) < len(binaryOpText) {
		return binaryOpText[op]
	}
	return fmt.Sprintf("BinaryOp(%d)", int(op))
}

// IsComparison reports whether op is one of = <> < <= > >=.
func (op BinaryOp) IsComparison() bool { return op >= Eq && op <= GtEq }

// IsArithmetic reports whether op is one of + - * / %.
func (op BinaryOp) IsArithmetic() bool { return op >= Add && op <= Mod }

// precedence orders operators for printing: higher binds tighter.
func (op BinaryOp) precedence() int {
	switch op {
	case Or:
		return 1
	case And:
		return 2
	case Eq, NotEq, Lt, LtEq, Gt, GtEq:
		return 4
	case Concat:
		return 5
	case Add, Sub:
		return 6
	}
	return 7 // * / %
}

// flip returns the comparison with its operands swapped: a < b ⇔ b > a.
func (op BinaryOp) flip() BinaryOp {
	switch op {
	case Lt:
		return Gt
	case LtEq:
		return GtEq
	case Gt:
		return Lt
	case GtEq:
		return LtEq
	}
	return op
}

// BinaryResultType returns the type of l op r, the rule NewBinary applies:
//
//   - + - * / % on numbers of the same type keep it; mixed numbers widen as
//     in CommonType. DECIMAL(p1,s1) with DECIMAL(p2,s2): + and - give scale
//     max(s1,s2) and one more integer digit than the wider operand; * gives
//     DECIMAL(p1+p2, s1+s2); / gives DECIMAL(38, max(6, s1)); % gives the
//     operands' common DECIMAL. Precision is capped at 38.
//   - TIMESTAMP ± INTERVAL and DATE ± INTERVAL give TIMESTAMP;
//     TIMESTAMP − TIMESTAMP (or DATE) and INTERVAL ± INTERVAL give INTERVAL;
//     INTERVAL * BIGINT, BIGINT * INTERVAL and INTERVAL / BIGINT give INTERVAL
//     (INT operands widen to BIGINT).
//   - || takes VARCHAR operands and gives VARCHAR.
//   - Comparisons take operands with a common type (CommonType), or a
//     VARCHAR with a DATE or TIMESTAMP (the text is cast), and give BOOLEAN.
//   - AND and OR take BOOLEAN operands.
//
// A NULL-typed operand takes the type of the other.
func BinaryResultType(op BinaryOp, l, r arrow.DataType) (arrow.DataType, error) {
	p, err := planBinary(op, l, r)
	if err != nil {
		return nil, err
	}
	return p.result, nil
}

// binaryPlan is the typing decision for a binary operator: the type each
// operand is cast to, the result type and the kernel's layout.
type binaryPlan struct {
	lt, rt arrow.DataType // operand types after coercion
	result arrow.DataType
	kind   phys // kernel layout of the operands
}

func binaryTypeError(op BinaryOp, l, r arrow.DataType) error {
	if op.IsComparison() {
		return fmt.Errorf("cannot compare %s and %s", sqltypes.Name(l), sqltypes.Name(r))
	}
	return fmt.Errorf("cannot apply %s to %s and %s", op, sqltypes.Name(l), sqltypes.Name(r))
}

func planBinary(op BinaryOp, l, r arrow.DataType) (binaryPlan, error) {
	bad := func() (binaryPlan, error) { return binaryPlan{}, binaryTypeError(op, l, r) }
	lt, rt := l, r
	if isNullType(lt) && !isNullType(rt) {
		lt = nullPartner(op, rt)
	} else if isNullType(rt) && !isNullType(lt) {
		rt = nullPartner(op, lt)
	}
	switch {
	case op == And || op == Or:
		if isNullType(lt) && isNullType(rt) {
			lt, rt = sqltypes.Boolean, sqltypes.Boolean
		}
		if lt.ID() != arrow.BOOL || rt.ID() != arrow.BOOL {
			return bad()
		}
		return binaryPlan{lt: lt, rt: rt, result: sqltypes.Boolean, kind: physBool}, nil

	case op == Concat:
		if isNullType(lt) && isNullType(rt) {
			lt, rt = sqltypes.Varchar, sqltypes.Varchar
		}
		if lt.ID() != arrow.STRING || rt.ID() != arrow.STRING {
			return bad()
		}
		return binaryPlan{lt: lt, rt: rt, result: sqltypes.Varchar, kind: physStr}, nil

	case op.IsComparison():
		if isNullType(lt) && isNullType(rt) {
			return binaryPlan{lt: lt, rt: rt, result: sqltypes.Boolean, kind: physNull}, nil
		}
		t, ok := CommonType(lt, rt)
		if !ok {
			switch {
			case lt.ID() == arrow.STRING && isDateOrTimestamp(rt):
				t = rt
			case rt.ID() == arrow.STRING && isDateOrTimestamp(lt):
				t = lt
			default:
				return bad()
			}
		}
		k := physOf(t)
		if k == physOther {
			return bad()
		}
		return binaryPlan{lt: t, rt: t, result: sqltypes.Boolean, kind: k}, nil
	}

	// Arithmetic.
	if isNullType(lt) && isNullType(rt) {
		return binaryPlan{lt: lt, rt: rt, result: sqltypes.Null, kind: physNull}, nil
	}
	if sqltypes.IsNumeric(lt) && sqltypes.IsNumeric(rt) {
		t := numericCommon(lt, rt)
		if t.ID() != arrow.DECIMAL128 {
			return binaryPlan{lt: t, rt: t, result: t, kind: physOf(t)}, nil
		}
		da, _ := decimalOf(lt)
		db, _ := decimalOf(rt)
		switch op {
		case Add, Sub, Mod:
			u := unionDecimal(da, db)
			res := u
			if op != Mod {
				res = &arrow.Decimal128Type{Precision: min32(maxPrecision, u.Precision+1), Scale: u.Scale}
			}
			return binaryPlan{lt: u, rt: u, result: res, kind: physDec}, nil
		case Mul:
			if da.Scale+db.Scale > maxPrecision {
				return binaryPlan{}, fmt.Errorf("cannot apply * to %s and %s: result scale %d exceeds 38",
					sqltypes.Name(l), sqltypes.Name(r), da.Scale+db.Scale)
			}
			res := &arrow.Decimal128Type{Precision: min32(maxPrecision, da.Precision+db.Precision), Scale: da.Scale + db.Scale}
			return binaryPlan{lt: da, rt: db, result: res, kind: physDec}, nil
		case Div:
			res := &arrow.Decimal128Type{Precision: maxPrecision, Scale: max32(6, da.Scale)}
			return binaryPlan{lt: da, rt: db, result: res, kind: physDec}, nil
		}
		return bad()
	}
	li, ri := lt.ID(), rt.ID()
	isInt := func(t arrow.DataType) bool { return sqltypes.IsInteger(t) }
	switch op {
	case Add, Sub:
		switch {
		case li == arrow.TIMESTAMP && ri == arrow.DURATION,
			op == Add && li == arrow.DURATION && ri == arrow.TIMESTAMP:
			return binaryPlan{lt: lt, rt: rt, result: sqltypes.Timestamp, kind: physI64}, nil
		case li == arrow.DATE32 && ri == arrow.DURATION:
			return binaryPlan{lt: sqltypes.Timestamp, rt: rt, result: sqltypes.Timestamp, kind: physI64}, nil
		case op == Add && li == arrow.DURATION && ri == arrow.DATE32:
			return binaryPlan{lt: lt, rt: sqltypes.Timestamp, result: sqltypes.Timestamp, kind: physI64}, nil
		case li == arrow.DURATION && ri == arrow.DURATION:
			return binaryPlan{lt: lt, rt: rt, result: sqltypes.Interval, kind: physI64}, nil
		case op == Sub && isDateOrTimestamp(lt) && isDateOrTimestamp(rt):
			return binaryPlan{lt: sqltypes.Timestamp, rt: sqltypes.Timestamp, result: sqltypes.Interval, kind: physI64}, nil
		}
	case Mul:
		switch {
		case li == arrow.DURATION && isInt(rt):
			return binaryPlan{lt: lt, rt: sqltypes.BigInt, result: sqltypes.Interval, kind: physI64}, nil
		case isInt(lt) && ri == arrow.DURATION:
			return binaryPlan{lt: sqltypes.BigInt, rt: rt, result: sqltypes.Interval, kind: physI64}, nil
		}
	case Div:
		if li == arrow.DURATION && isInt(rt) {
			return binaryPlan{lt: lt, rt: sqltypes.BigInt, result: sqltypes.Interval, kind: physI64}, nil
		}
	}
	return bad()
}

// nullPartner is the type a NULL operand takes next to an operand of type
// t: t itself, except that NULL next to a TIMESTAMP or DATE in + or - is an
// INTERVAL.
func nullPartner(op BinaryOp, t arrow.DataType) arrow.DataType {
	if (op == Add || op == Sub) && isDateOrTimestamp(t) {
		return sqltypes.Interval
	}
	if (op == Mul || op == Div) && t.ID() == arrow.DURATION {
		return sqltypes.BigInt
	}
	return t
}

// NewBinary returns l op r, typed by BinaryResultType. Operands of other
// types than the rule's are cast first.
//
// Arithmetic on INT and BIGINT wraps around on overflow (two's complement,
// as Java and Flink do); integer / truncates toward zero; integer and
// DECIMAL / and % by zero fail with "division by zero"; FLOAT and DOUBLE
// follow IEEE 754 (x/0 is ±Infinity or NaN). DECIMAL results that do not fit
// their precision fail. Comparisons of NaN are false except <>. AND and OR
// use three-valued logic, and the right operand of AND (OR) is evaluated
// only on rows where the left is not FALSE (TRUE) when it could fail, as in
// `b <> 0 AND a / b > 1`.
func NewBinary(op BinaryOp, l, r Expr) (Expr, error) {
	if op.IsComparison() {
		// Compare a column with a constant in the column's own type when
		// the constant converts exactly: `int_col > 100` then reads the
		// column as it is instead of widening it.
		if s, ok := IsLiteral(r); ok {
			r = narrowLiteral(r, s, l.DataType())
		}
		if s, ok := IsLiteral(l); ok {
			l = narrowLiteral(l, s, r.DataType())
		}
	}
	if op == And || op == Or {
		if e, ok := simplifyLogic(op, l, r); ok {
			return e, nil
		}
	}
	p, err := planBinary(op, l.DataType(), r.DataType())
	if err != nil {
		return nil, err
	}
	if l, err = coerce(l, p.lt); err != nil {
		return nil, err
	}
	if r, err = coerce(r, p.rt); err != nil {
		return nil, err
	}
	var e Expr
	switch {
	case op == And || op == Or:
		e = &logicExpr{op: op, l: l, r: r}
	case op == Concat:
		e = &concatExpr{l: l, r: r}
	case op.IsComparison():
		c := &compareExpr{op: op, l: l, r: r, kind: p.kind}
		c.scaled = detectScaled(c)
		e = c
	default:
		e = newArith(op, l, r, p)
	}
	return foldConstant(e), nil
}

// binaryString renders l op r, parenthesizing operands that bind looser.
func binaryString(op BinaryOp, l, r Expr) string {
	return operandString(l, op, false) + " " + op.String() + " " + operandString(r, op, true)
}

func operandString(e Expr, parent BinaryOp, right bool) string {
	s := e.String()
	var op BinaryOp
	switch x := e.(type) {
	case *arithExpr:
		op = x.op
	case *compareExpr:
		op = x.op
	case *logicExpr:
		op = x.op
	case *concatExpr:
		op = Concat
	default:
		return s
	}
	pp, cp := parent.precedence(), op.precedence()
	if cp < pp || (cp == pp && right && !(op == parent && (op == Add || op == Mul || op == And || op == Or || op == Concat))) {
		return "(" + s + ")"
	}
	return s
}

// narrowLiteral converts the literal e (value s) to type t when that loses
// nothing: integers that fit, integers and DECIMALs that fit a DECIMAL
// without rounding. Otherwise it returns e.
func narrowLiteral(e Expr, s scalar.Scalar, t arrow.DataType) Expr {
	from := s.DataType()
	if arrow.TypeEqual(from, t) || !s.IsValid() {
		return e
	}
	switch {
	case from.ID() == arrow.INT64 && t.ID() == arrow.INT32:
		if v := litValue[int64](s); v >= math.MinInt32 && v <= math.MaxInt32 {
			return NewLiteral(scalar.NewInt32Scalar(int32(v)))
		}
	case t.ID() == arrow.DECIMAL128 && (from.ID() == arrow.INT32 || from.ID() == arrow.INT64 || from.ID() == arrow.DECIMAL128):
		p, sc := decScale(t)
		var v decimal128.Num
		var ok bool
		switch from.ID() {
		case arrow.INT32:
			v, ok = decFromInt(int64(litValue[int32](s)), sc)
		case arrow.INT64:
			v, ok = decFromInt(litValue[int64](s), sc)
		default:
			_, fs := decScale(from)
			if fs <= sc {
				v, ok = decRescale(litValue[decimal128.Num](s), fs, sc)
			}
		}
		if ok && decFits(v, p) {
			return NewLiteral(scalar.NewDecimal128Scalar(v, t))
		}
	}
	return e
}

// simplifyLogic folds AND and OR with a non-NULL constant: x AND TRUE is x,
// x AND FALSE is FALSE, x OR FALSE is x, x OR TRUE is TRUE.
func simplifyLogic(op BinaryOp, l, r Expr) (Expr, bool) {
	for _, pair := range [2][2]Expr{{l, r}, {r, l}} {
		s, ok := IsLiteral(pair[0])
		other := pair[1]
		if !ok || !s.IsValid() || other.DataType().ID() != arrow.BOOL {
			continue
		}
		b, ok := s.(*scalar.Boolean)
		if !ok {
			continue
		}
		if b.Value == (op == And) {
			return other, true // x AND TRUE, x OR FALSE
		}
		return pair[0], true // x AND FALSE, x OR TRUE
	}
	return nil, false
}
