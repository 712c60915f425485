package expr

import (
	"math/rand"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
)

// batchSizes are the batch sizes every operator test runs at.
var batchSizes = []int{1, 2, 3, 16, 1024}

// gen returns a column's value for row i; checkRows replaces some with NULL.
type gen func(r *rand.Rand, i int) any

// rowCase is an expression over generated columns and its row-at-a-time
// reference.
type rowCase struct {
	name  string
	types []arrow.DataType
	gens  []gen
	// build makes the expression over columns $0, $1, ...
	build func(cols []Expr) (Expr, error)
	// ref computes one row; an error means the batch must fail.
	ref func(row []any) (any, error)
	// nulls injects NULLs into every column (about one row in five).
	noNulls bool
}

// checkRows evaluates a case over batches of every size in batchSizes, as
// whole records and as slices of larger ones (so arrays have offsets), and
// compares each row with the reference.
func checkRows(t *testing.T, rc rowCase) {
	t.Helper()
	for _, n := range batchSizes {
		for _, offset := range []int{0, 3} {
			mem := newMem(t)
			r := rand.New(rand.NewSource(int64(n*31 + offset)))
			cols := make([]col, len(rc.types))
			exprs := make([]Expr, len(rc.types))
			for k, typ := range rc.types {
				vals := make([]any, n+offset)
				for i := range vals {
					if !rc.noNulls && r.Intn(5) == 0 {
						continue
					}
					vals[i] = rc.gens[k](r, i)
				}
				cols[k] = c("c"+string(rune('0'+k)), typ, vals...)
				exprs[k] = NewColumn(k, cols[k].name, typ)
			}
			e, err := rc.build(exprs)
			if err != nil {
				t.Fatalf("%s: %v", rc.name, err)
			}
			full := record(t, mem, cols...)
			rec := full.NewSlice(int64(offset), int64(offset+n))
			full.Release()
			want := make([]any, n)
			var wantErr error
			for i := 0; i < n; i++ {
				row := make([]any, len(cols))
				for k := range cols {
					row[k] = cols[k].vals[offset+i]
				}
				if want[i], err = rc.ref(row); err != nil && wantErr == nil {
					wantErr = err
				}
			}
			got, err := eval(t, mem, e, rec)
			rec.Release()
			switch {
			case wantErr != nil && err == nil:
				t.Fatalf("%s, n=%d: no error, want %v", rc.name, n, wantErr)
			case wantErr == nil && err != nil:
				t.Fatalf("%s, n=%d: %v", rc.name, n, err)
			case err != nil:
				if err.Error() != wantErr.Error() {
					t.Fatalf("%s, n=%d: error %q, want %q", rc.name, n, err, wantErr)
				}
				continue
			}
			for i := range want {
				if !equalValue(got[i], want[i]) {
					t.Fatalf("%s (%s), n=%d offset=%d, row %d (inputs %v): got %v (%T), want %v (%T)",
						rc.name, e, n, offset, i, rowOf(cols, offset+i), got[i], got[i], want[i], want[i])
				}
			}
		}
	}
}

func rowOf(cols []col, i int) []any {
	row := make([]any, len(cols))
	for k := range cols {
		row[k] = cols[k].vals[i]
	}
	return row
}

// Generators.

func genInt32(lo, hi int32) gen {
	return func(r *rand.Rand, _ int) any { return lo + int32(r.Int63n(int64(hi)-int64(lo)+1)) }
}

func genInt64(lo, hi int64) gen {
	return func(r *rand.Rand, _ int) any { return lo + r.Int63n(hi-lo+1) }
}

func genFloat64() gen {
	return func(r *rand.Rand, _ int) any { return float64(r.Intn(2001)-1000) / 8 }
}

func genBool() gen { return func(r *rand.Rand, _ int) any { return r.Intn(2) == 0 } }

func genString(alphabet string, maxLen int) gen {
	return func(r *rand.Rand, _ int) any {
		rs := []rune(alphabet)
		b := make([]rune, r.Intn(maxLen+1))
		for i := range b {
			b[i] = rs[r.Intn(len(rs))]
		}
		return string(b)
	}
}

// nullIn reports whether any value is NULL (the usual strict rule).
func nullIn(row []any) bool {
	for _, v := range row {
		if v == nil {
			return true
		}
	}
	return false
}
