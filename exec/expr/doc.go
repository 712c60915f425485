// Package expr evaluates scalar SQL expressions over whole Arrow arrays.
//
// The planner binds and type-checks SQL, then builds a physical expression
// tree with this package's constructors: NewColumn and NewLiteral for the
// leaves, NewBinary for operators, NewCast, NewCase, NewIn, NewLike,
// NewExtract and the rest, and LookupFunc for built-in functions. Each node
// is an Expr whose Eval computes it for every row of an arrow.Record at
// once and returns a new array that the caller releases.
//
// # Example
//
// `price * 2 > 100` over a batch with a BIGINT column price:
//
//	price := expr.NewColumn(0, "price", sqltypes.BigInt)
//	two := expr.NewLiteral(scalar.NewInt64Scalar(2))
//	hundred := expr.NewLiteral(scalar.NewInt64Scalar(100))
//	double, err := expr.NewBinary(expr.Mul, price, two)
//	if err != nil { ... }
//	pred, err := expr.NewBinary(expr.Gt, double, hundred)
//	if err != nil { ... }
//	fmt.Println(pred) // price * 2 > 100
//
//	ctx := &expr.Context{Mem: memory.DefaultAllocator, Now: time.Now()}
//	out, err := pred.Eval(ctx, batch) // a BOOLEAN array, one row per row of batch
//	if err != nil { ... }              // an *EvalError such as "division by zero"
//	defer out.Release()
//
// (ExampleNewBinary runs this.)
//
// # Evaluation
//
// Kernels are typed loops over the values and validity bitmaps of whole
// arrays, generic over the numeric types: no per-row interface calls or
// allocation on the hot paths, and every result buffer comes from
// Context.Mem. A literal operand stays a constant inside the loop, so
// `price > 100` reads one array and materializes none; a result's validity
// bitmap is shared with its input when it is the same. Constructors fold
// subtrees whose inputs are all literals, keep a failing constant (1 / 0)
// unfolded so the error surfaces only if a row needs it, and compare a
// column with a constant in the column's own type when the constant
// converts exactly.
//
// Expressions are immutable once built and may be evaluated from several
// goroutines at once.
//
// # Semantics
//
// NULL follows SQL's three-valued logic: operators and functions return
// NULL for a NULL input unless documented otherwise (AND, OR, IS, IN,
// COALESCE, CONCAT_WS, ...). CASE, IF, COALESCE, NULLIF and the right side
// of AND and OR are lazy per row: a subexpression that could fail is
// evaluated only on the rows that need it, so
// `CASE WHEN b = 0 THEN 0 ELSE a / b END` never divides by zero. Integer
// arithmetic wraps around on overflow, as in Java and Flink; integer and
// DECIMAL division by zero is an error; DECIMAL results that exceed their
// precision are errors. Errors of evaluation are *EvalError values.
//
// The SQL types and their Arrow types are those of package sqltypes, which
// also owns the text form of every value (casts to and from VARCHAR go
// through it).
//
// # Files
//
//	expr.go          Expr, Context, EvalError
//	column.go        columns, literals, constant folding and tree walks
//	binary.go        BinaryOp, the typing rule, NewBinary
//	arith.go         + - * / % kernels (numbers, DECIMAL, time)
//	decimal.go       128-bit DECIMAL arithmetic
//	compare.go       comparison kernels; compare_scaled.go compares
//	                 CAST(integer AS DECIMAL) * constant with a constant on
//	                 the integer
//	logic.go         AND, OR, NOT, IS [NOT] NULL/TRUE/FALSE
//	in.go, like.go   IN lists and LIKE patterns
//	case.go          CASE and COALESCE; case_ranges.go evaluates a CASE
//	                 whose arms compare one integer with constants by
//	                 lookup; take.go selects and gathers rows
//	cast.go          CAST and TRY_CAST
//	extract.go       EXTRACT and calendar arithmetic
//	registry.go      Func, LookupFunc, Funcs
//	funcs_*.go       the built-in functions by area; timefmt.go parses and
//	                 formats Java-style date patterns
package expr
