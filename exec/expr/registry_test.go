package expr

import (
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/weirsql/weir/sqltypes"
)

func TestRegistry(t *testing.T) {
	fs := Funcs()
	if !sort.SliceIsSorted(fs, func(i, j int) bool { return fs[i].Name < fs[j].Name }) {
		t.Error("Funcs() is not sorted")
	}
	for _, want := range []string{"LOWER", "UPPER", "CHAR_LENGTH", "CHARACTER_LENGTH", "LENGTH", "SUBSTRING",
		"TRIM", "LTRIM", "RTRIM", "CONCAT", "CONCAT_WS", "REPLACE", "POSITION", "INITCAP", "COALESCE", "NULLIF",
		"IF", "ABS", "ROUND", "FLOOR", "CEIL", "CEILING", "MOD", "POWER", "SQRT", "LN", "LOG10", "EXP", "SIGN",
		"DATE_TRUNC", "TO_TIMESTAMP", "TO_TIMESTAMP_LTZ", "CURRENT_TIMESTAMP", "LOCALTIMESTAMP", "NOW",
		"CURRENT_DATE", "DATE_FORMAT", "HOUR", "MINUTE", "SECOND", "YEAR", "MONTH", "DAYOFMONTH",
		"REGEXP_EXTRACT", "REGEXP_REPLACE", "REGEXP", "SPLIT_INDEX", "LEFT", "RIGHT", "REVERSE", "LPAD", "RPAD",
		"REPEAT", "STARTS_WITH", "ENDS_WITH"} {
		if _, ok := LookupFunc(want); !ok {
			t.Errorf("no function %s", want)
		}
	}
	for _, f := range fs {
		if !strings.HasPrefix(f.Doc, f.Name) || !strings.Contains(f.Doc, "→") || !strings.Contains(f.Doc, ": ") {
			t.Errorf("%s: Doc %q is not \"NAME(args) → type: description\"", f.Name, f.Doc)
		}
	}
	if _, ok := LookupFunc("lower"); ok {
		t.Error("lookup is by upper-case name")
	}
}

// TestFuncsNullArguments calls every function with NULL arguments of every
// arity it accepts: nothing may panic, and strict functions return NULL.
func TestFuncsNullArguments(t *testing.T) {
	nonStrict := map[string]bool{"CONCAT_WS": true, "CURRENT_TIMESTAMP": true, "LOCALTIMESTAMP": true,
		"NOW": true, "CURRENT_DATE": true, "PI": true, "PROCTIME": true}
	for _, f := range Funcs() {
		for n := 0; n <= 4; n++ {
			types := make([]arrow.DataType, n)
			for i := range types {
				types[i] = sqltypes.Null
			}
			ret, want, err := f.Resolve(types)
			if err != nil {
				continue
			}
			args := make([]Expr, n)
			for i := range args {
				args[i] = must(NewCast(NewLiteral(scalar.MakeNullScalar(sqltypes.Null)), want[i], false))
			}
			e, err := f.New(args, ret)
			if err != nil {
				continue // e.g. TO_TIMESTAMP_LTZ needs a literal precision
			}
			v, err := evalOne(t, e)
			if err != nil {
				t.Errorf("%s: %v", e, err)
			}
			if v != nil && !nonStrict[f.Name] {
				t.Errorf("%s = %v, want NULL", e, v)
			}
		}
	}
}

