package expr

// The fast paths of Nexmark q14's DECIMAL arithmetic, each checked on
// random batches (every batch size, NULLs, sliced arrays) against the
// general path it stands in for and against exact big-integer arithmetic.

import (
	"fmt"
	"math/big"
	"math/rand"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/weirsql/weir/sqltypes"
)

// sameAsGeneral evaluates build's expression and general's version of it
// (the same expression with its fast path turned off) over random batches
// of every size in batchSizes, whole and sliced, and requires the same
// values or the same error.
func sameAsGeneral(t *testing.T, name string, types []arrow.DataType, gens []gen, build func(cols []Expr) Expr, general func(Expr) Expr) {
	t.Helper()
	for _, n := range batchSizes {
		for _, offset := range []int{0, 3} {
			mem := newMem(t)
			r := rand.New(rand.NewSource(int64(n*7 + offset)))
			cols := make([]col, len(types))
			exprs := make([]Expr, len(types))
			for k, typ := range types {
				vals := make([]any, n+offset)
				for i := range vals {
					if r.Intn(5) > 0 {
						vals[i] = gens[k](r, i)
					}
				}
				cols[k] = c(fmt.Sprintf("c%d", k), typ, vals...)
				exprs[k] = NewColumn(k, cols[k].name, typ)
			}
			e := build(exprs)
			full := record(t, mem, cols...)
			rec := full.NewSlice(int64(offset), int64(offset+n))
			full.Release()
			got, gotErr := eval(t, mem, e, rec)
			want, wantErr := eval(t, mem, general(e), rec)
			rec.Release()
			if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
				t.Fatalf("%s (%s), n=%d offset=%d: error %v, general path %v", name, e, n, offset, gotErr, wantErr)
			}
			for i := range want {
				if !equalValue(got[i], want[i]) {
					t.Fatalf("%s (%s), n=%d offset=%d, row %d (inputs %v): %v, general path %v",
						name, e, n, offset, i, rowOf(cols, offset+i), got[i], want[i])
				}
			}
		}
	}
}

// genWideInt64 draws integers of every magnitude, both signs.
func genWideInt64(r *rand.Rand, _ int) any { return int64(r.Uint64()) >> r.Intn(64) }

// genWideInt32 is genWideInt64 for INT.
func genWideInt32(r *rand.Rand, _ int) any { return int32(r.Uint32()) >> r.Intn(32) }

// genDec draws DECIMAL text with up to digits digits, scale of them after
// the point, of every magnitude.
func genDec(digits, scale int) gen {
	return func(r *rand.Rand, _ int) any {
		u := new(big.Int).Rand(r, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(r.Intn(digits)+1)), nil))
		if r.Intn(2) == 0 {
			u.Neg(u)
		}
		return bigDecimalText(u, int32(scale))
	}
}

// bigDecimalText formats an unscaled value with scale digits after the
// point, as goValue formats a DECIMAL.
func bigDecimalText(u *big.Int, scale int32) string {
	s := new(big.Int).Abs(u).String()
	for len(s) <= int(scale) {
		s = "0" + s
	}
	if scale > 0 {
		s = s[:len(s)-int(scale)] + "." + s[len(s)-int(scale):]
	}
	if u.Sign() < 0 {
		s = "-" + s
	}
	return s
}

// unscaled reads DECIMAL text (or an integer) as its unscaled value at
// scale.
func unscaled(t *testing.T, v any, scale int32) *big.Int {
	switch v := v.(type) {
	case int64:
		return new(big.Int).Mul(big.NewInt(v), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil))
	case int32:
		return unscaled(t, int64(v), scale)
	case string:
		n, ok := parseDecimal(v, 38, scale)
		if !ok {
			t.Fatalf("bad decimal %q", v)
		}
		return n.BigInt()
	}
	t.Fatalf("not a number: %T", v)
	return nil
}

// generalMul evaluates a DECIMAL product with the row-by-row loop.
type generalMul struct{ *arithExpr }

func (g generalMul) Eval(ctx *Context, batch arrow.Record) (arrow.Array, error) {
	e := g.arithExpr
	l, err := evalOperand(ctx, e.l, batch)
	if err != nil {
		return nil, err
	}
	defer l.release()
	r, err := evalOperand(ctx, e.r, batch)
	if err != nil {
		return nil, err
	}
	defer r.release()
	return e.decimalRows(ctx.Mem, l, r, int(batch.NumRows()))
}

