package nexmark

import (
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/connectors"
)

// FuzzOptions builds sources from arbitrary option values: an invalid value
// is an error wrapping a registry sentinel, and a valid source reads
// without panicking, within its bounds, releasing all it allocates.
func FuzzOptions(f *testing.F) {
	f.Add("bid", "1000", "10000", "0", "0", "1s", "1", "2024-01-01 00:00:00", 100, uint16(0xffff))
	f.Add("person", "0", "1", "-7", "0.5", "10", "3", "0", 1, uint16(3))
	f.Add("auction", "77", "1000000000", "9223372036854775807", "1", "0", "1024", "1970-01-01", 7, uint16(0))
	f.Add("BID", "-5", "0", "x", "2", "-1s", "0", "soon", 0, uint16(1))
	f.Add("bid", "500", "3", "1", "NaN", "999999h", "2", "2262-04-11 23:47:16", 3, uint16(0x55))
	f.Add("perSon", "0", "0", "0", "0", "0", "0", "0", 1, uint16(108))
	f.Fuzz(func(t *testing.T, table, events, rate, seed, frac, delay, splits, base string, batch int, mask uint16) {
		raw := map[string]string{"nexmark.table": table, "events": events, "rate": rate, "seed": seed,
			"out-of-order.fraction": frac, "out-of-order.delay": delay, "splits": splits, "base-time": base}
		o, err := Spec.Validate(raw)
		if err != nil {
			if !errors.Is(err, connectors.ErrBadOption) && !errors.Is(err, connectors.ErrMissingOption) {
				t.Fatalf("validate: unexpected error %v", err)
			}
			return
		}
		tb := tables[strings.ToLower(o.Get("nexmark.table"))]
		if tb == nil {
			t.Fatalf("validated table %q", o.Get("nexmark.table"))
		}
		var proj []int
		for i := range tb.columns {
			if mask&(1<<i) != 0 {
				proj = append(proj, i)
			}
		}
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		src, err := NewSource(connectors.SourceConfig{Name: "f", Schema: declare(tb.name), Projection: proj,
			Options: o, BatchSize: batch % 5000, Mem: mem})
		if err != nil {
			if !errors.Is(err, connectors.ErrBadOption) && !errors.Is(err, connectors.ErrMissingOption) {
				t.Fatalf("new source: unexpected error %v", err)
			}
			return
		}
		defer src.Close()
		n, _ := strconv.ParseInt(events, 10, 64)
		ctx := context.Background()
		var rows int64
		for range 20 {
			b, err := src.Next(ctx)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if b.Record != nil {
				rows += b.Record.NumRows()
				b.Record.Release()
			}
		}
		if n > 0 && rows > n {
			t.Fatalf("%d rows from %d events", rows, n)
		}
	})
}
