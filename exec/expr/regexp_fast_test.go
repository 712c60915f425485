package expr

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// fastPatterns are patterns the fast matcher takes.
var fastPatterns = []string{
	`(&|^)channel_id=([^&]*)`,
	`channel_id=([^&]*)`,
	`(^|&)a=([^&]*)(&|$)`,
	`^foo([0-9]+)`,
	`ab[cd]?e`,
	`x([a-c]+)y`,
	`(foo|bar)=(x|yz|$)`,
	`=([^&]*)$`,
	`é(.*)`,
	`[0-9]{2,3}-x`,
	`(id|key)=([^;]+);`,
	`a[.]b`,
	`^$`,
	`(k)=`,
}

// slowPatterns are patterns it must leave to regexp.
var slowPatterns = []string{
	`a*a`,              // a run that must give back
	`[a-z]+x`,          // x is in the class
	`(?i)channel`,      // case folding
	`\d+`,              // no literal to anchor on
	`a.*?b`,            // non-greedy
	`(bar)?baz`,        // an optional group
	`\bword`,           // word boundary
	`a[é-ü]+b`,         // some non-ASCII runes but not all
	`(a|b*)c`,          // a class inside an alternation
	`x[^&]*(^|&)y`,     // ^ after a run
	`(ab)+`,            // a repeated group
	`[^&]*channel_id=`, // an unbounded run before every literal
	`(foo|bar|ba)=`,    // a factored alternation
	`(a|ab)(c|bcd)`,    // an optional b that may have to be given back
	`a.b`,              // one rune of a class with non-ASCII runes: not one byte
}

func TestCompileFastAccepts(t *testing.T) {
	for _, p := range fastPatterns {
		if compileFast(p) == nil {
			t.Errorf("compileFast(%q) = nil, want a fast matcher", p)
		}
	}
	for _, p := range slowPatterns {
		if compileFast(p) != nil {
			t.Errorf("compileFast(%q) accepted a pattern it cannot match exactly", p)
		}
	}
}

// randomText draws strings over an alphabet that makes the patterns match
// often and in tricky places.
func randomText(r *rand.Rand) string {
	pieces := []string{"a", "b", "c", "d", "e", "x", "y", "&", "=", ";", "-", "1", "23", "é", "\xff", "channel_id=",
		"a=", "id=", "key=", "foo", "k", "ab", "bcd", "\n", "bar", "ba", "yz", ""}
	var b strings.Builder
	for n := r.IntN(12); n > 0; n-- {
		b.WriteString(pieces[r.IntN(len(pieces))])
	}
	return b.String()
}

// TestFastMatchesRegexp compares the fast matcher with regexp on random
// texts: same match, same submatches.
func TestFastMatchesRegexp(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, p := range fastPatterns {
		f := compileFast(p)
		re := regexp.MustCompile(p)
		if f.ncap != re.NumSubexp() {
			t.Fatalf("%q: %d groups, regexp has %d", p, f.ncap, re.NumSubexp())
		}
		caps := make([]int, 2*(f.ncap+1))
		for range 20000 {
			v := randomText(r)
			checkFast(t, p, f, re, v, caps)
		}
	}
}

func checkFast(t *testing.T, p string, f *fastRegex, re *regexp.Regexp, v string, caps []int) {
	t.Helper()
	want := re.FindStringSubmatchIndex(v)
	ok := f.find(v, caps)
	if ok != (want != nil) || (ok && !slices.Equal(caps, want)) {
		got := caps
		if !ok {
			got = nil
		}
		t.Fatalf("pattern %q on %q: fast %v, regexp %v", p, v, got, want)
	}
}

// FuzzFastRegexp checks the fast matcher against regexp on any pattern it
// accepts and any text.
//
//	go test -run='^$' -fuzz=FuzzFastRegexp -fuzztime=60s ./exec/expr/
func FuzzFastRegexp(f *testing.F) {
	for _, p := range fastPatterns {
		f.Add(p, "a=1&channel_id=x&key=v;")
	}
	f.Add(`(foo|bar)=(x|yz|$)`, "ba=yzbar=")
	f.Fuzz(func(t *testing.T, p, v string) {
		fr := compileFast(p)
		if fr == nil {
			return
		}
		re, err := regexp.Compile(p)
		if err != nil {
			t.Fatalf("compileFast accepted %q, which regexp rejects: %v", p, err)
		}
		checkFast(t, p, fr, re, v, make([]int, 2*(fr.ncap+1)))
	})
}
