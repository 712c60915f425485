package nexmarktest

// The independent check: each query's answer computed in plain Go, row by
// row with maps, from the generator's people, auctions and bids read
// straight from the nexmark connector (no SQL, no planner, no operators),
// and for q13 from the side table's CSV file read with encoding/csv.

import (
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/connectors"
	_ "github.com/weirsql/weir/connectors/nexmark" // the generator
	"github.com/weirsql/weir/sqltypes"
)

// bid is one generated bid.
type bid struct {
	auction, bidder, price int64
	ms                     int64 // date_time, epoch milliseconds
	channel, url, extra    string
}

// person is one generated person (the columns the queries read).
type person struct {
	id                int64
	name, city, state string
	ms                int64 // date_time
}

// auction is one generated auction.
type auction struct {
	id                    int64
	itemName, description string
	initialBid, reserve   int64
	ms, expires           int64 // date_time and expires, epoch milliseconds
	seller, category      int64
	extra                 string
}

// column declares a column of a generator table.
func column(name string, t arrow.DataType) arrow.Field {
	return arrow.Field{Name: name, Type: t, Nullable: true}
}

// scan reads the columns of one of the generator's tables (person,
// auction or bid) among the first events Nexmark events, in order, through
// the connector as an exec.Source, and calls row for each row of each
// record until it returns false.
func scan(table string, columns []arrow.Field, events int64, row func(rec arrow.Record, i int) bool) error {
	spec, err := connectors.Lookup("nexmark")
	if err != nil {
		return err
	}
	opts, err := spec.Validate(map[string]string{
		"connector": "nexmark", "nexmark.table": table, "events": strconv.FormatInt(events, 10),
	})
	if err != nil {
		return err
	}
	src, err := spec.NewSource(connectors.SourceConfig{
		Name: table, Schema: arrow.NewSchema(columns, nil), Options: opts, BatchSize: 4096, Mem: memory.NewGoAllocator(),
	})
	if err != nil {
		return err
	}
	defer src.Close()
	ctx := context.Background()
	if err := src.Open(ctx); err != nil {
		return err
	}
	for {
		sb, err := src.Next(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		rec := sb.Record
		if rec == nil {
			continue
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			if !row(rec, i) {
				rec.Release()
				return nil
			}
		}
		rec.Release()
	}
}

// bids yields the bids among the first events Nexmark events, in order.
func bids(events int64) iter.Seq2[*bid, error] {
	return func(yield func(*bid, error) bool) {
		columns := []arrow.Field{
			column("auction", sqltypes.BigInt), column("bidder", sqltypes.BigInt), column("price", sqltypes.BigInt),
			column("channel", sqltypes.Varchar), column("url", sqltypes.Varchar),
			column("date_time", sqltypes.Timestamp), column("extra", sqltypes.Varchar),
		}
		stopped := false
		err := scan("bid", columns, events, func(rec arrow.Record, i int) bool {
			b := &bid{
				auction: rec.Column(0).(*array.Int64).Value(i), bidder: rec.Column(1).(*array.Int64).Value(i),
				price: rec.Column(2).(*array.Int64).Value(i), channel: rec.Column(3).(*array.String).Value(i),
				url: rec.Column(4).(*array.String).Value(i), ms: int64(rec.Column(5).(*array.Timestamp).Value(i)),
				extra: rec.Column(6).(*array.String).Value(i),
			}
			stopped = !yield(b, nil)
			return !stopped
		})
		if err != nil && !stopped {
			yield(nil, err)
		}
	}
}

// people returns the people among the first events Nexmark events, in
// order.
func people(events int64) ([]*person, error) {
	columns := []arrow.Field{
		column("id", sqltypes.BigInt), column("name", sqltypes.Varchar), column("city", sqltypes.Varchar),
		column("state", sqltypes.Varchar), column("date_time", sqltypes.Timestamp),
	}
	var out []*person
	err := scan("person", columns, events, func(rec arrow.Record, i int) bool {
		out = append(out, &person{
			id: rec.Column(0).(*array.Int64).Value(i), name: rec.Column(1).(*array.String).Value(i),
			city: rec.Column(2).(*array.String).Value(i), state: rec.Column(3).(*array.String).Value(i),
			ms: int64(rec.Column(4).(*array.Timestamp).Value(i)),
		})
		return true
	})
	return out, err
}

// auctions returns the auctions among the first events Nexmark events, in
// order.
func auctions(events int64) ([]*auction, error) {
	columns := []arrow.Field{
		column("id", sqltypes.BigInt), column("item_name", sqltypes.Varchar), column("description", sqltypes.Varchar),
		column("initial_bid", sqltypes.BigInt), column("reserve", sqltypes.BigInt),
		column("date_time", sqltypes.Timestamp), column("expires", sqltypes.Timestamp),
		column("seller", sqltypes.BigInt), column("category", sqltypes.BigInt), column("extra", sqltypes.Varchar),
	}
	var out []*auction
	err := scan("auction", columns, events, func(rec arrow.Record, i int) bool {
		i64 := func(c int) int64 { return rec.Column(c).(*array.Int64).Value(i) }
		str := func(c int) string { return rec.Column(c).(*array.String).Value(i) }
		ts := func(c int) int64 { return int64(rec.Column(c).(*array.Timestamp).Value(i)) }
		out = append(out, &auction{
			id: i64(0), itemName: str(1), description: str(2), initialBid: i64(3), reserve: i64(4),
			ms: ts(5), expires: ts(6), seller: i64(7), category: i64(8), extra: str(9),
		})
		return true
	})
	return out, err
}

// ---------------------------------------------------------------------------
// Value formats: the CSV forms of DESIGN.md, written here independently.

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// timestamp is "YYYY-MM-DD HH:MM:SS" with ".fff" when the milliseconds are
// not zero.
func timestamp(ms int64) string {
	t := time.UnixMilli(ms).UTC()
	s := t.Format("2006-01-02 15:04:05")
	if f := ms % 1000; f != 0 {
		s += fmt.Sprintf(".%03d", f)
	}
	return s
}

func day(ms int64) string    { return time.UnixMilli(ms).UTC().Format("2006-01-02") }
func minute(ms int64) string { return time.UnixMilli(ms).UTC().Format("15:04") }
func hour(ms int64) int      { return time.UnixMilli(ms).UTC().Hour() }

// thousandths formats v / 1000 exactly, in canonical form (see canonDecimal).
func thousandths(v int64) string {
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	return canonDecimal(fmt.Sprintf("%s%d.%03d", sign, v/1000, v%1000))
}

// canonDecimal drops trailing zeros after the point (and the point), so
// that decimals compare by value whatever scale the engine chose.
func canonDecimal(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// canonDouble reads and rewrites a DOUBLE in the shortest form, so that the
// comparison is by value.
func canonDouble(s string) string {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return "not a double: " + s
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func double(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// ---------------------------------------------------------------------------
// Expectations and checkers

type mode int

const (
	inOrder   mode = iota // a stateless query: the output keeps the bids' order
	unordered             // compared as a multiset of rows
	changelog             // an updating result: the final state after applying +I/-U/+U/-D
	// procTime: per-key counts over processing-time windows, whose bounds
	// depend on the wall clock; compared as each key's total over its
	// windows (see procTimeChecker).
	procTime
	// interleaved: a join of two streams, whose rows come in an order that
	// depends on how the inputs' batches interleave: compared as a
	// multiset, and the golden file keeps the rows sorted (see
	// sortedChecker).
	interleaved
	// updatingJoin: an updating result over a join of two streams (q4),
	// whose changelog depends on how the join's inputs interleave but
	// whose final state does not: compared as the final state after
	// applying +I/-U/+U/-D, which the golden file keeps sorted.
	updatingJoin
)

// updating reports whether the output is a changelog, with an op column.
func (m mode) updating() bool { return m == changelog || m == updatingJoin }

// colKind says how an output column compares: most as text; decimals and
// doubles by value.
type colKind byte

const (
	text colKind = iota
	decimal
	float
)

// expectation is a query's independent computation.
type expectation struct {
	header []string
	mode   mode
	kinds  map[int]colKind // columns (of header) that do not compare as text
	// rows yields the expected rows: in output order for inOrder, and the
	// final rows in any order otherwise. Values are in canonical form.
	rows func(events int64) iter.Seq2[[]string, error]
}

// checker takes the engine's rows one at a time (with an op column first
// for a changelog) and then says whether they were as expected.
type checker interface {
	row(fields []string)
	finish() error
}

func (e expectation) checker(events int64) checker {
	switch e.mode {
	case inOrder:
		next, stop := iter.Pull2(e.rows(events))
		return &orderChecker{e: e, next: next, stop: stop}
	case unordered:
		return &setChecker{e: e, events: events, got: map[string]int{}}
	case procTime:
		return &procTimeChecker{e: e, events: events, start: time.Now(), totals: map[string]int64{}, windows: map[string]bool{}}
	case interleaved:
		return sortedChecker{&setChecker{e: e, events: events, got: map[string]int{}}}
	case updatingJoin:
		return sortedChecker{&setChecker{e: e, events: events, got: map[string]int{}, changelog: true}}
	}
	return &setChecker{e: e, events: events, got: map[string]int{}, changelog: true}
}

// canon returns the engine's row in canonical form.
func (e expectation) canon(fields []string) []string {
	out := slices.Clone(fields)
	for i, k := range e.kinds {
		switch k {
		case decimal:
			out[i] = canonDecimal(out[i])
		case float:
			out[i] = canonDouble(out[i])
		}
	}
	return out
}

func rowText(r []string) string { return strings.Join(r, ",") }

// orderChecker compares the engine's rows with the expected ones in order.
type orderChecker struct {
	e    expectation
	next func() ([]string, error, bool)
	stop func()
	n    int
	err  error
}

func (c *orderChecker) row(fields []string) {
	if c.err != nil {
		return
	}
	c.n++
	want, err, ok := c.next()
	switch {
	case err != nil:
		c.err = err
	case !ok:
		c.err = fmt.Errorf("row %d (%s) is one more than expected", c.n, rowText(fields))
	default:
		if got := c.e.canon(fields); !slices.Equal(got, want) {
			c.err = fmt.Errorf("row %d is\n  %s\nwant\n  %s", c.n, rowText(got), rowText(want))
		}
	}
}

func (c *orderChecker) finish() error {
	defer c.stop()
	if c.err != nil {
		return c.err
	}
	want, err, ok := c.next()
	if err != nil {
		return err
	}
	if ok {
		return fmt.Errorf("the output ends after %d rows; the next expected row is\n  %s", c.n, rowText(want))
	}
	return nil
}

// setChecker collects the engine's rows (applying a changelog) and
// compares them with the expected rows as multisets.
type setChecker struct {
	e         expectation
	events    int64
	changelog bool
	got       map[string]int
	err       error
}

func (c *setChecker) row(fields []string) {
	if c.err != nil {
		return
	}
	if !c.changelog {
		c.got[rowText(c.e.canon(fields))]++
		return
	}
	key := rowText(c.e.canon(fields[1:]))
	switch fields[0] {
	case "+I", "+U":
		c.got[key]++
	case "-U", "-D":
		if c.got[key] == 0 {
			c.err = fmt.Errorf("%s retracts a row not in the result: %s", fields[0], key)
			return
		}
		if c.got[key]--; c.got[key] == 0 {
			delete(c.got, key)
		}
	default:
		c.err = fmt.Errorf("unknown op %q", fields[0])
	}
}

func (c *setChecker) finish() error {
	if c.err != nil {
		return c.err
	}
	want := map[string]int{}
	for r, err := range c.e.rows(c.events) {
		if err != nil {
			return err
		}
		want[rowText(r)]++
	}
	var missing, extra []string
	for k, n := range want {
		if c.got[k] < n {
			missing = append(missing, k)
		}
	}
	for k, n := range c.got {
		if want[k] < n {
			extra = append(extra, k)
		}
	}
	if len(missing) == 0 && len(extra) == 0 {
		return nil
	}
	slices.Sort(missing)
	slices.Sort(extra)
	const show = 5
	var b strings.Builder
	fmt.Fprintf(&b, "%d expected rows missing, %d unexpected rows (of %d expected)", len(missing), len(extra), len(want))
	for _, r := range missing[:min(show, len(missing))] {
		fmt.Fprintf(&b, "\n  - %s", r)
	}
	for _, r := range extra[:min(show, len(extra))] {
		fmt.Fprintf(&b, "\n  + %s", r)
	}
	return errors.New(b.String())
}

// sortedChecker is a setChecker whose golden file keeps the rows sorted
// (as text, each as many times as it came; for a changelog, the rows of
// its final state), with the header first: the order of a join's output
// depends on the scheduling of its inputs, which is no part of its result.
type sortedChecker struct{ *setChecker }

var _ canonicalizer = sortedChecker{}

func (c sortedChecker) canonical() (string, int64, string) {
	var b strings.Builder
	b.WriteString(rowText(c.e.header) + "\n")
	var n int64
	for _, r := range slices.Sorted(maps.Keys(c.got)) {
		for range c.got[r] {
			b.WriteString(r + "\n")
			n++
		}
	}
	if c.changelog {
		return b.String(), n, "the final table (the changelog applied) sorted (fields joined by commas)"
	}
	return b.String(), n, "the rows sorted (fields joined by commas)"
}

// procTimeChecker checks a count per key over 10-second processing-time
// windows (q12) by what does not depend on the wall clock: every window
// is aligned to 10 seconds, lasts 10 seconds and lies within the run, a key
// has each window once, and each key's counts over its windows add up to
// its count over the whole input, computed independently.
type procTimeChecker struct {
	e       expectation
	events  int64
	start   time.Time
	totals  map[string]int64 // key → sum of its counts
	windows map[string]bool  // key and window start seen
	err     error
}

// windowMs is q12's window size.
const windowMs = 10_000

func (c *procTimeChecker) row(fields []string) {
	if c.err != nil {
		return
	}
	n, err := strconv.ParseInt(fields[1], 10, 64)
	if err != nil || n <= 0 {
		c.err = fmt.Errorf("row %s: bad count %q", rowText(fields), fields[1])
		return
	}
	start, err1 := time.Parse("2006-01-02 15:04:05", fields[2])
	end, err2 := time.Parse("2006-01-02 15:04:05", fields[3])
	if err1 != nil || err2 != nil {
		c.err = fmt.Errorf("row %s: window bounds are not whole seconds: %v %v", rowText(fields), err1, err2)
		return
	}
	lo := c.start.Truncate(windowMs * time.Millisecond)
	switch {
	case start.UnixMilli()%windowMs != 0:
		c.err = fmt.Errorf("row %s: window start not aligned to 10 s", rowText(fields))
	case end.Sub(start) != windowMs*time.Millisecond:
		c.err = fmt.Errorf("row %s: window is not 10 s long", rowText(fields))
	case start.Before(lo) || start.After(time.Now()):
		c.err = fmt.Errorf("row %s: window outside the run (started %s)", rowText(fields), c.start.UTC().Format(time.RFC3339Nano))
	}
	if c.err != nil {
		return
	}
	w := fields[0] + "@" + fields[2]
	if c.windows[w] {
		c.err = fmt.Errorf("key %s has window %s twice", fields[0], fields[2])
		return
	}
	c.windows[w] = true
	c.totals[fields[0]] += n
}

func (c *procTimeChecker) finish() error {
	if c.err != nil {
		return c.err
	}
	want := map[string]string{}
	for r, err := range c.e.rows(c.events) {
		if err != nil {
			return err
		}
		want[r[0]] = r[1]
	}
	var bad []string
	for k, n := range c.totals {
		if want[k] != itoa(n) {
			bad = append(bad, fmt.Sprintf("%s: %d, want %s", k, n, want[k]))
		}
	}
	for k, w := range want {
		if _, ok := c.totals[k]; !ok {
			bad = append(bad, fmt.Sprintf("%s: missing, want %s", k, w))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	slices.Sort(bad)
	return fmt.Errorf("%d keys' totals differ: %s", len(bad), strings.Join(bad[:min(5, len(bad))], "; "))
}

// canonical is what a golden file keeps of a processing-time result: each
// key's total, sorted by key.
func (c *procTimeChecker) canonical() (string, int64, string) {
	keys := slices.SortedFunc(maps.Keys(c.totals), func(a, b string) int {
		x, _ := strconv.ParseInt(a, 10, 64)
		y, _ := strconv.ParseInt(b, 10, 64)
		return cmp.Compare(x, y)
	})
	var b strings.Builder
	b.WriteString(c.e.header[0] + ",total_" + c.e.header[1] + "\n")
	for _, k := range keys {
		b.WriteString(k + "," + itoa(c.totals[k]) + "\n")
	}
	return b.String(), int64(len(keys)), "each bidder's total bid_count over its processing-time windows"
}

// perBid makes an in-order expectation from a function of one bid (nil:
// the bid is filtered out).
func perBid(f func(b *bid) []string) func(int64) iter.Seq2[[]string, error] {
	return func(events int64) iter.Seq2[[]string, error] {
		return func(yield func([]string, error) bool) {
			for b, err := range bids(events) {
				if err != nil {
					yield(nil, err)
					return
				}
				if r := f(b); r != nil && !yield(r, nil) {
					return
				}
			}
		}
	}
}

// final makes the expectation of an aggregating query: compute reads every
// bid (or stops at an error) and returns the final rows.
func final(compute func(events int64) ([][]string, error)) func(int64) iter.Seq2[[]string, error] {
	return func(events int64) iter.Seq2[[]string, error] {
		return func(yield func([]string, error) bool) {
			rows, err := compute(events)
			if err != nil {
				yield(nil, err)
				return
			}
			for _, r := range rows {
				if !yield(r, nil) {
					return
				}
			}
		}
	}
}

// ---------------------------------------------------------------------------
// The queries

var expectations = map[string]expectation{
	"q0": {
		header: []string{"auction", "bidder", "price", "date_time", "extra"},
		rows: perBid(func(b *bid) []string {
			return []string{itoa(b.auction), itoa(b.bidder), itoa(b.price), timestamp(b.ms), b.extra}
		}),
	},
	"q1": {
		header: []string{"auction", "bidder", "price", "date_time", "extra"},
		kinds:  map[int]colKind{2: decimal},
		rows: perBid(func(b *bid) []string {
			return []string{itoa(b.auction), itoa(b.bidder), thousandths(908 * b.price), timestamp(b.ms), b.extra}
		}),
	},
	"q2": {
		header: []string{"auction", "price"},
		rows: perBid(func(b *bid) []string {
			if b.auction%123 != 0 {
				return nil
			}
			return []string{itoa(b.auction), itoa(b.price)}
		}),
	},
	"q3": {
		header: []string{"name", "city", "state", "id"},
		mode:   interleaved,
		rows:   final(q3),
	},
	"q4": {
		header: []string{"category", "EXPR$1"},
		mode:   updatingJoin,
		kinds:  map[int]colKind{1: float},
		rows:   final(q4),
	},
	"q5": {
		header: []string{"auction", "num", "starttime"},
		mode:   interleaved,
		rows:   final(q5),
	},
	"q7": {
		header: []string{"auction", "bidder", "price", "date_time", "extra"},
		mode:   interleaved,
		rows:   final(q7),
	},
	"q8": {
		header: []string{"id", "name", "starttime"},
		mode:   interleaved,
		rows:   final(q8),
	},
	"q11": {
		header: []string{"bidder", "bid_count", "starttime", "endtime"},
		mode:   unordered,
		rows:   final(q11),
	},
	"q12": {
		header: []string{"bidder", "bid_count", "starttime", "endtime"},
		mode:   procTime,
		rows:   final(q12),
	},
	"q13": {
		// A lookup join keeps the order of its input, the bids.
		header: []string{"auction", "bidder", "price", "date_time", "value"},
		rows: func(events int64) iter.Seq2[[]string, error] {
			return func(yield func([]string, error) bool) {
				side, err := sideInput()
				if err != nil {
					yield(nil, err)
					return
				}
				for r, err := range perBid(func(b *bid) []string {
					v, ok := side[b.auction%10_000]
					if !ok {
						return nil
					}
					return []string{itoa(b.auction), itoa(b.bidder), itoa(b.price), timestamp(b.ms), v}
				})(events) {
					if !yield(r, err) || err != nil {
						return
					}
				}
			}
		},
	},
	"q14": {
		header: []string{"auction", "bidder", "price", "bidTimeType", "date_time", "extra", "c_counts"},
		kinds:  map[int]colKind{2: decimal},
		rows: perBid(func(b *bid) []string {
			// 0.908 * price in thousandths, compared exactly.
			euros := 908 * b.price
			if euros <= 1_000_000_000 || euros >= 50_000_000_000 {
				return nil
			}
			kind := "otherTime"
			switch h := hour(b.ms); {
			case h >= 8 && h <= 18:
				kind = "dayTime"
			case h <= 6 || h >= 20:
				kind = "nightTime"
			}
			c := 0
			for _, r := range b.extra {
				if r == 'c' {
					c++
				}
			}
			return []string{itoa(b.auction), itoa(b.bidder), thousandths(euros), kind, timestamp(b.ms), b.extra, strconv.Itoa(c)}
		}),
	},
	"q15": {
		header: []string{"day", "total_bids", "rank1_bids", "rank2_bids", "rank3_bids",
			"total_bidders", "rank1_bidders", "rank2_bidders", "rank3_bidders",
			"total_auctions", "rank1_auctions", "rank2_auctions", "rank3_auctions"},
		mode: changelog,
		rows: final(q15),
	},
	"q16": {
		header: []string{"channel", "day", "minute", "total_bids", "rank1_bids", "rank2_bids", "rank3_bids",
			"total_bidders", "rank1_bidders", "rank2_bidders", "rank3_bidders",
			"total_auctions", "rank1_auctions", "rank2_auctions", "rank3_auctions"},
		mode: changelog,
		rows: final(q16),
	},
	"q17": {
		header: []string{"auction", "day", "total_bids", "rank1_bids", "rank2_bids", "rank3_bids",
			"min_price", "max_price", "avg_price", "sum_price"},
		mode:  changelog,
		kinds: map[int]colKind{8: float},
		rows:  final(q17),
	},
	"q20": {
		header: []string{"auction", "bidder", "price", "channel", "url", "bid_date_time", "bid_extra",
			"item_name", "description", "initial_bid", "reserve", "auction_date_time", "expires", "seller", "category",
			"auction_extra"},
		mode: interleaved,
		rows: final(q20),
	},
	"q21": {
		header: []string{"auction", "bidder", "price", "channel", "channel_id"},
		rows: perBid(func(b *bid) []string {
			id, ok := channelID(b.url)
			switch strings.ToLower(b.channel) {
			case "apple":
				id, ok = "0", true
			case "google":
				id, ok = "1", true
			case "facebook":
				id, ok = "2", true
			case "baidu":
				id, ok = "3", true
			}
			if !ok {
				return nil
			}
			return []string{itoa(b.auction), itoa(b.bidder), itoa(b.price), b.channel, id}
		}),
	},
	"q22": {
		header: []string{"auction", "bidder", "price", "channel", "dir1", "dir2", "dir3"},
		rows: perBid(func(b *bid) []string {
			parts := strings.Split(b.url, "/")
			dir := func(i int) string {
				if i < len(parts) {
					return parts[i]
				}
				return "" // NULL
			}
			return []string{itoa(b.auction), itoa(b.bidder), itoa(b.price), b.channel, dir(3), dir(4), dir(5)}
		}),
	},
}

// channelID is REGEXP_EXTRACT(url, '(&|^)channel_id=([^&]*)', 2), by hand:
// the value of the first channel_id parameter that starts the URL or
// follows an '&'.
func channelID(url string) (string, bool) {
	const key = "channel_id="
	for from := 0; ; {
		i := strings.Index(url[from:], key)
		if i < 0 {
			return "", false
		}
		i += from
		if i == 0 || url[i-1] == '&' {
			v := url[i+len(key):]
			if j := strings.IndexByte(v, '&'); j >= 0 {
				v = v[:j]
			}
			return v, true
		}
		from = i + 1
	}
}

// sessionGapMs is q11's session gap.
const sessionGapMs = 10_000

// q11: per bidder, sessions of bids; a session closes sessionGapMs after
// its last bid, so a bid exactly sessionGapMs after the last one starts a
// new session, as Weir documents (Flink's session windows would merge the
// two, as they merge windows that touch).
func q11(events int64) ([][]string, error) {
	times := map[int64][]int64{}
	for b, err := range bids(events) {
		if err != nil {
			return nil, err
		}
		times[b.bidder] = append(times[b.bidder], b.ms)
	}
	var rows [][]string
	for bidder, ts := range times {
		slices.Sort(ts)
		start, last, n := ts[0], ts[0], 1
		emit := func() {
			rows = append(rows, []string{itoa(bidder), strconv.Itoa(n), timestamp(start), timestamp(last + sessionGapMs)})
		}
		for _, t := range ts[1:] {
			if t < last+sessionGapMs {
				last, n = t, n+1
				continue
			}
			emit()
			start, last, n = t, t, 1
		}
		emit()
	}
	return rows, nil
}

// q12: each bidder's number of bids, which is what its counts over the
// processing-time windows add up to.
func q12(events int64) ([][]string, error) {
	counts := map[int64]int64{}
	for b, err := range bids(events) {
		if err != nil {
			return nil, err
		}
		counts[b.bidder]++
	}
	var rows [][]string
	for bidder, n := range counts {
		rows = append(rows, []string{itoa(bidder), itoa(n)})
	}
	return rows, nil
}

// rankCounts are the count, count-distinct-bidder and count-distinct-
// auction columns of q15 and q16: overall and per price rank.
type rankCounts struct {
	bids     [4]int64
	bidders  [4]map[int64]bool
	auctions [4]map[int64]bool
}

func newRankCounts() *rankCounts {
	r := &rankCounts{}
	for i := range 4 {
		r.bidders[i], r.auctions[i] = map[int64]bool{}, map[int64]bool{}
	}
	return r
}

// rank is 1 for price < 10,000, 2 below 1,000,000, else 3.
func rank(price int64) int {
	switch {
	case price < 10_000:
		return 1
	case price < 1_000_000:
		return 2
	}
	return 3
}

func (r *rankCounts) add(b *bid) {
	for _, i := range []int{0, rank(b.price)} {
		r.bids[i]++
		r.bidders[i][b.bidder] = true
		r.auctions[i][b.auction] = true
	}
}

func (r *rankCounts) columns() []string {
	var out []string
	for i := range 4 {
		out = append(out, itoa(r.bids[i]))
	}
	for i := range 4 {
		out = append(out, strconv.Itoa(len(r.bidders[i])))
	}
	for i := range 4 {
		out = append(out, strconv.Itoa(len(r.auctions[i])))
	}
	return out
}

func q15(events int64) ([][]string, error) {
	days := map[string]*rankCounts{}
	for b, err := range bids(events) {
		if err != nil {
			return nil, err
		}
		d := day(b.ms)
		if days[d] == nil {
			days[d] = newRankCounts()
		}
		days[d].add(b)
	}
	var rows [][]string
	for _, d := range slices.Sorted(maps.Keys(days)) {
		rows = append(rows, append([]string{d}, days[d].columns()...))
	}
	return rows, nil
}

func q16(events int64) ([][]string, error) {
	type key struct{ channel, day string }
	type group struct {
		maxMinute string
		counts    *rankCounts
	}
	groups := map[key]*group{}
	for b, err := range bids(events) {
		if err != nil {
			return nil, err
		}
		k := key{b.channel, day(b.ms)}
		g := groups[k]
		if g == nil {
			g = &group{counts: newRankCounts()}
			groups[k] = g
		}
		g.maxMinute = max(g.maxMinute, minute(b.ms))
		g.counts.add(b)
	}
	var rows [][]string
	for k, g := range groups {
		rows = append(rows, append([]string{k.channel, k.day, g.maxMinute}, g.counts.columns()...))
	}
	return rows, nil
}

func q17(events int64) ([][]string, error) {
	type key struct {
		auction int64
		day     string
	}
	type group struct {
		bids          [4]int64
		lo, hi, total int64
	}
	groups := map[key]*group{}
	for b, err := range bids(events) {
		if err != nil {
			return nil, err
		}
		k := key{b.auction, day(b.ms)}
		g := groups[k]
		if g == nil {
			g = &group{lo: b.price, hi: b.price}
			groups[k] = g
		}
		g.bids[0]++
		g.bids[rank(b.price)]++
		g.lo, g.hi = min(g.lo, b.price), max(g.hi, b.price)
		g.total += b.price
	}
	var rows [][]string
	for k, g := range groups {
		rows = append(rows, []string{itoa(k.auction), k.day,
			itoa(g.bids[0]), itoa(g.bids[1]), itoa(g.bids[2]), itoa(g.bids[3]),
			itoa(g.lo), itoa(g.hi), double(float64(g.total) / float64(g.bids[0])), itoa(g.total)})
	}
	return rows, nil
}

// Joins. Each is computed from the whole input at once, with maps; the
// engine's rows, which come in an order that depends on how the sources'
// batches interleave, are compared as a multiset.

// q3: each category-10 auction whose seller lives in or, id or ca, with
// the seller's name, city and state. Every person id is unique, so an
// auction has at most one row.
func q3(events int64) ([][]string, error) {
	ps, err := people(events)
	if err != nil {
		return nil, err
	}
	local := map[int64]*person{}
	for _, p := range ps {
		switch p.state {
		case "or", "id", "ca":
			local[p.id] = p
		}
	}
	as, err := auctions(events)
	if err != nil {
		return nil, err
	}
	var rows [][]string
	for _, a := range as {
		if p := local[a.seller]; p != nil && a.category == 10 {
			rows = append(rows, []string{p.name, p.city, p.state, itoa(a.id)})
		}
	}
	return rows, nil
}

// q4: per category, the average over its auctions of each auction's
// winning price, its highest bid at a time within [date_time, expires] (both
// ends inclusive); auctions without such a bid are not counted. The engine
// gets there by retractions (each auction's maximum replaced as it rises);
// here each maximum is computed once, from the whole input.
func q4(events int64) ([][]string, error) {
	as, err := auctions(events)
	if err != nil {
		return nil, err
	}
	byID := map[int64]*auction{}
	for _, a := range as {
		byID[a.id] = a
	}
	best := map[int64]int64{} // auction id → highest price in its time range
	for b, err := range bids(events) {
		if err != nil {
			return nil, err
		}
		a := byID[b.auction]
		if a == nil || b.ms < a.ms || b.ms > a.expires {
			continue
		}
		if p, ok := best[a.id]; !ok || b.price > p {
			best[a.id] = b.price
		}
	}
	type avg struct{ sum, n int64 }
	perCategory := map[int64]*avg{}
	for id, p := range best {
		c := byID[id].category
		if perCategory[c] == nil {
			perCategory[c] = &avg{}
		}
		perCategory[c].sum += p
		perCategory[c].n++
	}
	var rows [][]string
	for c, a := range perCategory {
		rows = append(rows, []string{itoa(c), double(float64(a.sum) / float64(a.n))})
	}
	return rows, nil
}

// q5's HOP windows: 10 seconds long, one starting every 2 seconds.
const (
	hopSizeMs  = 10_000
	hopSlideMs = 2_000
)

// q5: for each 10-second window starting every 2 seconds (aligned to the
// epoch), each auction's number of bids in it; the auctions whose number is
// the window's largest, with that number and the window's start. A bid at
// t is in the windows starting at the multiples of 2 s in (t - 10 s, t].
// Ties give one row per auction.
func q5(events int64) ([][]string, error) {
	type key struct{ start, auction int64 }
	counts := map[key]int64{}
	for b, err := range bids(events) {
		if err != nil {
			return nil, err
		}
		last := b.ms - ((b.ms%hopSlideMs)+hopSlideMs)%hopSlideMs // the latest window start <= t
		for start := last; start > b.ms-hopSizeMs; start -= hopSlideMs {
			counts[key{start, b.auction}]++
		}
	}
	top := map[int64]int64{} // window start → the largest count in it
	for k, n := range counts {
		top[k.start] = max(top[k.start], n)
	}
	var rows [][]string
	for k, n := range counts {
		if n == top[k.start] {
			rows = append(rows, []string{itoa(k.auction), itoa(n), timestamp(k.start)})
		}
	}
	return rows, nil
}

// tumbleMs is the TUMBLE size of q7 and q8.
const tumbleMs = 10_000

// windowStart is the start of the 10-second window (aligned to the epoch)
// that holds ms.
func windowStart(ms int64) int64 { return ms - ((ms%tumbleMs)+tumbleMs)%tumbleMs }

// q7: the bids whose price is the maximum of a 10-second window whose
// [end - 10 s, end] holds the bid: its own window, and, for a bid exactly
// at a window's start, the window before too (whose end it is), if that
// window has bids. A bid matching both is two rows.
func q7(events int64) ([][]string, error) {
	top := map[int64]int64{} // window start → maximum price
	for b, err := range bids(events) {
		if err != nil {
			return nil, err
		}
		w := windowStart(b.ms)
		if p, ok := top[w]; !ok || b.price > p {
			top[w] = b.price
		}
	}
	var rows [][]string
	for b, err := range bids(events) {
		if err != nil {
			return nil, err
		}
		w := windowStart(b.ms)
		for _, start := range []int64{w, w - tumbleMs} {
			end := start + tumbleMs
			if p, ok := top[start]; ok && p == b.price && end-tumbleMs <= b.ms && b.ms <= end {
				rows = append(rows, []string{itoa(b.auction), itoa(b.bidder), itoa(b.price), timestamp(b.ms), b.extra})
			}
		}
	}
	return rows, nil
}

// q8: the people who, in the 10-second window they registered in, also
// created an auction (as its seller), with the window's start: one row per
// such person and window.
func q8(events int64) ([][]string, error) {
	type key struct{ seller, start int64 }
	as, err := auctions(events)
	if err != nil {
		return nil, err
	}
	sold := map[key]bool{}
	for _, a := range as {
		sold[key{a.seller, windowStart(a.ms)}] = true
	}
	ps, err := people(events)
	if err != nil {
		return nil, err
	}
	type row struct {
		id    int64
		name  string
		start int64
	}
	seen := map[row]bool{} // GROUP BY id, name, window: one row each
	var rows [][]string
	for _, p := range ps {
		r := row{p.id, p.name, windowStart(p.ms)}
		if !seen[r] && sold[key{p.id, r.start}] {
			seen[r] = true
			rows = append(rows, []string{itoa(p.id), p.name, timestamp(r.start)})
		}
	}
	return rows, nil
}

// sideInputPath is q13's side table.
var sideInputPath = filepath.Join("..", "..", "examples", "nexmark", "data", "side_input.csv")

// sideInput reads q13's side table: value by key.
func sideInput() (map[int64]string, error) {
	f, err := os.Open(sideInputPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", sideInputPath, err)
	}
	if len(recs) == 0 || strings.Join(recs[0], ",") != "key,value" {
		return nil, fmt.Errorf("%s: no key,value header", sideInputPath)
	}
	side := map[int64]string{}
	for _, r := range recs[1:] {
		k, err := strconv.ParseInt(r[0], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: key %q: %w", sideInputPath, r[0], err)
		}
		side[k] = r[1]
	}
	return side, nil
}

// q20: each bid on a category-10 auction, with the auction's columns.
// Auction ids are unique, so a bid has at most one row.
func q20(events int64) ([][]string, error) {
	as, err := auctions(events)
	if err != nil {
		return nil, err
	}
	tens := map[int64]*auction{}
	for _, a := range as {
		if a.category == 10 {
			tens[a.id] = a
		}
	}
	var rows [][]string
	for b, err := range bids(events) {
		if err != nil {
			return nil, err
		}
		a := tens[b.auction]
		if a == nil {
			continue
		}
		rows = append(rows, []string{itoa(b.auction), itoa(b.bidder), itoa(b.price), b.channel, b.url, timestamp(b.ms), b.extra,
			a.itemName, a.description, itoa(a.initialBid), itoa(a.reserve), timestamp(a.ms), timestamp(a.expires),
			itoa(a.seller), itoa(a.category), a.extra})
	}
	return rows, nil
}
