package nexmark

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/connectors"
	"github.com/weirsql/weir/sqltypes"
)

func TestRegistered(t *testing.T) {
	s, err := connectors.Lookup("nexmark")
	if err != nil || s != Spec {
		t.Fatalf("Lookup: %v", err)
	}
	for raw, want := range map[string]bool{"0": false, "10": true} {
		o, err := Spec.Validate(opts("nexmark.table", "bid", "events", raw))
		if err != nil {
			t.Fatal(err)
		}
		if got := Spec.Bounded(o); got != want {
			t.Errorf("Bounded with events = %s: %v, want %v", raw, got, want)
		}
	}
	o, _ := Spec.Validate(opts("nexmark.table", "bid"))
	if Spec.Bounded(o) {
		t.Error("bounded without 'events'")
	}
}

func TestDeterministic(t *testing.T) {
	for _, name := range []string{"person", "auction", "bid"} {
		raw := opts("nexmark.table", name, "events", "20000")
		a, b := generate(t, raw, 777), generate(t, raw, 777)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: two runs differ", name)
		}
		raw["seed"] = "42"
		c := generate(t, raw, 777)
		if c.n != a.n {
			t.Errorf("%s: seed 42 made %d rows, seed 0 %d", name, c.n, a.n)
		}
		if reflect.DeepEqual(a.str, c.str) {
			t.Errorf("%s: seed 42 made the same events as seed 0", name)
		}
		// Ids and times do not depend on the seed.
		for _, col := range []string{"id", "date_time"} {
			if a.i64[col] != nil && !slices.Equal(a.i64[col], c.i64[col]) {
				t.Errorf("%s: %s depends on the seed", name, col)
			}
		}
	}
}

// TestProjection reads every column on its own and in a shuffled order,
// and compares with reading all columns.
func TestProjection(t *testing.T) {
	for _, name := range []string{"person", "auction", "bid"} {
		raw := opts("nexmark.table", name, "events", "5000")
		all := generate(t, raw, 256)
		cols := tables[name].columns
		for i, c := range cols {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			one := readAll(t, open(t, mem, raw, []int{i}, 100))
			mem.AssertSize(t, 0)
			if one.n != all.n || !slices.Equal(one.i64[c.name], all.i64[c.name]) || !slices.Equal(one.str[c.name], all.str[c.name]) {
				t.Errorf("%s: column %s alone differs from all columns", name, c.name)
			}
		}
		rev := make([]int, len(cols))
		for i := range rev {
			rev[i] = len(cols) - 1 - i
		}
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		r := readAll(t, open(t, mem, raw, rev, 300))
		mem.AssertSize(t, 0)
		if !reflect.DeepEqual(r.i64, all.i64) || !reflect.DeepEqual(r.str, all.str) {
			t.Errorf("%s: reversed projection differs", name)
		}
	}
	// The brief's example: prices alone equal prices among all columns.
	raw := opts("nexmark.table", "bid", "events", "50000")
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	src := open(t, mem, raw, project(t, "bid", "price"), 1024)
	if got := src.Schema().Field(0).Name; got != "price" || src.Schema().NumFields() != 1 {
		t.Fatalf("schema %s", src.Schema())
	}
	prices := readAll(t, src)
	if !slices.Equal(prices.i64["price"], generate(t, raw, 1024).i64["price"]) {
		t.Error("projection [price] differs from the full projection")
	}
}

