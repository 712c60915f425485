package expr

import (
	"testing"

	"github.com/weirsql/weir/sqltypes"
)

func TestCountChar(t *testing.T) {
	vc := sqltypes.Varchar
	runFuncCases(t, []funcCase{
		{"COUNT_CHAR", []tv{S("abcabcc"), S("c")}, int64(3)},
		{"COUNT_CHAR", []tv{S("abc"), S("x")}, int64(0)},
		{"COUNT_CHAR", []tv{S(""), S("c")}, int64(0)},
		{"COUNT_CHAR", []tv{S("cCc"), S("C")}, int64(1)},  // case-sensitive
		{"COUNT_CHAR", []tv{S("ééaé"), S("é")}, int64(3)}, // characters, not bytes
		{"COUNT_CHAR", []tv{S("aaaa"), S("a")}, int64(4)},
		{"COUNT_CHAR", []tv{N(vc), S("c")}, nil},
		{"COUNT_CHAR", []tv{S("abc"), N(vc)}, nil},
		{"COUNT_CHAR", []tv{S("abc"), S("ab")}, "error: must be one character, got 'ab'"},
		{"COUNT_CHAR", []tv{S("abc"), S("")}, "error: must be one character, got ''"},
	})
}

func TestCountCharRows(t *testing.T) {
	// A character that varies per row is checked per row.
	mem := newMem(t)
	rec := record(t, mem, c("s", sqltypes.Varchar, "banana", "cc", nil, "x"), c("c", sqltypes.Varchar, "a", "c", "c", "x"))
	defer rec.Release()
	e, err := mustFunc(t, "COUNT_CHAR", NewColumn(0, "s", sqltypes.Varchar), NewColumn(1, "c", sqltypes.Varchar))
	if err != nil {
		t.Fatal(err)
	}
	got, err := eval(t, mem, e, rec)
	if err != nil {
		t.Fatal(err)
	}
	want := []any{int64(3), int64(2), nil, int64(1)}
	for i := range want {
		if !equalValue(got[i], want[i]) {
			t.Errorf("row %d: COUNT_CHAR = %v, want %v", i, got[i], want[i])
		}
	}
}