func TestResolveErrors(t *testing.T) {
	cases := []struct {
		name string
		args []arrow.DataType
		want string
	}{
		{"UPPER", []arrow.DataType{sqltypes.Int}, "UPPER argument 1 must be VARCHAR, not INT"},
		{"UPPER", nil, "UPPER takes 1 argument, got 0"},
		{"SUBSTRING", []arrow.DataType{sqltypes.Varchar}, "SUBSTRING takes 2 or 3 arguments, got 1"},
		{"SUBSTRING", []arrow.DataType{sqltypes.Varchar, sqltypes.Double}, "SUBSTRING argument 2 must be an integer, not DOUBLE"},
		{"CONCAT", nil, "CONCAT takes at least 1 argument"},
		{"COALESCE", []arrow.DataType{sqltypes.Int, sqltypes.Varchar}, "COALESCE arguments have no common type: INT and VARCHAR"},
		{"IF", []arrow.DataType{sqltypes.Int, sqltypes.Int, sqltypes.Int}, "IF condition must be BOOLEAN, not INT"},
		{"DATE_FORMAT", []arrow.DataType{sqltypes.BigInt, sqltypes.Varchar}, "DATE_FORMAT argument 1 must be TIMESTAMP, not BIGINT"},
		{"MOD", []arrow.DataType{sqltypes.Varchar, sqltypes.Int}, "MOD argument 1 must be a number, not VARCHAR"},
	}
	for _, tc := range cases {
		f, _ := LookupFunc(tc.name)
		_, _, err := f.Resolve(tc.args)
		wantErr(t, err, tc.want)
	}
	// Implicit argument types: ABS keeps INT, POWER wants DOUBLE.
	f, _ := LookupFunc("ABS")
	ret, want, _ := f.Resolve([]arrow.DataType{sqltypes.Int})
	if ret.ID() != arrow.INT32 || want[0].ID() != arrow.INT32 {
		t.Errorf("ABS(INT): %s, %v", ret, want)
	}
	f, _ = LookupFunc("POWER")
	ret, want, _ = f.Resolve([]arrow.DataType{sqltypes.Int, dec(5, 2)})
	if ret.ID() != arrow.FLOAT64 || want[0].ID() != arrow.FLOAT64 || want[1].ID() != arrow.FLOAT64 {
		t.Errorf("POWER(INT, DECIMAL): %s, %v", ret, want)
	}
	f, _ = LookupFunc("COALESCE")
	ret, _, _ = f.Resolve([]arrow.DataType{sqltypes.Int, sqltypes.Null, sqltypes.BigInt})
	if ret.ID() != arrow.INT64 {
		t.Errorf("COALESCE(INT, NULL, BIGINT) is %s", ret)
	}
}

func TestColumnAndLiteral(t *testing.T) {
	mem := newMem(t)
	rec := record(t, mem, c("a", sqltypes.BigInt, int64(1), nil))
	defer rec.Release()
	got, err := eval(t, mem, NewColumn(0, "a", sqltypes.BigInt), rec)
	if err != nil || got[0] != int64(1) || got[1] != nil {
		t.Fatalf("%v, %v", got, err)
	}
	_, err = eval(t, mem, NewColumn(0, "a", sqltypes.Int), rec)
	wantErr(t, err, "column a is BIGINT in the batch, expected INT")
	_, err = eval(t, mem, NewColumn(3, "z", sqltypes.Int), rec)
	wantErr(t, err, "not in the batch")
	for _, tc := range []struct {
		typ  arrow.DataType
		v    any
		want string
	}{
		{sqltypes.Boolean, true, "TRUE"},
		{sqltypes.Int, int32(-3), "-3"},
		{sqltypes.BigInt, int64(42), "42"},
		{sqltypes.Double, 2.0, "2.0"},
		{sqltypes.Double, -1.5, "-1.5"},
		{sqltypes.Float, float32(0.1), "0.1"},
		{dec(10, 2), "12.50", "12.50"},
		{sqltypes.Varchar, "it's", "'it''s'"},
		{sqltypes.Timestamp, "2024-01-01 00:00:00", "TIMESTAMP '2024-01-01 00:00:00'"},
		{sqltypes.Date, "2024-01-01", "DATE '2024-01-01'"},
		{sqltypes.Interval, int64(4000), "INTERVAL '4' SECOND"},
		{sqltypes.Interval, int64(7_200_000), "INTERVAL '2' HOUR"},
		{sqltypes.Interval, int64(1500), "INTERVAL '1.500' SECOND"},
		{sqltypes.Int, nil, "NULL"},
	} {
		e := lit(t, tc.typ, tc.v)
		if s := e.String(); s != tc.want {
			t.Errorf("literal %v renders %q, want %q", tc.v, s, tc.want)
		}
		got, err := eval(t, mem, e, rec)
		if err != nil || !equalValue(got[1], tc.v) {
			t.Errorf("literal %v evaluates to %v, %v", tc.v, got, err)
		}
		if s, ok := IsLiteral(e); !ok || s == nil {
			t.Error("IsLiteral")
		}
	}
	if _, ok := IsLiteral(NewColumn(0, "a", sqltypes.Int)); ok {
		t.Error("a column is a literal")
	}
}

