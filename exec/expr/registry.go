package expr

// The scalar function registry: every built-in function with its
// documentation, typing rule and constructor.

import (
	"fmt"
	"sort"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/weirsql/weir/sqltypes"
)

// Func is a built-in scalar function.
type Func struct {
	// Name is the upper-case SQL name.
	Name string
	// Doc is "NAME(args) → type: description", for docs/sql.md and
	// SHOW FUNCTIONS.
	Doc string
	// Resolve checks argument types and returns the result type and the
	// type each argument must be cast to (len(want) == len(args)).
	Resolve func(args []arrow.DataType) (ret arrow.DataType, want []arrow.DataType, err error)
	// New builds the expression over arguments already cast to `want`.
	New func(args []Expr, ret arrow.DataType) (Expr, error)
}

var registry = map[string]*Func{}

// register adds functions to the registry; a duplicate name is a bug.
func register(fs ...*Func) {
	for _, f := range fs {
		if _, dup := registry[f.Name]; dup {
			panic("expr: function " + f.Name + " registered twice")
		}
		registry[f.Name] = f
	}
}

// alias registers name as another name of an existing function.
func alias(name, of string) {
	f := registry[of]
	if f == nil {
		panic("expr: alias of unknown function " + of)
	}
	doc := name + strings.TrimPrefix(f.Doc, of)
	register(&Func{Name: name, Doc: doc + " (same as " + of + ")", Resolve: f.Resolve,
		New: func(args []Expr, ret arrow.DataType) (Expr, error) { return f.New(args, ret) }})
}

// LookupFunc returns the function with the given upper-case name.
func LookupFunc(name string) (*Func, bool) {
	f, ok := registry[name]
	return f, ok
}

// Funcs returns every function sorted by name, for SHOW FUNCTIONS and the
// SQL reference.
func Funcs() []*Func {
	fs := make([]*Func, 0, len(registry))
	for _, f := range registry {
		fs = append(fs, f)
	}
	sort.Slice(fs, func(i, j int) bool { return fs[i].Name < fs[j].Name })
	return fs
}

// ---------------------------------------------------------------------------
// Typing helpers

// argKind is what a parameter accepts and what it is cast to.
type argKind int

const (
	kStr    argKind = iota // VARCHAR
	kAnyStr                // any type, cast to VARCHAR
	kInt                   // INT or BIGINT, cast to BIGINT
	kDouble                // any number, cast to DOUBLE
	kTs                    // TIMESTAMP, DATE or VARCHAR, cast to TIMESTAMP
	kBool                  // BOOLEAN
)

func (k argKind) accepts(t arrow.DataType) (arrow.DataType, bool) {
	if isNullType(t) {
		return k.target(), true
	}
	switch k {
	case kStr:
		return sqltypes.Varchar, t.ID() == arrow.STRING
	case kAnyStr:
		return sqltypes.Varchar, physOf(t) != physOther
	case kInt:
		return sqltypes.BigInt, sqltypes.IsInteger(t)
	case kDouble:
		return sqltypes.Double, sqltypes.IsNumeric(t)
	case kTs:
		return sqltypes.Timestamp, t.ID() == arrow.TIMESTAMP || t.ID() == arrow.DATE32 || t.ID() == arrow.STRING
	case kBool:
		return sqltypes.Boolean, t.ID() == arrow.BOOL
	}
	return nil, false
}

func (k argKind) target() arrow.DataType {
	switch k {
	case kStr, kAnyStr:
		return sqltypes.Varchar
	case kInt:
		return sqltypes.BigInt
	case kDouble:
		return sqltypes.Double
	case kTs:
		return sqltypes.Timestamp
	}
	return sqltypes.Boolean
}

func (k argKind) String() string {
	switch k {
	case kStr:
		return "VARCHAR"
	case kAnyStr:
		return "any type"
	case kInt:
		return "an integer"
	case kDouble:
		return "a number"
	case kTs:
		return "TIMESTAMP"
	}
	return "BOOLEAN"
}

// arityError reports a wrong number of arguments.
func arityError(name string, lo, hi, got int) error {
	var want string
	switch {
	case hi < 0:
		want = fmt.Sprintf("at least %d", lo)
	case lo == hi:
		want = fmt.Sprintf("%d", lo)
	case hi == lo+1:
		want = fmt.Sprintf("%d or %d", lo, hi)
	default:
		want = fmt.Sprintf("%d to %d", lo, hi)
	}
	s := "s"
	if lo == 1 && hi == 1 {
		s = ""
	}
	return fmt.Errorf("%s takes %s argument%s, got %d", name, want, s, got)
}

// checkArity checks lo ≤ len(args) ≤ hi (hi < 0: no upper bound).
func checkArity(name string, args []arrow.DataType, lo, hi int) error {
	if len(args) < lo || (hi >= 0 && len(args) > hi) {
		return arityError(name, lo, hi, len(args))
	}
	return nil
}

// sig is the typing rule of a function with fixed parameter kinds: the
// first min parameters are required, the last kind repeats when variadic.
func sig(name string, ret arrow.DataType, min int, variadic bool, params ...argKind) func([]arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
	return func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		hi := len(params)
		if variadic {
			hi = -1
		}
		if err := checkArity(name, args, min, hi); err != nil {
			return nil, nil, err
		}
		want, err := wantKinds(name, args, params)
		return ret, want, err
	}
}

