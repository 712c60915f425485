package nexmark

import (
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
)

// TestXoshiroReference checks the generator core against the published
// xoshiro256++ outputs for the state {1, 2, 3, 4}.
func TestXoshiroReference(t *testing.T) {
	r := rng{1, 2, 3, 4}
	want := []uint64{41943041, 58720359, 3588806011781223, 3591011842654386,
		9228616714210784205, 9973669472204895162, 14011001112246962877,
		12406186145184390807, 15849039046786891736, 10450023813501588000}
	for i, w := range want {
		if got := r.next(); got != w {
			t.Fatalf("output %d = %d, want %d", i, got, w)
		}
	}
}

// nexmarkRS holds events as nexmark-rs makes them with its default
// configuration and base time 1704067200000 (2024-01-01), tab-separated in
// column order. Event 0 is the expected value of nexmark-rs's own unit test
// (event.rs, test_event); the others come from running nexmark-rs's
// generation code (rand 0.8.5, glibc powf on x86-64).
var nexmarkRS = map[int64]string{
	0: "P\t1000\tvicky noris\typlkvgz@qbxfg.com\t7878 5821 1864 2539\tcheyenne\taz\t1704067200000\t" +
		"lwaiyhjhrkaruidlsjilvqccyedttedeynpqmackqbwvklwuyypztnkengzgtwtjivjgrxurskpcldfohdzuwnefqymyncrksxyfaecwsbswjumzxudgoznyhakxrudomnxtmqtgshecfjgspxzpludz",
	1: "A\t1000\tsbeimyckhspxpmpeeuqm\tgvseirycizmyesblucotqllwnexpjnmleygtxdduleovagzygzgleacqfvawalfwlfaimlzupsxpmexeufltsibzopargshhlkpp\t" +
		"595843\t691876\t1704067200000\t1704067200332\t1000\t12\t" +
		"uamacidfvaipnenhviwwavjfvbpbucvfkxqygfeowbwtosrufnpiznlnvdyxjugfkolqozsatlutklowfvzbhyfzzywptzehmmwjtmmssqrheaubbyogocydtzvhcqrdebvgzpgdbnfrgfgpeekmimaasrosvnhjafwzjzsiisiojknnuwmiedvlhsbfmnmbgceohwobbxagbtucgaelkohpksyktwgdqdlunjkvghuencafwgauxmoetfcyttjsxcrpvqlmuapiyewovcxldrnaybyxgbnptzkuugubkhihhbyreysolqguhxuruxafdmwwecypdlhrazsnox",
	3: "A\t1002\tmvkedmrpzxiauhgynbrn\tonfofplaibicyytgdkdgdqalkhvogvunbtnrjfiznsdjcxmmyxoyeihibztazkffqrkwjdumwsblmodjaterddngzkbnmtbqckui\t" +
		"479\t700\t1704067200000\t1704067200104\t1000\t12\t" +
		"jnefxiwbyfpvwrxeatygijevisprbvqhfmznapzvpzmlwmwksffcnsegazbqjoaqyzueonazopuycfflribikjrlbyoqwckhrpxzsmtideubypeupywynejtiwbwpgmhjsvpeknaqkuavokgdrcsvzywpvqkapltoqogmgdcdmnvvmfkjsxoyhuwfapmgyulbjetpcmtgiyqnqghdqmupodohmhxbmqnnevhpwhpmhfhlgojoaltxqkphhpmobkhnydrajeyngllhogyzvozvdihkdqanzmtlxuovebmqtyywwsbairrscvsmxaboxtaorbtddggzruzccvsvjbjvepvge",
	4: "B\t1000\t1001\t73134520\tchannel-7568\thttps://www.nexmark.com/rswp/bsu/_gzj/item.htm?query=1&channel_id=163053568\t1704067200000\t" +
		"tjegpemlelrhcglaovelrtxwcwcintpbwbhwemkngirkduwbqfbwmnrtegvmrittzvxgswwdln",
	5: "B\t1000\t1001\t499920\tApple\thttps://www.nexmark.com/rxa/n_n/ffl_/item.htm?query=1\t1704067200001\t" +
		"jeklosvdtnexframxpqsdbuwuywlmlbjmyjvpfipfsjoxnifwptbkqxspdbmbarp",
	49: "B\t1002\t1001\t190\tGoogle\thttps://www.nexmark.com/vzbh/ewxa/yha/item.htm?query=1\t1704067200005\t" +
		"jnmgqpwtdimufujpkakrrzfbkmmhehcbstzzqjcochjabfqbaqealdllokzwwqjecw",
	50: "P\t1001\tpeter smith\tkabfpld@fhfis.com\t5179 0198 7232 1932\tboise\twa\t1704067200005\t" +
		"pxtyxzeastoqqtakhggexrsrtfyccvduqmlfawfjwgneixaqhbphuwcohbglifdmwtaspyhzmmesflgzexiivfngiqkkzqdcxvfopjoafxttvqhtoexzcxhoppxbqwxipmlvignix",
	123456: "B\t8312\t3401\t300\tFacebook\thttps://www.nexmark.com/_iyk/xmeu/gsic/item.htm?query=1\t1704067212346\t" +
		"jcymsckabkvsmxokamlzypumaetobyqxpwuqsuvgxkhsyaimyagkmvcxknntkhsziwn",
	150000: "P\t4000\twalter spencer\tfsjwabk@mirmo.com\t1814 9394 2926 1082\tcheyenne\twy\t1704067215000\t" +
		"dzbuopciervbgcybfymbzdctcakjgldirawtmzcqdtzsslnyqirowqnqxayazfcismpfexytavxfmvvwxgcsglfqhepwecdkvywgnblhzcmizdpchnfxaoougrgnbddmt",
	199999: "B\t12921\t4901\t36988084\tBaidu\thttps://www.nexmark.com/ivb/a_m/p_f_/item.htm?query=1\t1704067220000\t" +
		"vzaxrcqdgyrmngxccuzqhojksmxryyvhsqanjopztaujhhvjnxapgizsd",
}