func TestExplainText(t *testing.T) {
	s := NewColumn(0, "s", sqltypes.Varchar)
	n := NewColumn(1, "n", sqltypes.BigInt)
	ts := NewColumn(2, "ts", sqltypes.Timestamp)
	cases := map[string]Expr{
		"UPPER(s)":                      must(mustFunc(t, "UPPER", s)),
		"COALESCE(n, 0)":                must(mustFunc(t, "COALESCE", n, lit(t, sqltypes.BigInt, int64(0)))),
		"NOW()":                         must(mustFunc(t, "NOW")),
		"CURRENT_TIMESTAMP":             must(mustFunc(t, "CURRENT_TIMESTAMP")),
		"s || 'x'":                      must(NewBinary(Concat, s, lit(t, sqltypes.Varchar, "x"))),
		"NOT (n > 1)":                   must(NewNot(must(NewBinary(Gt, n, lit(t, sqltypes.BigInt, int64(1)))))),
		"CAST(n AS VARCHAR)":            must(NewCast(n, sqltypes.Varchar, false)),
		"DATE_TRUNC('hour', ts)":        must(mustFunc(t, "DATE_TRUNC", lit(t, sqltypes.Varchar, "hour"), ts)),
		"(n + 1) IS NULL":               NewIsNull(must(NewBinary(Add, n, lit(t, sqltypes.BigInt, int64(1)))), false),
		"ts + INTERVAL '4' SECOND > ts": must(NewBinary(Gt, must(NewBinary(Add, ts, lit(t, sqltypes.Interval, int64(4000)))), ts)),
	}
	for want, e := range cases {
		if got := e.String(); got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

func TestCanFail(t *testing.T) {
	n := NewColumn(0, "n", sqltypes.BigInt)
	d := NewColumn(1, "d", sqltypes.Double)
	s := NewColumn(2, "s", sqltypes.Varchar)
	for e, want := range map[Expr]bool{
		n:                          false,
		must(NewBinary(Add, n, n)): false,
		must(NewBinary(Div, n, n)): true,
		must(NewBinary(Div, d, d)): false,
		must(NewCast(n, sqltypes.Varchar, false)):          false,
		must(NewCast(n, sqltypes.Double, false)):           false,
		must(NewCast(s, sqltypes.BigInt, false)):           true,
		must(NewCast(s, sqltypes.BigInt, true)):            false,
		must(NewCast(n, sqltypes.Int, false)):              true,
		must(mustFunc(t, "UPPER", s)):                      false,
		must(NewBinary(Gt, must(NewBinary(Mod, n, n)), n)): true,
	} {
		if got := canFail(e); got != want {
			t.Errorf("canFail(%s) = %v, want %v", e, got, want)
		}
	}
}

// TestEmptyBatch evaluates one expression of each kind over zero rows.
func TestEmptyBatch(t *testing.T) {
	mem := newMem(t)
	rec := record(t, mem, c("n", sqltypes.BigInt), c("s", sqltypes.Varchar), c("b", sqltypes.Boolean), c("p", dec(10, 2)),
		c("ts", sqltypes.Timestamp))
	defer rec.Release()
	n, s := NewColumn(0, "n", sqltypes.BigInt), NewColumn(1, "s", sqltypes.Varchar)
	b, p := NewColumn(2, "b", sqltypes.Boolean), NewColumn(3, "p", dec(10, 2))
	one := lit(t, sqltypes.BigInt, int64(1))
	exprs := []Expr{
		must(NewBinary(Add, n, one)), must(NewBinary(Div, n, n)), must(NewBinary(Div, n, lit(t, sqltypes.BigInt, int64(0)))),
		must(NewBinary(Gt, n, one)), must(NewBinary(Lt, s, s)), must(NewBinary(And, b, b)),
		must(NewBinary(Or, b, must(NewBinary(Gt, must(NewBinary(Div, one, n)), one)))),
		must(NewBinary(Mul, p, p)), must(NewBinary(Concat, s, s)), must(NewNot(b)), must(NewNegate(p)),
		NewIsNull(s, false), must(NewIsBool(b, true, false)), must(NewIn(n, []Expr{one}, false)),
		must(NewLike(s, lit(t, sqltypes.Varchar, "%a%"), 0, false)), must(NewLike(s, s, 0, false)),
		must(NewCase([]When{{Cond: b, Result: must(NewBinary(Div, n, n))}}, n)),
		must(NewCast(s, sqltypes.BigInt, false)), must(NewCast(p, sqltypes.Varchar, false)),
		must(NewExtract("YEAR", NewColumn(4, "ts", sqltypes.Timestamp))),
		must(mustFunc(t, "UPPER", s)), must(mustFunc(t, "COALESCE", n, one)), must(mustFunc(t, "NOW")),
	}
	for _, e := range exprs {
		got, err := eval(t, mem, e, rec)
		if err != nil || len(got) != 0 {
			t.Errorf("%s on no rows: %v, %v", e, got, err)
		}
	}
}
