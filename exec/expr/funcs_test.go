package expr

import (
	"math"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/weirsql/weir/sqltypes"
)

// tv is a typed test value.
type tv struct {
	typ arrow.DataType
	v   any
}

func S(s string) tv         { return tv{sqltypes.Varchar, s} }
func I(v int32) tv          { return tv{sqltypes.Int, v} }
func L(v int64) tv          { return tv{sqltypes.BigInt, v} }
func D(v float64) tv        { return tv{sqltypes.Double, v} }
func TS(s string) tv        { return tv{sqltypes.Timestamp, s} }
func N(t arrow.DataType) tv { return tv{t, nil} }

// callFunc evaluates a registered function on one row twice: with the
// arguments as columns and as literals (which may fold). Both must agree.
func callFunc(t *testing.T, name string, args ...tv) (any, error) {
	t.Helper()
	mem := newMem(t)
	cols := make([]col, len(args))
	colExprs := make([]Expr, len(args))
	litExprs := make([]Expr, len(args))
	for i, a := range args {
		cols[i] = c(string(rune('a'+i)), a.typ, a.v)
		colExprs[i] = NewColumn(i, cols[i].name, a.typ)
		litExprs[i] = lit(t, a.typ, a.v)
	}
	rec := record(t, mem, cols...)
	defer rec.Release()
	le, lerr := mustFunc(t, name, litExprs...)
	if lerr != nil {
		return nil, lerr // a bad literal argument is a construction error
	}
	lv, lerr := evalOne(t, le)
	e, err := mustFunc(t, name, colExprs...)
	if err != nil {
		return lv, lerr // the function needs literal arguments
	}
	got, err := eval(t, mem, e, rec)
	var v any
	if err == nil {
		v = got[0]
	}
	if (err == nil) != (lerr == nil) || (err == nil && !equalValue(v, lv)) {
		t.Fatalf("%s: columns give %v (%v), literals %s give %v (%v)", e, v, err, le, lv, lerr)
	}
	return v, err
}

type funcCase struct {
	name string
	args []tv
	want any // a string starting with "error: " expects an error
}

