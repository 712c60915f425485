package expr

import (
	"regexp"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/weirsql/weir/sqltypes"
)

func TestLike(t *testing.T) {
	cases := []struct {
		s, p   string
		escape rune
		want   bool
	}{
		{"hello", "hello", 0, true},
		{"hello", "Hello", 0, false}, // case sensitive
		{"hello", "hell", 0, false},
		{"hello", "h%", 0, true},
		{"hello", "%o", 0, true},
		{"hello", "%ll%", 0, true},
		{"hello", "%x%", 0, false},
		{"hello", "h%o", 0, true},
		{"ho", "h%o", 0, true},
		{"h", "h%h", 0, false},
		{"hello", "h_llo", 0, true},
		{"hello", "h__lo", 0, true},
		{"hello", "h___lo", 0, false},
		{"hello", "_____", 0, true},
		{"hello", "____", 0, false},
		{"", "", 0, true},
		{"", "%", 0, true},
		{"", "_", 0, false},
		{"abc", "%%", 0, true},
		{"abc", "a%%c", 0, true},
		{"abcabc", "%b_a%", 0, true},
		{"abcabd", "%abd", 0, true},
		{"aXbXc", "a%b%c", 0, true},
		{"abc", "a%b%c%d", 0, false},
		{"mississippi", "%iss%ppi", 0, true},
		{"mississippi", "m%ss_ss%", 0, true},
		{"mississippi", "%s_p%", 0, true},
		{"mississippi", "%p_s%", 0, false},
		{"mississippi", "%s_i%", 0, true},
		{"naïve café", "na_ve%", 0, true}, // _ is one character, not one byte
		{"naïve café", "%caf_", 0, true},  // at the end
		{"日本語", "_本_", 0, true},           // three runes
		{"日本語", "___", 0, true},
		{"日本語", "____", 0, false},
		{"日本語", "%語", 0, true},
		{"100%", "100\\%", '\\', true},
		{"100x", "100\\%", '\\', false},
		{"a_b", "a\\_b", '\\', true},
		{"axb", "a\\_b", '\\', false},
		{"a\\b", "a\\\\b", '\\', true},
		{"50% off", "%!%%", '!', true},
		{"50 off", "%!%%", '!', false},
		{"line1\nline2", "line1%line2", 0, true}, // % spans newlines
	}
	mem := newMem(t)
	for _, tc := range cases {
		for _, not := range []bool{false, true} {
			// Constant pattern over a column.
			rec := record(t, mem, c("s", sqltypes.Varchar, tc.s, nil), c("p", sqltypes.Varchar, tc.p, tc.p))
			s := NewColumn(0, "s", sqltypes.Varchar)
			e := must(NewLike(s, lit(t, sqltypes.Varchar, tc.p), tc.escape, not))
			got, err := eval(t, mem, e, rec)
			if err != nil {
				t.Fatal(err)
			}
			if want := tc.want != not; got[0] != want || got[1] != nil {
				t.Errorf("%q %s: got %v, want %v", tc.s, e, got, want)
			}
			// Pattern from a column (per-row path).
			e = must(NewLike(s, NewColumn(1, "p", sqltypes.Varchar), tc.escape, not))
			got, err = eval(t, mem, e, rec)
			rec.Release()
			if err != nil {
				t.Fatal(err)
			}
			if want := tc.want != not; got[0] != want || got[1] != nil {
				t.Errorf("%q %s (per row): got %v, want %v", tc.s, e, got, want)
			}
		}
	}
}

// likeRegexp translates a pattern for the reference implementation.
func likeRegexp(p string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("(?s)^")
	for _, r := range p {
		switch r {
		case '%':
			b.WriteString(".*")
		case '_':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// TestLikeRows checks random strings against random patterns, comparing
// with a regular-expression reference.
func TestLikeRows(t *testing.T) {
	for _, p := range []string{"a%", "%b", "%ab%", "a%b", "_b%", "%a_b%", "a%b%a", "%é_", "", "%", "ab"} {
		p := p
		re := likeRegexp(p)
		checkRows(t, rowCase{
			name:  "LIKE " + p,
			types: []arrow.DataType{sqltypes.Varchar},
			gens:  []gen{genString("abé", 5)},
			build: func(c []Expr) (Expr, error) { return NewLike(c[0], lit(t, sqltypes.Varchar, p), 0, false) },
			ref: func(row []any) (any, error) {
				if nullIn(row) {
					return nil, nil
				}
				return re.MatchString(row[0].(string)), nil
			},
		})
	}
	checkRows(t, rowCase{
		name:  "LIKE per-row pattern",
		types: []arrow.DataType{sqltypes.Varchar, sqltypes.Varchar},
		gens:  []gen{genString("ab", 4), genString("ab%_", 3)},
		build: func(c []Expr) (Expr, error) { return NewLike(c[0], c[1], 0, false) },
		ref: func(row []any) (any, error) {
			if nullIn(row) {
				return nil, nil
			}
			return likeRegexp(row[1].(string)).MatchString(row[0].(string)), nil
		},
	})
}

func TestLikeErrors(t *testing.T) {
	s := NewColumn(0, "s", sqltypes.Varchar)
	_, err := NewLike(s, lit(t, sqltypes.Varchar, "a\\"), '\\', false)
	wantErr(t, err, `invalid LIKE pattern 'a\': escape character at the end`)
	_, err = NewLike(s, lit(t, sqltypes.Varchar, "a\\b"), '\\', false)
	wantErr(t, err, "escape character must be followed by %, _ or itself")
	_, err = NewLike(NewColumn(0, "i", sqltypes.Int), lit(t, sqltypes.Varchar, "a"), 0, false)
	wantErr(t, err, "cannot apply LIKE to INT")
	// A bad pattern in a row is an evaluation error.
	mem := newMem(t)
	rec := record(t, mem, c("s", sqltypes.Varchar, "a"), c("p", sqltypes.Varchar, "x\\"))
	defer rec.Release()
	_, err = eval(t, mem, must(NewLike(s, NewColumn(1, "p", sqltypes.Varchar), '\\', false)), rec)
	wantErr(t, err, "escape character at the end")
	if got := must(NewLike(s, lit(t, sqltypes.Varchar, "a%"), '!', true)).String(); got != "s NOT LIKE 'a%' ESCAPE '!'" {
		t.Errorf("String() = %q", got)
	}
}
