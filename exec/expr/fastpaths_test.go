package expr

import (
	"regexp"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/weirsql/weir/sqltypes"
)

// TestCaseSwitch: a CASE whose arms compare one expression with constants
// (q21's CASE WHEN lower(channel) = 'apple' ...) evaluates it once, with
// the results of the arm-by-arm evaluation, NULLs and a costly ELSE
// included.
func TestCaseSwitch(t *testing.T) {
	// The ELSE pattern takes the fast matcher, or (with \b) the regexp
	// engine, which makes it a costly branch evaluated on its rows only.
	for _, pattern := range []string{`b(x*)`, `\bb(x*)`} {
		testCaseSwitch(t, pattern)
	}
}

func testCaseSwitch(t *testing.T, pattern string) {
	vc := sqltypes.Varchar
	lower := func(x Expr) Expr {
		f, _ := LookupFunc("LOWER")
		return must(f.New([]Expr{x}, vc))
	}
	regex := func(x Expr) Expr {
		f, _ := LookupFunc("REGEXP_EXTRACT")
		return must(f.New([]Expr{x, lit(t, vc, pattern), lit(t, sqltypes.BigInt, int64(1))}, vc))
	}
	re := regexp.MustCompile(pattern)
	build := func(c []Expr) (Expr, error) {
		l := lower(c[0])
		return NewCase([]When{
			{Cond: must(NewBinary(Eq, l, lit(t, vc, "a"))), Result: lit(t, vc, "0")},
			{Cond: must(NewBinary(Eq, lit(t, vc, "b"), lower(c[0]))), Result: c[1]},
			{Cond: must(NewBinary(Eq, lower(c[0]), lit(t, vc, "a"))), Result: lit(t, vc, "never")},
			{Cond: must(NewBinary(Eq, lower(c[0]), lit(t, vc, "éb"))), Result: lit(t, vc, "2")},
		}, regex(c[1]))
	}
	e, err := build([]Expr{NewColumn(0, "s", vc), NewColumn(1, "u", vc)})
	if err != nil {
		t.Fatal(err)
	}
	if ce, ok := e.(*caseExpr); !ok || ce.switchOn == nil || strings.Join(ce.keys, ",") != "a,b,a,éb" {
		t.Fatalf("%s: not evaluated as a switch on LOWER(s)", e)
	}
	checkRows(t, rowCase{
		name:  "CASE switch " + pattern,
		types: []arrow.DataType{vc, vc},
		gens:  []gen{genString("aAbBÉé", 2), genString("ab x", 4)},
		build: build,
		ref: func(row []any) (any, error) {
			if row[0] != nil {
				switch strings.ToLower(row[0].(string)) {
				case "a":
					return "0", nil
				case "b":
					return row[1], nil
				case "éb":
					return "2", nil
				}
			}
			if row[1] == nil {
				return nil, nil
			}
			m := re.FindStringSubmatch(row[1].(string))
			if m == nil {
				return nil, nil
			}
			return m[1], nil
		},
	})
	// Arms over different expressions, or not all equalities, stay a
	// searched CASE.
	s, u := NewColumn(0, "s", vc), NewColumn(1, "u", vc)
	for _, whens := range [][]When{
		{{Cond: must(NewBinary(Eq, s, lit(t, vc, "a"))), Result: s}, {Cond: must(NewBinary(Eq, u, lit(t, vc, "b"))), Result: s}},
		{{Cond: must(NewBinary(Eq, s, lit(t, vc, "a"))), Result: s}, {Cond: must(NewBinary(Lt, s, lit(t, vc, "b"))), Result: s}},
		{{Cond: must(NewBinary(Eq, s, u)), Result: s}, {Cond: must(NewBinary(Eq, s, lit(t, vc, "b"))), Result: s}},
	} {
		e, err := NewCase(whens, nil)
		if err != nil {
			t.Fatal(err)
		}
		if e.(*caseExpr).switchOn != nil {
			t.Errorf("%s taken for a switch", e)
		}
	}
}

// TestCostlyOrSide: OR evaluates a costly side (a regular expression) only
// on the rows the other side leaves undecided, with the same results.
func TestCostlyOrSide(t *testing.T) {
	vc := sqltypes.Varchar
	f, _ := LookupFunc("REGEXP")
	checkRows(t, rowCase{
		name:  "costly OR",
		types: []arrow.DataType{vc, sqltypes.BigInt},
		gens:  []gen{genString("abx", 4), genInt64(0, 3)},
		build: func(c []Expr) (Expr, error) {
			// \b keeps the pattern off the fast matcher, which is cheap.
			re := must(f.New([]Expr{c[0], lit(t, vc, `\bab+x`)}, sqltypes.Boolean))
			if !isCostly(re) {
				t.Fatal("REGEXP is not costly")
			}
			return NewBinary(Or, re, must(NewBinary(Gt, c[1], lit(t, sqltypes.BigInt, int64(1)))))
		},
		ref: func(row []any) (any, error) {
			var m, g any
			if row[0] != nil {
				m = abx.MatchString(row[0].(string))
			}
			if row[1] != nil {
				g = row[1].(int64) > 1
			}
			switch {
			case m == true || g == true:
				return true, nil
			case m == nil || g == nil:
				return nil, nil
			}
			return false, nil
		},
	})
}

var abx = regexp.MustCompile(`\bab+x`)

// TestRegexpExtractIsNull: REGEXP_EXTRACT(...) IS [NOT] NULL asks only
// whether the group matched; the answer is the same as from the values.
func TestRegexpExtractIsNull(t *testing.T) {
	vc, bi := sqltypes.Varchar, sqltypes.BigInt
	f, _ := LookupFunc("REGEXP_EXTRACT")
	re := regexp.MustCompile(`(&|^)k=(x*)y`)
	for _, not := range []bool{false, true} {
		checkRows(t, rowCase{
			name:  "REGEXP_EXTRACT IS NULL",
			types: []arrow.DataType{vc, bi},
			gens:  []gen{genString("&k=xy", 6), genInt64(-1, 4)},
			build: func(c []Expr) (Expr, error) {
				x := must(f.New([]Expr{c[0], lit(t, vc, re.String()), c[1]}, vc))
				if x.(*funcExpr).nullness == nil {
					t.Fatal("no nullness kernel")
				}
				return NewIsNull(x, not), nil
			},
			ref: func(row []any) (any, error) {
				isNull := true
				if row[0] != nil && row[1] != nil {
					g := row[1].(int64)
					m := re.FindStringSubmatchIndex(row[0].(string))
					isNull = m == nil || g < 0 || g > 2 || m[2*g] < 0
				}
				return isNull != not, nil
			},
		})
	}
}

// TestCaseMapASCII: LOWER and UPPER over all-ASCII batches take the
// one-pass kernel (sharing offsets and validity), and give what
// strings.ToLower and ToUpper give, sliced batches and NULLs included.
func TestCaseMapASCII(t *testing.T) {
	vc := sqltypes.Varchar
	for _, name := range []string{"LOWER", "UPPER"} {
		f, _ := LookupFunc(name)
		conv := strings.ToLower
		if name == "UPPER" {
			conv = strings.ToUpper
		}
		for _, alphabet := range []string{"aZ-@[`{", "aZé"} {
			checkRows(t, rowCase{
				name:  name + " " + alphabet,
				types: []arrow.DataType{vc},
				gens:  []gen{genString(alphabet, 5)},
				build: func(c []Expr) (Expr, error) { return f.New(c, vc) },
				ref: func(row []any) (any, error) {
					if row[0] == nil {
						return nil, nil
					}
					return conv(row[0].(string)), nil
				},
			})
		}
	}
}