// wantKinds checks each argument against its parameter kind (the last kind
// repeating) and returns the cast targets.
func wantKinds(name string, args []arrow.DataType, params []argKind) ([]arrow.DataType, error) {
	want := make([]arrow.DataType, len(args))
	for i, t := range args {
		k := params[min(i, len(params)-1)]
		w, ok := k.accepts(t)
		if !ok {
			return nil, fmt.Errorf("%s argument %d must be %s, not %s", name, i+1, k, sqltypes.Name(t))
		}
		want[i] = w
	}
	return want, nil
}

// ---------------------------------------------------------------------------
// The function expression node

// kernel computes a function over evaluated arguments for n rows.
type kernel func(ctx *Context, args []operand, n int) (arrow.Array, error)

type funcExpr struct {
	name string
	args []Expr
	typ  arrow.DataType
	// mayFail marks functions that can fail on some row.
	mayFail bool
	// strict: a NULL literal argument makes every row NULL.
	strict bool
	// costly marks functions that cost much more per row than selecting
	// rows does (regular expressions): see isCostly.
	costly bool
	// nullness, when set, computes `f(...) IS [NOT] NULL` without building
	// the values (REGEXP_EXTRACT: whether there is a match): a BOOLEAN
	// with no NULLs, true where (the value is not NULL) == notNull.
	nullness func(ctx *Context, ops []operand, n int, notNull bool) (arrow.Array, error)
	k        kernel
}

var _ Expr = (*funcExpr)(nil)

// newFunc builds a strict function node and folds it when its arguments
// are all literals.
func newFunc(name string, args []Expr, typ arrow.DataType, mayFail bool, k kernel) Expr {
	return foldConstant(&funcExpr{name: name, args: args, typ: typ, mayFail: mayFail, strict: true, k: k})
}

func (e *funcExpr) DataType() arrow.DataType { return e.typ }
func (e *funcExpr) children() []Expr         { return e.args }
func (e *funcExpr) fallible() bool           { return e.mayFail }

// evalNullness evaluates `e IS NOT NULL` (notNull) or `e IS NULL` with the
// nullness kernel; ok is false when e has none.
func (e *funcExpr) evalNullness(ctx *Context, batch arrow.Record, notNull bool) (arr arrow.Array, ok bool, err error) {
	if e.nullness == nil {
		return nil, false, nil
	}
	n := int(batch.NumRows())
	ops, err := evalOperands(ctx, e.args, batch)
	if err != nil {
		return nil, true, err
	}
	defer releaseOperands(ops)
	for _, o := range ops {
		if o.isNullLit() || (o.arr != nil && o.arr.DataType().ID() == arrow.NULL) {
			return constBool(ctx.Mem, n, !notNull), true, nil
		}
	}
	arr, err = e.nullness(ctx, ops, n, notNull)
	return arr, true, err
}

// markCostly flags a function node as costly (see isCostly); a node folded
// into a literal is returned as is.
func markCostly(e Expr) Expr {
	if f, ok := e.(*funcExpr); ok {
		f.costly = true
	}
	return e
}
func (e *funcExpr) String() string { return callString(e.name, e.args) }

func (e *funcExpr) Eval(ctx *Context, batch arrow.Record) (arrow.Array, error) {
	n := int(batch.NumRows())
	ops, err := evalOperands(ctx, e.args, batch)
	if err != nil {
		return nil, err
	}
	defer releaseOperands(ops)
	for i, o := range ops {
		if o.arr != nil && o.arr.DataType().ID() == arrow.NULL {
			// An argument the planner did not cast: every row is NULL.
			ops[i] = operand{lit: scalar.MakeNullScalar(arrow.Null)}
			o.arr.Release()
		}
	}
	if e.strict {
		for _, o := range ops {
			if o.isNullLit() {
				return nullArray(ctx.Mem, e.typ, n), nil
			}
		}
	}
	return e.k(ctx, ops, n)
}

// ---------------------------------------------------------------------------
// Row-at-a-time result builders for function kernels. row returns the
// value, whether it is not NULL, and an error that stops evaluation.

func buildStr(mem memory.Allocator, n int, row func(i int, dst []byte) ([]byte, bool, error)) (arrow.Array, error) {
	o := newStrOut(mem, n)
	for i := 0; i < n; i++ {
		start := len(o.data)
		b, ok, err := row(i, o.data)
		if err != nil {
			o.release()
			return nil, err
		}
		if !ok {
			o.data = b[:start]
			o.appendNull()
			continue
		}
		o.data = b
		o.commit()
	}
	return o.finish()
}

func buildFixed[T any](mem memory.Allocator, typ arrow.DataType, n int, row func(i int) (T, bool, error)) (arrow.Array, error) {
	o := newFixedOut[T](mem, n)
	for i := 0; i < n; i++ {
		v, ok, err := row(i)
		if err != nil {
			o.release()
			return nil, err
		}
		if !ok {
			o.setNull(i)
			continue
		}
		o.v[i] = v
	}
	return o.finish(typ), nil
}

func buildBool(mem memory.Allocator, n int, row func(i int) (bool, bool, error)) (arrow.Array, error) {
	o := newBoolOut(mem, n)
	for i := 0; i < n; i++ {
		v, ok, err := row(i)
		if err != nil {
			o.release()
			return nil, err
		}
		if !ok {
			o.setNull(i)
			continue
		}
		o.set(i, v)
	}
	return o.finish(), nil
}

// strArgs makes readers for the VARCHAR arguments.
func strArgs(ops []operand) []strArg {
	s := make([]strArg, len(ops))
	for i, o := range ops {
		s[i] = newStrArg(o)
	}
	return s
}