// TestDecimalMulFastPath: DECIMAL * multiplies int64 values where they fit
// (and checks the precision only where the types allow an overflow); where
// they do not, the general loop gives the value or the overflow error.
func TestDecimalMulFastPath(t *testing.T) {
	cases := []struct {
		name  string
		types []arrow.DataType
		gens  []gen
		build func(cols []Expr) Expr
		exact bool
	}{
		{
			name:  "q14: 0.908 * CAST(bigint AS DECIMAL(22, 3))",
			types: []arrow.DataType{sqltypes.BigInt},
			gens:  []gen{genWideInt64},
			build: func(c []Expr) Expr {
				return must(NewBinary(Mul, must(NewCast(lit(t, dec(3, 3), "0.908"), dec(22, 3), false)), must(NewCast(c[0], dec(22, 3), false))))
			},
			exact: true,
		},
		{
			name:  "CAST(int AS DECIMAL(12, 2)) * -1.5",
			types: []arrow.DataType{sqltypes.Int},
			gens:  []gen{genWideInt32},
			build: func(c []Expr) Expr {
				return must(NewBinary(Mul, must(NewCast(c[0], dec(12, 2), false)), lit(t, dec(2, 1), "-1.5")))
			},
			exact: true,
		},
		{
			name:  "DECIMAL(18, 2) * DECIMAL(18, 2)",
			types: []arrow.DataType{dec(18, 2), dec(18, 2)},
			gens:  []gen{genDec(18, 2), genDec(18, 2)},
			build: func(c []Expr) Expr { return must(NewBinary(Mul, c[0], c[1])) },
			exact: true,
		},
		{
			name:  "DECIMAL(38, 2) * DECIMAL(38, 2), factors within int64",
			types: []arrow.DataType{dec(38, 2), dec(38, 2)},
			gens:  []gen{genDec(18, 2), genDec(18, 2)},
			build: func(c []Expr) Expr { return must(NewBinary(Mul, c[0], c[1])) },
		},
		{
			name:  "DECIMAL(38, 2) * DECIMAL(38, 2), products that overflow",
			types: []arrow.DataType{dec(38, 2), dec(38, 2)},
			gens:  []gen{genDec(18, 2), genDec(38, 2)},
			build: func(c []Expr) Expr { return must(NewBinary(Mul, c[0], c[1])) },
		},
		{
			name:  "a constant beyond int64 * DECIMAL(18, 0)",
			types: []arrow.DataType{dec(18, 0)},
			gens:  []gen{genDec(18, 0)},
			build: func(c []Expr) Expr {
				return must(NewBinary(Mul, lit(t, dec(21, 0), "100000000000000000000"), c[0]))
			},
		},
	}
	for _, tc := range cases {
		e := tc.build([]Expr{NewColumn(0, "a", tc.types[0]), NewColumn(len(tc.types)-1, "b", tc.types[len(tc.types)-1])})
		m, ok := e.(*arithExpr)
		if !ok || m.exact != tc.exact || canFail(e) == tc.exact {
			t.Fatalf("%s: %s is %T, exact %v, want exact %v", tc.name, e, e, ok && m.exact, tc.exact)
		}
		sameAsGeneral(t, tc.name, tc.types, tc.gens, tc.build, func(e Expr) Expr { return generalMul{e.(*arithExpr)} })
		checkRows(t, rowCase{
			name: tc.name, types: tc.types, gens: tc.gens,
			build: func(c []Expr) (Expr, error) { return tc.build(c), nil },
			ref: func(row []any) (any, error) {
				if nullIn(row) {
					return nil, nil
				}
				a, aText := mulSide(t, m.l, row)
				b, bText := mulSide(t, m.r, row)
				p := new(big.Int).Mul(a, b)
				prec, scale := decScale(m.typ)
				if new(big.Int).Abs(p).Cmp(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(prec)), nil)) >= 0 {
					return nil, fmt.Errorf("numeric overflow: %s * %s does not fit %s", aText, bText, sqltypes.Name(m.typ))
				}
				return bigDecimalText(p, scale), nil
			},
		})
	}
}

// mulSide is the value of a factor of a DECIMAL product for a row, unscaled,
// and its text in an overflow message.
func mulSide(t *testing.T, e Expr, row []any) (*big.Int, string) {
	scale := mustScale(e.DataType())
	switch x := e.(type) {
	case *literal:
		return unscaled(t, literalSQL(x.s), scale), literalSQL(x.s)
	case *castExpr: // an integer column cast to DECIMAL
		v := unscaled(t, row[x.x.(*column).index], scale)
		return v, bigDecimalText(v, scale)
	case *column:
		return unscaled(t, row[x.index], scale), row[x.index].(string)
	}
	t.Fatalf("factor %s", e)
	return nil, ""
}

