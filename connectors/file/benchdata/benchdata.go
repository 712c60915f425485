// Package benchdata generates bid-like input files for benchmarks: the
// shape of Nexmark's bid stream, about 100 bytes a row in CSV.
//
//	benchdata.WriteBids(f, "json", 10_000_000, 1) // about 1.7 GB
package benchdata

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/weirsql/weir/sqltypes"
)

// Columns is the column list of the generated rows, for a CREATE SOURCE.
const Columns = "auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR, date_time TIMESTAMP(3), extra VARCHAR"

// Schema returns the Arrow schema of the generated rows.
func Schema() *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{
		{Name: "auction", Type: sqltypes.BigInt, Nullable: true},
		{Name: "bidder", Type: sqltypes.BigInt, Nullable: true},
		{Name: "price", Type: sqltypes.BigInt, Nullable: true},
		{Name: "channel", Type: sqltypes.Varchar, Nullable: true},
		{Name: "url", Type: sqltypes.Varchar, Nullable: true},
		{Name: "date_time", Type: sqltypes.Timestamp, Nullable: true},
		{Name: "extra", Type: sqltypes.Varchar, Nullable: true},
	}, nil)
}

var channels = []string{"Google", "Facebook", "Baidu", "Apple", "channel-1234"}

const letters = "abcdefghijklmnopqrstuvwxyz"

// start is the event time of the first row: 2024-01-01 00:00:00 UTC.
const start = int64(1704067200000)

// WriteBids writes rows generated from seed in format "json" (JSON lines)
// or "csv" (with a header line). The same seed gives the same bytes.
func WriteBids(w io.Writer, format string, rows int, seed int64) error {
	if format != "json" && format != "csv" {
		return fmt.Errorf("benchdata: unknown format %q (use json or csv)", format)
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	rng := rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))
	var b []byte
	if format == "csv" {
		b = append(b, "auction,bidder,price,channel,url,date_time,extra\n"...)
	}
	ts := start
	for i := 0; i < rows; i++ {
		auction := 1000 + rng.Int64N(1000)
		bidder := 1000 + rng.Int64N(10000)
		price := 100 + rng.Int64N(1_000_000)
		channel := channels[rng.IntN(len(channels))]
		ts += rng.Int64N(20)
		if format == "json" {
			b = append(b, `{"auction":`...)
			b = strconv.AppendInt(b, auction, 10)
			b = append(b, `,"bidder":`...)
			b = strconv.AppendInt(b, bidder, 10)
			b = append(b, `,"price":`...)
			b = strconv.AppendInt(b, price, 10)
			b = append(b, `,"channel":"`...)
			b = append(b, channel...)
			b = append(b, `","url":"`...)
			b = appendURL(b, rng)
			b = append(b, `","date_time":"`...)
			b = sqltypes.AppendTimestamp(b, ts)
			b = append(b, `","extra":"`...)
			b = appendExtra(b, rng)
			b = append(b, "\"}\n"...)
		} else {
			b = strconv.AppendInt(b, auction, 10)
			b = append(b, ',')
			b = strconv.AppendInt(b, bidder, 10)
			b = append(b, ',')
			b = strconv.AppendInt(b, price, 10)
			b = append(b, ',')
			b = append(b, channel...)
			b = append(b, ',')
			b = appendURL(b, rng)
			b = append(b, ',')
			b = sqltypes.AppendTimestamp(b, ts)
			b = append(b, ',')
			b = appendExtra(b, rng)
			b = append(b, '\n')
		}
		if len(b) > 64<<10 {
			if _, err := bw.Write(b); err != nil {
				return fmt.Errorf("benchdata: %w", err)
			}
			b = b[:0]
		}
	}
	if _, err := bw.Write(b); err != nil {
		return fmt.Errorf("benchdata: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("benchdata: %w", err)
	}
	return nil
}

func appendURL(b []byte, rng *rand.Rand) []byte {
	b = append(b, "https://www.nexmark.com/"...)
	for j := 0; j < 5; j++ {
		b = append(b, letters[rng.IntN(len(letters))])
	}
	b = append(b, "/item.htm?query="...)
	return strconv.AppendInt(b, rng.Int64N(100), 10)
}

func appendExtra(b []byte, rng *rand.Rand) []byte {
	n := rng.IntN(12)
	for j := 0; j < n; j++ {
		b = append(b, letters[rng.IntN(len(letters))])
	}
	return b
}