func TestEmptyAndRepeatedProjection(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	raw := opts("nexmark.table", "bid", "events", "1000")
	r := readAll(t, open(t, mem, raw, []int{}, 100))
	if r.n != 920 || len(r.i64)+len(r.str) != 0 {
		t.Errorf("empty projection: %d rows, %d columns", r.n, len(r.i64)+len(r.str))
	}
	src := open(t, mem, raw, project(t, "bid", "price", "url", "price"), 64)
	b, err := src.Next(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(b.Record.Column(0), b.Record.Column(2)) || b.Record.NumCols() != 3 {
		t.Error("a column projected twice differs")
	}
	b.Record.Release()
	src.Close()
}

// TestBounded checks the exact row counts and the end of the stream.
func TestBounded(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	src := open(t, mem, opts("nexmark.table", "bid", "events", "1000"), nil, 300)
	var sizes []int
	var done []bool
	for {
		b, err := src.Next(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, int(b.Record.NumRows()))
		done = append(done, b.SplitDone)
		b.Record.Release()
	}
	if !slices.Equal(sizes, []int{300, 300, 300, 20}) || !slices.Equal(done, []bool{false, false, false, true}) {
		t.Errorf("batches %v, split done %v", sizes, done)
	}
	if src.RowsRead() != 920 || src.BadRecords() != 0 {
		t.Errorf("stats: %d rows, %d bad", src.RowsRead(), src.BadRecords())
	}
	for range 2 {
		if _, err := src.Next(context.Background()); !errors.Is(err, io.EOF) {
			t.Errorf("after the end: %v", err)
		}
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestUnbounded(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	src := open(t, mem, opts("nexmark.table", "auction"), nil, 1000)
	last := int64(-1)
	for range 50 {
		b, err := src.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if b.SplitDone || b.Record.NumRows() != 1000 {
			t.Fatalf("unbounded batch: %d rows, split done %v", b.Record.NumRows(), b.SplitDone)
		}
		ids := b.Record.Column(0)
		if first := ids.GetOneForMarshal(0).(int64); first != last+1 && last >= 0 {
			t.Fatalf("ids jump from %d to %d", last, first)
		}
		last = ids.GetOneForMarshal(ids.Len() - 1).(int64)
		b.Record.Release()
	}
	if last != 1000+50*1000-1 {
		t.Errorf("last auction id %d", last)
	}
	src.Close()
	if _, err := src.Next(context.Background()); !errors.Is(err, io.EOF) {
		t.Errorf("Next after Close: %v", err)
	}
	// Close without Open, and a cancelled context.
	s2 := open(t, mem, opts("nexmark.table", "bid"), nil, 10)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s2.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Next with a cancelled context: %v", err)
	}
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestPacing(t *testing.T) {
	if testing.Short() {
		t.Skip("waits")
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	// 300 events at 1000 a second: the last bid (event 299) is due 299 ms
	// after Open.
	start := time.Now()
	src := open(t, mem, opts("nexmark.table", "bid", "events", "300", "rate", "1000", "rate.pacing", "true"), nil, 1024)
	r := readAll(t, src)
	el := time.Since(start)
	if r.n != 276 {
		t.Errorf("%d rows, want 276", r.n)
	}
	if el < 250*time.Millisecond {
		t.Errorf("300 events at 1000/s took %v", el)
	}
	if len(r.batches) < 2 {
		t.Errorf("pacing made %d batches; want batches of what is due", len(r.batches))
	}
	// Event times follow the rate, not the wall clock.
	if got := r.i64["date_time"][len(r.i64["date_time"])-1]; got != baseMs+299 {
		t.Errorf("last bid at %d", got)
	}
	// A cancelled wait returns at once.
	src = open(t, mem, opts("nexmark.table", "person", "rate", "1", "rate.pacing", "true"), nil, 10)
	b, err := src.Next(context.Background()) // event 0 is due at once
	if err != nil || b.Record.NumRows() != 1 {
		t.Fatalf("first paced batch: %v", err)
	}
	b.Record.Release()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := src.Next(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("paced Next past its deadline: %v", err)
	}
	src.Close()
}

// eventKey identifies a bid by its values (extra makes it unique).
func bidKeys(r *rows) []string {
	keys := make([]string, r.n)
	for i := range keys {
		keys[i] = fmt.Sprint(r.i64["date_time"][i], r.i64["auction"][i], r.i64["bidder"][i], r.i64["price"][i], r.str["extra"][i])
	}
	return keys
}

func TestOutOfOrder(t *testing.T) {
	inOrder := generate(t, opts("nexmark.table", "bid", "events", "200000"), 1024)
	for _, splits := range []string{"1", "3"} {
		r := generate(t, opts("nexmark.table", "bid", "events", "200000", "splits", splits,
			"out-of-order.fraction", "0.1", "out-of-order.delay", "2s"), 1024)
		maxT := make([]int64, 3)
		decreases, worst := 0, int64(0)
		for i, dt := range r.i64["date_time"] {
			s := r.split[i]
			if dt < maxT[s] {
				decreases++
				worst = max(worst, maxT[s]-dt)
			}
			maxT[s] = max(maxT[s], dt)
		}
		t.Logf("splits %s: %d of %d bids late, by up to %d ms", splits, decreases, r.n, worst)
		if decreases < r.n/20 || worst > 2000 || worst < 1000 {
			t.Errorf("splits %s: %d late bids, by up to %d ms; want about 10 %% by at most 2000 ms", splits, decreases, worst)
		}
		// The same bids, no more, no fewer.
		a, b := bidKeys(inOrder), bidKeys(r)
		slices.Sort(a)
		slices.Sort(b)
		if !slices.Equal(a, b) {
			t.Errorf("splits %s: out-of-order stream holds other bids", splits)
		}
	}
	// A delay shorter than an event disorders nothing.
	r := generate(t, opts("nexmark.table", "bid", "events", "10000", "out-of-order.fraction", "1", "out-of-order.delay", "0"), 100)
	if !slices.IsSorted(r.i64["date_time"]) {
		t.Error("zero delay reordered events")
	}
}

func TestSplits(t *testing.T) {
	whole := generate(t, opts("nexmark.table", "bid", "events", "100000"), 1000)
	for _, n := range []int{2, 4, 7} {
		r := generate(t, opts("nexmark.table", "bid", "events", "100000", "splits", strconv.Itoa(n)), 1000)
		a, b := bidKeys(whole), bidKeys(r)
		slices.Sort(a)
		slices.Sort(b)
		if !slices.Equal(a, b) {
			t.Errorf("%d splits: not the same bids as one split", n)
		}
		// Each split's bids are in order, its SplitDone comes once, last.
		prev := make([]int64, n)
		for i, dt := range r.i64["date_time"] {
			s := r.split[i]
			if dt < prev[s] {
				t.Fatalf("%d splits: split %d goes back in time", n, s)
			}
			prev[s] = dt
		}
		ended := map[int]bool{}
		for _, b := range r.log {
			if ended[b.split] {
				t.Fatalf("%d splits: split %d has a batch after SplitDone", n, b.split)
			}
			ended[b.split] = b.done
		}
		sorted := slices.Clone(r.done)
		slices.Sort(sorted)
		if len(sorted) != n || !slices.Equal(sorted, seq(n)) {
			t.Errorf("%d splits: SplitDone for %v", n, r.done)
		}
	}
	// Persons show which blocks went where: block b to split b mod n.
	r := generate(t, opts("nexmark.table", "person", "events", "10000", "splits", "3"), 7)
	for i, id := range r.i64["id"] {
		if int((id-1000)%3) != r.split[i] {
			t.Fatalf("person %d in split %d", id, r.split[i])
		}
	}
	// A split with no events at all still says it is done.
	r = generate(t, opts("nexmark.table", "person", "events", "60", "splits", "4"), 7)
	if r.n != 2 || len(r.done) != 4 {
		t.Errorf("60 events in 4 splits: %d persons, done %v", r.n, r.done)
	}
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// TestBatchSizes reads the same stream at several batch sizes.
func TestBatchSizes(t *testing.T) {
	for _, name := range []string{"person", "auction", "bid"} {
		raw := opts("nexmark.table", name, "events", "3000", "splits", "2", "out-of-order.fraction", "0.3", "out-of-order.delay", "30")
		var want *rows
		for _, size := range []int{1, 3, 1024} {
			r := generate(t, raw, size)
			for _, b := range r.batches {
				if b > size {
					t.Fatalf("%s: batch of %d rows at batch size %d", name, b, size)
				}
			}
			r.batches, r.done, r.log = nil, nil, nil
			// Per split, the rows are the same whatever the batch size.
			r = bySplit(r)
			if want == nil {
				want = r
			} else if !reflect.DeepEqual(r, want) {
				t.Errorf("%s: batch size %d changes the stream", name, size)
			}
		}
	}
}

// bySplit reorders rows split by split, keeping their order within each.
func bySplit(r *rows) *rows {
	idx := seq(r.n)
	slices.SortStableFunc(idx, func(a, b int) int { return r.split[a] - r.split[b] })
	out := &rows{n: r.n, i64: map[string][]int64{}, str: map[string][]string{}}
	for k, v := range r.i64 {
		for _, i := range idx {
			out.i64[k] = append(out.i64[k], v[i])
		}
	}
	for k, v := range r.str {
		for _, i := range idx {
			out.str[k] = append(out.str[k], v[i])
		}
	}
	for _, i := range idx {
		out.split = append(out.split, r.split[i])
	}
	return out
}

func TestOptionErrors(t *testing.T) {
	for _, c := range []struct {
		kv   []string
		want error
		key  string
	}{
		{[]string{}, connectors.ErrMissingOption, "nexmark.table"},
		{[]string{"nexmark.table", "bids"}, connectors.ErrBadOption, "nexmark.table"},
		{[]string{"nexmark.table", "bid", "events", "-1"}, connectors.ErrBadOption, "events"},
		{[]string{"nexmark.table", "bid", "events", "many"}, connectors.ErrBadOption, "events"},
		{[]string{"nexmark.table", "bid", "rate", "0"}, connectors.ErrBadOption, "rate"},
		{[]string{"nexmark.table", "bid", "rate", "2000000000"}, connectors.ErrBadOption, "rate"},
		{[]string{"nexmark.table", "bid", "rate.pacing", "maybe"}, connectors.ErrBadOption, "rate.pacing"},
		{[]string{"nexmark.table", "bid", "base-time", "yesterday"}, connectors.ErrBadOption, "base-time"},
		{[]string{"nexmark.table", "bid", "base-time", "9223372036854775807"}, connectors.ErrBadOption, "base-time"},
		{[]string{"nexmark.table", "bid", "seed", "1.5"}, connectors.ErrBadOption, "seed"},
		{[]string{"nexmark.table", "bid", "out-of-order.fraction", "1.5"}, connectors.ErrBadOption, "out-of-order.fraction"},
		{[]string{"nexmark.table", "bid", "out-of-order.fraction", "NaN"}, connectors.ErrBadOption, "out-of-order.fraction"},
		{[]string{"nexmark.table", "bid", "out-of-order.fraction", "lots"}, connectors.ErrBadOption, "out-of-order.fraction"},
		{[]string{"nexmark.table", "bid", "out-of-order.delay", "-1s"}, connectors.ErrBadOption, "out-of-order.delay"},
		{[]string{"nexmark.table", "bid", "out-of-order.delay", "soon"}, connectors.ErrBadOption, "out-of-order.delay"},
		{[]string{"nexmark.table", "bid", "out-of-order.fraction", "0.1", "out-of-order.delay", "1h"}, connectors.ErrBadOption, "out-of-order.delay"},
		{[]string{"nexmark.table", "bid", "splits", "0"}, connectors.ErrBadOption, "splits"},
		{[]string{"nexmark.table", "bid", "splits", "5000"}, connectors.ErrBadOption, "splits"},
		{[]string{"nexmark.table", "bid", "event", "10"}, connectors.ErrUnknownOption, "event"},
	} {
		_, err := newFromRaw(opts(c.kv...), declare("bid"), nil)
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), "'"+c.key+"'") {
			t.Errorf("%v: %v, want %v naming '%s'", c.kv, err, c.want, c.key)
		}
	}
	// Declared columns must be the table's, with its types.
	bad := arrow.NewSchema([]arrow.Field{{Name: "prce", Type: sqltypes.BigInt}}, nil)
	_, err := newFromRaw(opts("nexmark.table", "bid"), bad, nil)
	if !errors.Is(err, ErrUnknownColumn) || !strings.Contains(err.Error(), `did you mean "price"`) {
		t.Errorf("unknown column: %v", err)
	}
	bad = arrow.NewSchema([]arrow.Field{{Name: "PRICE", Type: sqltypes.Varchar}}, nil)
	_, err = newFromRaw(opts("nexmark.table", "bid"), bad, nil)
	if !errors.Is(err, ErrColumnType) || !strings.Contains(err.Error(), "BIGINT") {
		t.Errorf("wrong type: %v", err)
	}
	_, err = newFromRaw(opts("nexmark.table", "bid"), declare("bid"), []int{9})
	if err == nil {
		t.Error("projection out of range accepted")
	}
	// Names match in any case.
	ok := arrow.NewSchema([]arrow.Field{{Name: "Date_Time", Type: sqltypes.Timestamp}}, nil)
	if _, err := newFromRaw(opts("nexmark.table", "BID"), ok, nil); err != nil {
		t.Errorf("mixed case: %v", err)
	}
}

// newFromRaw validates raw options and makes a source.
func newFromRaw(raw map[string]string, schema *arrow.Schema, proj []int) (*Source, error) {
	o, err := Spec.Validate(raw)
	if err != nil {
		return nil, err
	}
	src, err := NewSource(connectors.SourceConfig{Name: "s", Schema: schema, Projection: proj, Options: o, BatchSize: 16})
	if err != nil {
		return nil, err
	}
	return src.(*Source), nil
}