// TestIntToDecimalFastPath: casting an integer to a DECIMAL every value
// fits multiplies without checks, with the values of the checked cast.
func TestIntToDecimalFastPath(t *testing.T) {
	for _, tc := range []struct {
		from arrow.DataType
		to   arrow.DataType
		gen  gen
	}{
		{sqltypes.BigInt, dec(19, 0), genWideInt64},
		{sqltypes.BigInt, dec(22, 3), genWideInt64},
		{sqltypes.BigInt, dec(37, 18), genWideInt64},
		{sqltypes.Int, dec(10, 0), genWideInt32},
		{sqltypes.Int, dec(14, 4), genWideInt32},
	} {
		name := fmt.Sprintf("CAST(%s AS %s)", sqltypes.Name(tc.from), sqltypes.Name(tc.to))
		if castCanFail(tc.from, tc.to) {
			t.Fatalf("%s: can fail", name)
		}
		build := func(c []Expr) Expr { return must(NewCast(c[0], tc.to, false)) }
		sameAsGeneral(t, name, []arrow.DataType{tc.from}, []gen{tc.gen}, build, func(e Expr) Expr {
			ce := *e.(*castExpr)
			if tc.from.ID() == arrow.INT32 {
				ce.fn = intToDecChecked[int32]
			} else {
				ce.fn = intToDecChecked[int64]
			}
			return &ce
		})
		_, scale := decScale(tc.to)
		checkRows(t, rowCase{
			name: name, types: []arrow.DataType{tc.from}, gens: []gen{tc.gen},
			build: func(c []Expr) (Expr, error) { return build(c), nil },
			ref: func(row []any) (any, error) {
				if row[0] == nil {
					return nil, nil
				}
				return bigDecimalText(unscaled(t, row[0], scale), scale), nil
			},
		})
	}
	if !castCanFail(sqltypes.BigInt, dec(21, 3)) || !castCanFail(sqltypes.Int, dec(38, 29)) {
		t.Fatal("casts to a DECIMAL too narrow for every value should be able to fail")
	}
}

// TestScaledCompare: comparing CAST(x AS DECIMAL) * k with a constant t
// compares x with t / k rounded (q14's WHERE), with the results of the
// DECIMAL comparison, at the boundary and far from it.
func TestScaledCompare(t *testing.T) {
	type factor struct {
		text  string
		typ   arrow.DataType
		apply bool // the rewrite applies (k > 0)
	}
	factors := []factor{
		{"0.908", dec(3, 3), true},
		{"1", dec(1, 0), true},
		{"2.5", dec(2, 1), true},
		{"7000000000", dec(10, 0), true},
		{"-0.5", dec(1, 1), false},
		{"0", dec(1, 0), false},
	}
	casts := []struct {
		from arrow.DataType
		to   arrow.DataType
		gen  gen
	}{
		{sqltypes.BigInt, dec(22, 3), genWideInt64},
		{sqltypes.Int, dec(12, 2), genWideInt32},
	}
	bounds := []string{"1000000", "50000000", "-7", "0", "12345.678", "-3.3"}
	ops := []BinaryOp{Eq, NotEq, Lt, LtEq, Gt, GtEq}
	for _, f := range factors {
		for _, cs := range casts {
			for _, bs := range bounds {
				for _, op := range ops {
					for _, constLeft := range []bool{false, true} {
						testScaledCompare(t, f.text, f.typ, f.apply, cs.from, cs.to, cs.gen, bs, op, constLeft)
					}
				}
			}
		}
	}
}