func runFuncCases(t *testing.T, cases []funcCase) {
	t.Helper()
	for _, tc := range cases {
		got, err := callFunc(t, tc.name, tc.args...)
		if w, ok := tc.want.(string); ok && strings.HasPrefix(w, "error: ") {
			if err == nil {
				t.Errorf("%s%v = %v, want an error", tc.name, tc.args, got)
			} else if !strings.Contains(err.Error(), strings.TrimPrefix(w, "error: ")) {
				t.Errorf("%s%v: error %q, want %q", tc.name, tc.args, err, w)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s%v: %v", tc.name, tc.args, err)
			continue
		}
		if !equalValue(got, tc.want) {
			t.Errorf("%s%v = %v (%T), want %v (%T)", tc.name, tc.args, got, got, tc.want, tc.want)
		}
	}
}

func TestStringFuncs(t *testing.T) {
	vc := sqltypes.Varchar
	runFuncCases(t, []funcCase{
		{"LOWER", []tv{S("HeLLo ÉTÉ")}, "hello été"},
		{"UPPER", []tv{S("HeLLo été")}, "HELLO ÉTÉ"},
		{"UPPER", []tv{N(vc)}, nil},
		{"INITCAP", []tv{S("hello wORLD-foo bar2baz")}, "Hello World-Foo Bar2baz"},
		{"REVERSE", []tv{S("abc日本")}, "本日cba"},
		{"CHAR_LENGTH", []tv{S("日本語")}, int32(3)},
		{"CHARACTER_LENGTH", []tv{S("")}, int32(0)},
		{"LENGTH", []tv{S("abc")}, int32(3)},
		{"SUBSTRING", []tv{S("hello"), L(2)}, "ello"},
		{"SUBSTRING", []tv{S("hello"), L(2), L(3)}, "ell"},
		{"SUBSTRING", []tv{S("hello"), I(2), I(3)}, "ell"},
		{"SUBSTRING", []tv{S("hello"), L(0), L(2)}, "h"},  // positions 0 and 1
		{"SUBSTRING", []tv{S("hello"), L(-1), L(3)}, "h"}, // -1, 0, 1
		{"SUBSTRING", []tv{S("hello"), L(-5), L(3)}, ""},
		{"SUBSTRING", []tv{S("hello"), L(4), L(100)}, "lo"},
		{"SUBSTRING", []tv{S("hello"), L(6)}, ""},
		{"SUBSTRING", []tv{S("日本語"), L(2), L(1)}, "本"},
		{"SUBSTRING", []tv{S("hello"), L(1), L(-1)}, "error: negative substring length -1"},
		{"SUBSTRING", []tv{S("hello"), N(sqltypes.BigInt)}, nil},
		{"TRIM", []tv{S("  a b  ")}, "a b"},
		{"LTRIM", []tv{S("  a b  ")}, "a b  "},
		{"RTRIM", []tv{S("  a b  ")}, "  a b"},
		{"TRIM", []tv{S("xxaxyx"), S("xy")}, "a"},
		{"TRIM", []tv{S("\ta ")}, "\ta"}, // only spaces by default
		{"CONCAT", []tv{S("a"), S("b"), S("c")}, "abc"},
		{"CONCAT", []tv{S("id-"), L(42)}, "id-42"},
		{"CONCAT", []tv{S("a"), N(vc)}, nil},
		{"CONCAT_WS", []tv{S(", "), S("a"), N(vc), S("c")}, "a, c"},
		{"CONCAT_WS", []tv{S("-"), N(vc)}, ""},
		{"CONCAT_WS", []tv{N(vc), S("a")}, nil},
		{"CONCAT_WS", []tv{S("/"), I(1), D(2.5)}, "1/2.5"},
		{"REPLACE", []tv{S("a.b.c"), S("."), S("::")}, "a::b::c"},
		{"REPLACE", []tv{S("abc"), S(""), S("x")}, "abc"},
		{"REPLACE", []tv{S("aaa"), S("aa"), S("b")}, "ba"},
		{"POSITION", []tv{S("lo"), S("hello")}, int32(4)},
		{"POSITION", []tv{S("語"), S("日本語")}, int32(3)},
		{"POSITION", []tv{S("x"), S("hello")}, int32(0)},
		{"POSITION", []tv{S(""), S("hello")}, int32(1)},
		{"LEFT", []tv{S("日本語"), L(2)}, "日本"},
		{"LEFT", []tv{S("abc"), L(-1)}, ""},
		{"LEFT", []tv{S("abc"), L(10)}, "abc"},
		{"RIGHT", []tv{S("日本語"), L(2)}, "本語"},
		{"RIGHT", []tv{S("abc"), L(0)}, ""},
		{"LPAD", []tv{S("7"), L(3), S("0")}, "007"},
		{"LPAD", []tv{S("abc"), L(5), S("xy")}, "xyabc"},
		{"LPAD", []tv{S("abcdef"), L(3), S("x")}, "abc"},
		{"LPAD", []tv{S("ab"), L(-1), S("x")}, nil},
		{"LPAD", []tv{S("ab"), L(4), S("")}, nil},
		{"RPAD", []tv{S("ab"), L(5), S("xy")}, "abxyx"},
		{"RPAD", []tv{S("é"), L(2), S("é")}, "éé"},
		{"REPEAT", []tv{S("ab"), L(3)}, "ababab"},
		{"REPEAT", []tv{S("ab"), L(-1)}, ""},
		{"REPEAT", []tv{S("ab"), L(1 << 40)}, "error: too large"},
		{"SPLIT_INDEX", []tv{S("a,b,,c"), S(","), L(1)}, "b"},
		{"SPLIT_INDEX", []tv{S("a,b,,c"), S(","), L(2)}, ""},
		{"SPLIT_INDEX", []tv{S("a,b,,c"), S(","), L(3)}, "c"},
		{"SPLIT_INDEX", []tv{S("a,b,,c"), S(","), L(4)}, nil},
		{"SPLIT_INDEX", []tv{S("a,b"), S(","), L(-1)}, nil},
		{"SPLIT_INDEX", []tv{S("a::b"), S("::"), L(1)}, "b"},
		{"STARTS_WITH", []tv{S("hello"), S("he")}, true},
		{"ENDS_WITH", []tv{S("hello"), S("he")}, false},
		{"ENDS_WITH", []tv{N(vc), S("he")}, nil},
	})
}

func TestConcatOperator(t *testing.T) {
	checkRows(t, rowCase{
		name:  "||",
		types: []arrow.DataType{sqltypes.Varchar, sqltypes.Varchar},
		gens:  []gen{genString("aé", 3), genString("b", 2)},
		build: func(c []Expr) (Expr, error) { return NewBinary(Concat, c[0], c[1]) },
		ref: func(row []any) (any, error) {
			if nullIn(row) {
				return nil, nil
			}
			return row[0].(string) + row[1].(string), nil
		},
	})
	checkRows(t, rowCase{
		name:  "UPPER",
		types: []arrow.DataType{sqltypes.Varchar},
		gens:  []gen{genString("aBé", 4)},
		build: func(c []Expr) (Expr, error) { return mustFunc(t, "UPPER", c[0]) },
		ref: func(row []any) (any, error) {
			if nullIn(row) {
				return nil, nil
			}
			return strings.ToUpper(row[0].(string)), nil
		},
	})
}

func TestRegexpFuncs(t *testing.T) {
	runFuncCases(t, []funcCase{
		{"REGEXP_EXTRACT", []tv{S("foo123bar45"), S(`\d+`)}, "123"},
		{"REGEXP_EXTRACT", []tv{S("foo123bar45"), S(`([a-z]+)(\d+)`), L(2)}, "123"},
		{"REGEXP_EXTRACT", []tv{S("foo123bar45"), S(`([a-z]+)(\d+)`), L(0)}, "foo123"},
		{"REGEXP_EXTRACT", []tv{S("foo"), S(`\d+`)}, nil},
		{"REGEXP_EXTRACT", []tv{S("ab"), S(`(a)|(b)`), L(2)}, nil}, // group did not participate
		{"REGEXP_REPLACE", []tv{S("a1b22c"), S(`\d+`), S("#")}, "a#b#c"},
		{"REGEXP_REPLACE", []tv{S("john smith"), S(`(\w+) (\w+)`), S("$2, $1")}, "smith, john"},
		{"REGEXP_REPLACE", []tv{S("ab"), S(`(a)`), S("$1x")}, "axb"},
		{"REGEXP_REPLACE", []tv{S("ab"), S(`a`), S(`\$`)}, "$b"},
		{"REGEXP", []tv{S("hello"), S("l+")}, true},
		{"REGEXP", []tv{S("hello"), S("^l")}, false},
		{"REGEXP", []tv{N(sqltypes.Varchar), S("^l")}, nil},
	})
	// A literal pattern is checked when the expression is built.
	_, err := mustFunc(t, "REGEXP", NewColumn(0, "s", sqltypes.Varchar), lit(t, sqltypes.Varchar, "a("))
	wantErr(t, err, "invalid regular expression 'a('")
	_, err = mustFunc(t, "REGEXP_EXTRACT", NewColumn(0, "s", sqltypes.Varchar), lit(t, sqltypes.Varchar, "(a)"), lit(t, sqltypes.BigInt, int64(2)))
	wantErr(t, err, "group 2 does not exist")
	// A pattern from a column fails when evaluated.
	mem := newMem(t)
	rec := record(t, mem, c("s", sqltypes.Varchar, "x"), c("p", sqltypes.Varchar, "a("))
	defer rec.Release()
	_, err = eval(t, mem, must(mustFunc(t, "REGEXP", NewColumn(0, "s", sqltypes.Varchar), NewColumn(1, "p", sqltypes.Varchar))), rec)
	wantErr(t, err, "invalid regular expression 'a('")
}

func TestMathFuncs(t *testing.T) {
	runFuncCases(t, []funcCase{
		{"ABS", []tv{I(-3)}, int32(3)},
		{"ABS", []tv{L(math.MinInt64)}, int64(math.MinInt64)}, // wraps
		{"ABS", []tv{D(-1.5)}, 1.5},
		{"ABS", []tv{{dec(5, 2), "-1.25"}}, "1.25"},
		{"ABS", []tv{{sqltypes.Float, float32(-2)}}, float32(2)},
		{"SIGN", []tv{L(-7)}, int64(-1)},
		{"SIGN", []tv{I(0)}, int32(0)},
		{"SIGN", []tv{D(2.5)}, 1.0},
		{"SIGN", []tv{{dec(5, 2), "-0.01"}}, int32(-1)},
		{"ROUND", []tv{D(2.5)}, 3.0},
		{"ROUND", []tv{D(-2.5)}, -3.0},
		{"ROUND", []tv{D(2.675), L(2)}, 2.68},
		{"ROUND", []tv{D(1.005), L(2)}, 1.01},
		{"ROUND", []tv{D(-1.005), I(2)}, -1.01},
		{"ROUND", []tv{D(1234.5), L(-2)}, 1200.0},
		{"ROUND", []tv{D(1250), L(-2)}, 1300.0},
		{"ROUND", []tv{D(0.4), L(0)}, 0.0},
		{"ROUND", []tv{D(1e300), L(2)}, 1e300},
		{"ROUND", []tv{D(0.001), L(1)}, 0.0},
		{"ROUND", []tv{D(math.NaN())}, math.NaN()},
		{"ROUND", []tv{{sqltypes.Float, float32(2.675)}, L(2)}, float32(2.68)},
		{"ROUND", []tv{L(1250), L(-2)}, int64(1300)},
		{"ROUND", []tv{L(-1250), L(-2)}, int64(-1300)},
		{"ROUND", []tv{I(1249), L(-2)}, int32(1200)},
		{"ROUND", []tv{I(1249), L(2)}, int32(1249)},
		{"ROUND", []tv{{dec(10, 3), "12.345"}}, "12"},
		{"ROUND", []tv{{dec(10, 3), "12.5"}}, "13"},
		{"ROUND", []tv{{dec(10, 3), "-12.5"}}, "-13"},
		{"ROUND", []tv{{dec(10, 3), "12.345"}, L(2)}, "12.350"},
		{"ROUND", []tv{{dec(10, 3), "12.345"}, L(-1)}, "10.000"},
		{"ROUND", []tv{{dec(4, 2), "99.99"}, L(1)}, "error: numeric overflow"},
		{"FLOOR", []tv{D(-1.5)}, -2.0},
		{"FLOOR", []tv{L(5)}, int64(5)},
		{"FLOOR", []tv{{dec(10, 2), "-1.25"}}, "-2"},
		{"FLOOR", []tv{{dec(10, 2), "1.25"}}, "1"},
		{"FLOOR", []tv{{dec(10, 2), "-1.00"}}, "-1"},
		{"CEIL", []tv{D(1.2)}, 2.0},
		{"CEILING", []tv{{dec(10, 2), "1.25"}}, "2"},
		{"CEIL", []tv{{dec(10, 2), "-1.25"}}, "-1"},
		{"CEIL", []tv{{sqltypes.Float, float32(1.5)}}, float32(2)},
		{"MOD", []tv{L(7), L(3)}, int64(1)},
		{"MOD", []tv{L(-7), I(3)}, int64(-1)},
		{"MOD", []tv{L(7), L(0)}, "error: division by zero"},
		{"MOD", []tv{{dec(5, 2), "5.50"}, {dec(5, 2), "2.00"}}, "1.50"},
		{"POWER", []tv{L(2), L(10)}, 1024.0},
		{"POW", []tv{D(4), D(0.5)}, 2.0},
		{"SQRT", []tv{L(16)}, 4.0},
		{"SQRT", []tv{D(-1)}, math.NaN()},
		{"LN", []tv{D(1)}, 0.0},
		{"LN", []tv{D(0)}, math.Inf(-1)},
		{"LOG10", []tv{L(1000)}, 3.0},
		{"LOG2", []tv{L(8)}, 3.0},
		{"LOG", []tv{L(2), L(8)}, 3.0},
		{"EXP", []tv{L(0)}, 1.0},
		{"SQRT", []tv{{dec(5, 2), "2.25"}}, 1.5},
		{"SQRT", []tv{N(sqltypes.Double)}, nil},
		{"DEGREES", []tv{D(math.Pi)}, 180.0},
	})
	v, err := evalOne(t, must(mustFunc(t, "PI")))
	if err != nil || v != math.Pi {
		t.Errorf("PI() = %v, %v", v, err)
	}
	_, err = mustFunc(t, "ABS", lit(t, sqltypes.Varchar, "x"))
	wantErr(t, err, "ABS argument must be a number, not VARCHAR")
	_, err = mustFunc(t, "POWER", lit(t, sqltypes.BigInt, int64(1)))
	wantErr(t, err, "POWER takes 2 arguments, got 1")
}

func TestTimeFuncs(t *testing.T) {
	ts := sqltypes.Timestamp
	runFuncCases(t, []funcCase{
		{"DATE_TRUNC", []tv{S("hour"), TS("2024-03-15 10:30:45.123")}, "2024-03-15 10:00:00"},
		{"DATE_TRUNC", []tv{S("DAY"), TS("2024-03-15 10:30:45.123")}, "2024-03-15 00:00:00"},
		{"DATE_TRUNC", []tv{S("second"), TS("2024-03-15 10:30:45.123")}, "2024-03-15 10:30:45"},
		{"DATE_TRUNC", []tv{S("minute"), TS("1969-12-31 23:59:59.5")}, "1969-12-31 23:59:00"},
		{"DATE_TRUNC", []tv{S("millisecond"), TS("2024-03-15 10:30:45.123")}, "2024-03-15 10:30:45.123"},
		{"DATE_TRUNC", []tv{S("week"), TS("2024-03-17 10:00:00")}, "2024-03-11 00:00:00"}, // Sunday → Monday
		{"DATE_TRUNC", []tv{S("week"), TS("2024-03-11 00:00:00")}, "2024-03-11 00:00:00"},
		{"DATE_TRUNC", []tv{S("month"), TS("2024-03-15 10:30:45")}, "2024-03-01 00:00:00"},
		{"DATE_TRUNC", []tv{S("quarter"), TS("2024-08-15 10:30:45")}, "2024-07-01 00:00:00"},
		{"DATE_TRUNC", []tv{S("year"), TS("1969-08-15 10:30:45")}, "1969-01-01 00:00:00"},
		{"DATE_TRUNC", []tv{S("day"), {sqltypes.Date, "2024-03-15"}}, "2024-03-15 00:00:00"},
		{"DATE_TRUNC", []tv{S("day"), N(ts)}, nil},
		{"DATE_FORMAT", []tv{TS("2024-03-05 07:08:09.012"), S("yyyy-MM-dd HH:mm:ss.SSS")}, "2024-03-05 07:08:09.012"},
		{"DATE_FORMAT", []tv{TS("2024-03-05 17:08:09"), S("yy/M/d h:mm a")}, "24/3/5 5:08 PM"},
		{"DATE_FORMAT", []tv{TS("2024-03-05 00:08:09"), S("EEE, dd MMM yyyy hh 'o''clock' X")}, "Tue, 05 Mar 2024 12 o'clock Z"},
		{"DATE_FORMAT", []tv{TS("2024-03-05 00:08:09"), S("EEEE MMMM D")}, "Tuesday March 65"},
		{"DATE_FORMAT", []tv{TS("2024-03-05 00:08:09"), S("yyyyMMdd'T'HHmmss")}, "20240305T000809"},
		{"DATE_FORMAT", []tv{TS("2024-03-05 00:08:09.5"), S("s.S")}, "9.5"},
		{"DATE_FORMAT", []tv{S("2024-03-05 00:08:09"), S("yyyy")}, "2024"},
		{"DATE_FORMAT", []tv{TS("2024-03-05 00:08:09"), S("yyyy-Q")}, "error: unsupported letter 'Q'"},
		{"TO_TIMESTAMP", []tv{S("2024-03-05 07:08:09")}, "2024-03-05 07:08:09"},
		{"TO_TIMESTAMP", []tv{S("2024-03-05T07:08:09.5Z")}, "2024-03-05 07:08:09.500"},
		{"TO_TIMESTAMP", []tv{S("not a time")}, nil},
		{"TO_TIMESTAMP", []tv{S("05/03/2024 07:08"), S("dd/MM/yyyy HH:mm")}, "2024-03-05 07:08:00"},
		{"TO_TIMESTAMP", []tv{S("20240305070809123"), S("yyyyMMddHHmmssSSS")}, "2024-03-05 07:08:09.123"},
		{"TO_TIMESTAMP", []tv{S("5/3/2024"), S("d/M/yyyy")}, "2024-03-05 00:00:00"},
		{"TO_TIMESTAMP", []tv{S("Mar 5, 2024 5:08 pm"), S("MMM d, yyyy h:mm a")}, "2024-03-05 17:08:00"},
		{"TO_TIMESTAMP", []tv{S("2024-03-05 07:08:09 +0100"), S("yyyy-MM-dd HH:mm:ss Z")}, "2024-03-05 06:08:09"},
		{"TO_TIMESTAMP", []tv{S("2024-02-30"), S("yyyy-MM-dd")}, nil},
		{"TO_TIMESTAMP", []tv{S("2024-03-05 x"), S("yyyy-MM-dd")}, nil},
		{"TO_TIMESTAMP", []tv{S("12:00"), S("HH:mm")}, "1970-01-01 12:00:00"},
		{"TO_DATE", []tv{S("2024-03-05")}, "2024-03-05"},
		{"TO_DATE", []tv{S("05.03.2024"), S("dd.MM.yyyy")}, "2024-03-05"},
		{"TO_DATE", []tv{S("x")}, nil},
		{"TO_TIMESTAMP_LTZ", []tv{L(1700000000123), L(3)}, "2023-11-14 22:13:20.123"},
		{"TO_TIMESTAMP_LTZ", []tv{L(1700000000)}, "1970-01-20 16:13:20"},
		{"TO_TIMESTAMP_LTZ", []tv{I(-1), L(0)}, "1969-12-31 23:59:59"},
		{"YEAR", []tv{TS("2024-03-15 10:30:45")}, int64(2024)},
		{"QUARTER", []tv{TS("2024-03-15 10:30:45")}, int64(1)},
		{"MONTH", []tv{TS("2024-03-15 10:30:45")}, int64(3)},
		{"WEEK", []tv{TS("2024-01-01 10:30:45")}, int64(1)},
		{"DAYOFMONTH", []tv{TS("2024-03-15 10:30:45")}, int64(15)},
		{"DAYOFWEEK", []tv{TS("2024-03-17 10:30:45")}, int64(1)}, // Sunday
		{"DAYOFYEAR", []tv{TS("2024-12-31 10:30:45")}, int64(366)},
		{"HOUR", []tv{TS("2024-03-15 10:30:45")}, int64(10)},
		{"MINUTE", []tv{TS("2024-03-15 10:30:45")}, int64(30)},
		{"SECOND", []tv{TS("2024-03-15 10:30:45")}, int64(45)},
		{"YEAR", []tv{{sqltypes.Date, "1900-03-01"}}, int64(1900)},
		{"HOUR", []tv{N(ts)}, nil},
	})
	// TO_TIMESTAMP_LTZ precision must be a literal 0 or 3.
	_, err := mustFunc(t, "TO_TIMESTAMP_LTZ", lit(t, sqltypes.BigInt, int64(1)), lit(t, sqltypes.BigInt, int64(6)))
	wantErr(t, err, "precision must be 0 or 3")
	_, err = mustFunc(t, "DATE_TRUNC", NewColumn(0, "u", sqltypes.Varchar), NewColumn(1, "t", ts))
	wantErr(t, err, "DATE_TRUNC unit must be a literal")
	_, err = mustFunc(t, "DATE_TRUNC", lit(t, sqltypes.Varchar, "fortnight"), NewColumn(1, "t", ts))
	wantErr(t, err, "unknown unit 'fortnight'")
	// CURRENT_TIMESTAMP is the context's Now for every row.
	mem := newMem(t)
	rec := record(t, mem, c("x", sqltypes.Int, int32(1), int32(2)))
	defer rec.Release()
	for name, want := range map[string]any{
		"CURRENT_TIMESTAMP": "2024-03-15 10:30:45.123", "NOW": "2024-03-15 10:30:45.123",
		"LOCALTIMESTAMP": "2024-03-15 10:30:45.123", "CURRENT_DATE": "2024-03-15",
	} {
		got, err := eval(t, mem, must(mustFunc(t, name)), rec)
		if err != nil || got[0] != want || got[1] != want {
			t.Errorf("%s = %v, %v; want %v", name, got, err, want)
		}
	}
}

func TestExtract(t *testing.T) {
	mem := newMem(t)
	rec := record(t, mem,
		c("ts", sqltypes.Timestamp, "2024-03-17 13:14:15.678", "1969-12-31 23:59:59.999", nil),
		c("d", sqltypes.Date, "2024-12-30", "1969-12-31", nil),
		c("i", sqltypes.Interval, int64(90_061_001), int64(-90_061_001), nil))
	defer rec.Release()
	cases := []struct {
		unit string
		col  int
		want []any
	}{
		{"YEAR", 0, []any{int64(2024), int64(1969), nil}},
		{"QUARTER", 0, []any{int64(1), int64(4), nil}},
		{"MONTH", 0, []any{int64(3), int64(12), nil}},
		{"WEEK", 0, []any{int64(11), int64(1), nil}},
		{"DAY", 0, []any{int64(17), int64(31), nil}},
		{"HOUR", 0, []any{int64(13), int64(23), nil}},
		{"MINUTE", 0, []any{int64(14), int64(59), nil}},
		{"SECOND", 0, []any{int64(15), int64(59), nil}},
		{"MILLISECOND", 0, []any{int64(15678), int64(59999), nil}},
		{"DOW", 0, []any{int64(1), int64(4), nil}},
		{"ISODOW", 0, []any{int64(7), int64(3), nil}},
		{"DOY", 0, []any{int64(77), int64(365), nil}},
		{"EPOCH", 0, []any{int64(1710681255), int64(-1), nil}},
		{"year", 1, []any{int64(2024), int64(1969), nil}},
		{"WEEK", 1, []any{int64(1), int64(1), nil}}, // ISO week 1 of 2025 and of 1970
		{"DOW", 1, []any{int64(2), int64(4), nil}},
		{"DAY", 2, []any{int64(1), int64(-1), nil}},
		{"HOUR", 2, []any{int64(1), int64(-1), nil}},
		{"MINUTE", 2, []any{int64(1), int64(-1), nil}},
		{"SECOND", 2, []any{int64(1), int64(-1), nil}},
		{"MILLISECOND", 2, []any{int64(1001), int64(-1001), nil}},
		{"EPOCH", 2, []any{int64(90061), int64(-90061), nil}},
	}
	types := []arrow.DataType{sqltypes.Timestamp, sqltypes.Date, sqltypes.Interval}
	for _, tc := range cases {
		e := must(NewExtract(tc.unit, NewColumn(tc.col, []string{"ts", "d", "i"}[tc.col], types[tc.col])))
		got, err := eval(t, mem, e, rec)
		if err != nil {
			t.Fatal(err)
		}
		for k := range tc.want {
			if got[k] != tc.want[k] {
				t.Errorf("%s row %d = %v, want %v", e, k, got[k], tc.want[k])
			}
		}
	}
	_, err := NewExtract("HOUR", NewColumn(1, "d", sqltypes.Date))
	wantErr(t, err, "cannot EXTRACT HOUR from DATE")
	_, err = NewExtract("YEAR", NewColumn(2, "i", sqltypes.Interval))
	wantErr(t, err, "cannot EXTRACT YEAR from INTERVAL")
	_, err = NewExtract("YEAR", NewColumn(0, "s", sqltypes.Varchar))
	wantErr(t, err, "cannot EXTRACT from VARCHAR")
	if s := must(NewExtract("dow", NewColumn(0, "ts", sqltypes.Timestamp))).String(); s != "EXTRACT(DOW FROM ts)" {
		t.Errorf("String() = %q", s)
	}
}

// TestCivil checks the calendar arithmetic against the time package over
// a wide range of days.
func TestCivil(t *testing.T) {
	for d := int64(-800_000); d <= 800_000; d += 97 {
		y, m, day := civilFromDays(d)
		tm := timeOfDays(d)
		if int(y) != tm.Year() || m != int(tm.Month()) || day != tm.Day() {
			t.Fatalf("day %d: %d-%d-%d, want %s", d, y, m, day, tm)
		}
		if back := daysFromCivil(y, m, day); back != d {
			t.Fatalf("day %d round-trips to %d", d, back)
		}
	}
}