// TestMatchesNexmarkRS makes single events with every column and compares
// them with nexmark-rs's.
func TestMatchesNexmarkRS(t *testing.T) {
	g := &generator{baseMs: baseMs, rate: 10000, channels: channels()}
	for n, want := range nexmarkRS {
		var name string
		var fill func(*generator, int64, *writer)
		switch want[0] {
		case 'P':
			name, fill = "person", (*generator).person
		case 'A':
			name, fill = "auction", (*generator).auction
		default:
			name, fill = "bid", (*generator).bid
		}
		got := want[:1] + "\t" + strings.Join(makeOne(g, tables[name], fill, n), "\t")
		if got != want {
			t.Errorf("event %d:\n got %q\nwant %q", n, got, want)
		}
	}
}

// makeOne makes event n of a table with every column, as text.
func makeOne(g *generator, tb *table, fill func(*generator, int64, *writer), n int64) []string {
	var w writer
	i64 := make([]int64Col, len(tb.columns))
	str := make([]strCol, len(tb.columns))
	vals := make([]int64, len(tb.columns))
	for c, col := range tb.columns {
		if col.typ.ID() == arrow.STRING {
			str[c].offs = make([]int32, 2)
			str[c].data = make([]byte, 0, 1024)
			w.str[c] = &str[c]
		} else {
			i64[c].vals = vals[c : c+1]
			w.i64[c] = &i64[c]
		}
	}
	fill(g, n, &w)
	out := make([]string, len(tb.columns))
	for c := range tb.columns {
		if w.str[c] != nil {
			out[c] = string(str[c].data)
		} else {
			out[c] = strconv.FormatInt(vals[c], 10)
		}
	}
	return out
}

// TestPricesMatchGlibcPowf checks every one of the 2^24 possible prices
// against nexmark-rs's gen_price as computed with Rust's f32::powf (glibc
// 2.36 on x86-64): their FNV-1a hash over the prices in draw order, their
// sum, and a few values.
func TestPricesMatchGlibcPowf(t *testing.T) {
	if testing.Short() {
		t.Skip("2^24 prices")
	}
	h := uint64(14695981039346656037)
	var sum int64
	for k := range uint32(1 << 24) {
		p := priceOf(k << 8)
		h ^= uint64(p)
		h *= 1099511628211
		sum += p
	}
	if h != 0x35552e3f30530d13 || sum != 121437367832406 {
		t.Errorf("prices hash %#x sum %d, want 0x35552e3f30530d13 and 121437367832406", h, sum)
	}
	for _, c := range []struct {
		k    uint32
		want int64
	}{{0, 100}, {1 << 23, 100000}, {1<<24 - 1, 99999888}} {
		if got := priceOf(c.k << 8); got != c.want {
			t.Errorf("price of draw %d = %d, want %d", c.k, got, c.want)
		}
	}
}

// TestByHand computes ids, times and hot ids of a few events from the
// reference formulas.
func TestByHand(t *testing.T) {
	g := &generator{baseMs: baseMs, rate: 10000}
	for _, c := range []struct {
		n, t int64
	}{{0, baseMs}, {4, baseMs}, {5, baseMs + 1}, {15, baseMs + 2}, {50, baseMs + 5}, {1666, baseMs + 167}, {10000, baseMs + 1000}} {
		if got := g.eventTime(c.n); got != c.t {
			t.Errorf("time of event %d = %d, want %d", c.n, got, c.t)
		}
	}
	g.rate = 3 // 333.33 ms a event
	if got := g.eventTime(2); got != baseMs+667 {
		t.Errorf("time of event 2 at 3/s = %d, want %d", got, baseMs+667)
	}
	for _, c := range []struct{ n, person, auction int64 }{
		{1, 0, 0}, {3, 0, 2}, {4, 0, 2}, {49, 0, 2}, {50, 1, 2}, {51, 1, 3}, {53, 1, 5}, {5000, 100, 299}, {5001, 100, 300},
	} {
		if got := lastPerson(c.n); got != c.person {
			t.Errorf("lastPerson(%d) = %d, want %d", c.n, got, c.person)
		}
		if got := lastAuction(c.n); got != c.auction {
			t.Errorf("lastAuction(%d) = %d, want %d", c.n, got, c.auction)
		}
	}
}