func testScaledCompare(t *testing.T, ftext string, ftyp arrow.DataType, apply bool, from, to arrow.DataType, wide gen, bound string, op BinaryOp, constLeft bool) {
	prod := func(x Expr) Expr {
		return must(NewBinary(Mul, must(NewCast(lit(t, ftyp, ftext), to, false)), must(NewCast(x, to, false))))
	}
	ptyp := prod(NewColumn(0, "x", from)).DataType()
	_, pscale := decScale(ptyp)
	tn, ok := parseDecimal(bound, 38, pscale)
	if !ok {
		t.Fatalf("bad bound %s", bound)
	}
	tlit := lit(t, ptyp, string(appendDecimal(nil, tn, pscale)))
	build := func(c []Expr) Expr {
		if constLeft {
			return must(NewBinary(op.flip(), tlit, prod(c[0])))
		}
		return must(NewBinary(op, prod(c[0]), tlit))
	}
	e := build([]Expr{NewColumn(0, "x", from)})
	ce, isCmp := e.(*compareExpr)
	if !isCmp {
		t.Fatalf("%s is %T", e, e)
	}
	// k is the product's unscaled value for x = 1: the factor as cast (0.908
	// becomes 0.91 at scale 2) at the product's scale.
	m := prod(NewColumn(0, "x", from)).(*arithExpr)
	fl := m.l
	if _, isLit := IsLiteral(fl); !isLit {
		fl = m.r
	}
	k := unscaled(t, fl.String(), pscale)
	tv := tn.BigInt()
	divides := k.Sign() != 0 && new(big.Int).Mod(tv, k).Sign() == 0
	want := apply && (op != Eq && op != NotEq || divides)
	if (ce.scaled != nil) != want {
		t.Fatalf("%s: rewritten %v, want %v", e, ce.scaled != nil, want)
	}
	// x near t / k, where the rounding matters, and anywhere.
	near := func(r *rand.Rand, i int) any {
		if r.Intn(2) == 0 || k.Sign() == 0 {
			return wide(r, i)
		}
		q := new(big.Int).Quo(tv, k).Int64() + int64(r.Intn(7)-3)
		if from.ID() == arrow.INT32 {
			return int32(q)
		}
		return q
	}
	name := fmt.Sprintf("%s [k=%s t=%s]", e, k, tv)
	types := []arrow.DataType{from}
	sameAsGeneral(t, name, types, []gen{near}, build, func(e Expr) Expr {
		g := *e.(*compareExpr)
		g.scaled = nil
		return &g
	})
	checkRows(t, rowCase{
		name: name, types: types, gens: []gen{near},
		build: func(c []Expr) (Expr, error) { return build(c), nil },
		ref: func(row []any) (any, error) {
			if row[0] == nil {
				return nil, nil
			}
			x := unscaled(t, row[0], 0)
			return cmpResult(op, new(big.Int).Mul(x, k).Cmp(tv)), nil
		},
	})
}

// mustScale is a DECIMAL type's scale.
func mustScale(t arrow.DataType) int32 {
	_, s := decScale(t)
	return s
}

// BenchmarkDecimalMul compares the int64 loop with the general one over
// q14's product.
func BenchmarkDecimalMul(b *testing.B) {
	batch := q14Batch(b)
	defer batch.Release()
	e := q14Price(b)
	b.Run("fast", func(b *testing.B) { benchEval(b, e, batch) })
	b.Run("general", func(b *testing.B) { benchEval(b, generalMul{e.(*arithExpr)}, batch) })
}

// TestCanFailArithmetic: a DECIMAL + - * fails only when its operands allow an
// overflow, an integer division only when the divisor may be zero.
func TestCanFailArithmetic(t *testing.T) {
	bi := sqltypes.BigInt
	x, y := NewColumn(0, "x", bi), NewColumn(1, "y", bi)
	d := func(p, s int32) Expr { return NewColumn(2, "d", dec(p, s)) }
	for _, tc := range []struct {
		e    Expr
		fail bool
	}{
		{must(NewBinary(Mul, lit(t, dec(3, 3), "0.908"), must(NewCast(x, dec(22, 3), false)))), false},
		{must(NewBinary(Mul, d(19, 2), d(19, 2))), false},
		{must(NewBinary(Mul, d(20, 2), d(19, 2))), true},
		{must(NewBinary(Add, d(37, 2), d(37, 2))), false},
		{must(NewBinary(Add, d(38, 2), d(38, 2))), true},
		{must(NewBinary(Add, must(NewCast(x, dec(38, 2), false)), must(NewCast(y, dec(38, 2), false)))), false},
		{must(NewBinary(Div, d(10, 2), d(10, 2))), true},
		{must(NewCast(x, dec(21, 3), false)), true},
		{must(NewBinary(Div, x, lit(t, bi, int64(10)))), false},
		{must(NewBinary(Mod, x, lit(t, bi, int64(-1)))), false},
		{must(NewBinary(Div, x, lit(t, bi, int64(0)))), true},
		{must(NewBinary(Div, x, lit(t, bi, nil))), true},
		{must(NewBinary(Mod, x, y)), true},
	} {
		if got := canFail(tc.e); got != tc.fail {
			t.Errorf("canFail(%s) = %v, want %v", tc.e, got, tc.fail)
		}
	}
}
