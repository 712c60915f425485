package format

import (
	"math"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/exec"
	"github.com/weirsql/weir/sqltypes"
)

func goldenSchema() *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: sqltypes.BigInt, Nullable: true},
		{Name: "name", Type: sqltypes.Varchar, Nullable: true},
		{Name: "price", Type: sqltypes.Decimal(6, 2), Nullable: true},
		{Name: "ts", Type: sqltypes.Timestamp, Nullable: true},
		{Name: "ok", Type: sqltypes.Boolean, Nullable: true},
		{Name: "score", Type: sqltypes.Double, Nullable: true},
	}, nil)
}

// goldenBatches returns two batches; the second has a wider name.
func goldenBatches(t *testing.T, mem memory.Allocator) []arrow.Record {
	s := goldenSchema()
	return []arrow.Record{
		buildRecord(t, mem, s, [][]any{
			{int64(1), "alice", dec(t, "12.5", 6, 2), ts(t, "2024-01-02 03:04:05"), true, 1.5},
			{int64(2), nil, dec(t, "-0.05", 6, 2), ts(t, "2024-01-02 03:04:05.120"), false, math.NaN()},
			{int64(30), `say "hi", ok`, nil, nil, nil, nil},
			{int64(400), "", dec(t, "100", 6, 2), int64(0), true, math.Inf(-1)},
		}),
		buildRecord(t, mem, s, [][]any{
			{int64(-5), "a much longer name", dec(t, "1", 6, 2), ts(t, "2024-01-02 03:04:05.001"), false, 1e21},
		}),
	}
}

func goldenOps(mem memory.Allocator) []*array.Int8 {
	b := array.NewInt8Builder(mem)
	defer b.Release()
	b.AppendValues([]int8{int8(exec.OpInsert), int8(exec.OpUpdateBefore), int8(exec.OpUpdateAfter), int8(exec.OpDelete)}, nil)
	return []*array.Int8{b.NewInt8Array(), nil}
}

func TestEncoderGolden(t *testing.T) {
	tests := []struct {
		format   string
		updating bool
		want     string
	}{
		{"csv", false, lines(
			`id,name,price,ts,ok,score`,
			`1,alice,12.50,2024-01-02 03:04:05,true,1.5`,
			`2,,-0.05,2024-01-02 03:04:05.120,false,NaN`,
			`30,"say ""hi"", ok",,,,`,
			`400,"",100.00,1970-01-01 00:00:00,true,-Infinity`,
			`-5,a much longer name,1.00,2024-01-02 03:04:05.001,false,1e+21`,
		)},
		{"csv", true, lines(
			`op,id,name,price,ts,ok,score`,
			`+I,1,alice,12.50,2024-01-02 03:04:05,true,1.5`,
			`-U,2,,-0.05,2024-01-02 03:04:05.120,false,NaN`,
			`+U,30,"say ""hi"", ok",,,,`,
			`-D,400,"",100.00,1970-01-01 00:00:00,true,-Infinity`,
			`+I,-5,a much longer name,1.00,2024-01-02 03:04:05.001,false,1e+21`,
		)},
		{"json", false, lines(
			`{"id":1,"name":"alice","price":12.50,"ts":"2024-01-02 03:04:05","ok":true,"score":1.5}`,
			`{"id":2,"name":null,"price":-0.05,"ts":"2024-01-02 03:04:05.120","ok":false,"score":"NaN"}`,
			`{"id":30,"name":"say \"hi\", ok","price":null,"ts":null,"ok":null,"score":null}`,
			`{"id":400,"name":"","price":100.00,"ts":"1970-01-01 00:00:00","ok":true,"score":"-Infinity"}`,
			`{"id":-5,"name":"a much longer name","price":1.00,"ts":"2024-01-02 03:04:05.001","ok":false,"score":1e+21}`,
		)},
		{"json", true, lines(
			`{"op":"+I","id":1,"name":"alice","price":12.50,"ts":"2024-01-02 03:04:05","ok":true,"score":1.5}`,
			`{"op":"-U","id":2,"name":null,"price":-0.05,"ts":"2024-01-02 03:04:05.120","ok":false,"score":"NaN"}`,
			`{"op":"+U","id":30,"name":"say \"hi\", ok","price":null,"ts":null,"ok":null,"score":null}`,
			`{"op":"-D","id":400,"name":"","price":100.00,"ts":"1970-01-01 00:00:00","ok":true,"score":"-Infinity"}`,
			`{"op":"+I","id":-5,"name":"a much longer name","price":1.00,"ts":"2024-01-02 03:04:05.001","ok":false,"score":1e+21}`,
		)},
		{"table", false, lines(
			` id  |     name     | price  |           ts            |  ok   |   score`,
			`-----+--------------+--------+-------------------------+-------+-----------`,
			`   1 | alice        |  12.50 | 2024-01-02 03:04:05     | true  |       1.5`,
			`   2 | NULL         |  -0.05 | 2024-01-02 03:04:05.120 | false |       NaN`,
			`  30 | say "hi", ok |   NULL | NULL                    | NULL  |      NULL`,
			` 400 |              | 100.00 | 1970-01-01 00:00:00     | true  | -Infinity`,
			`  -5 | a much longer name |   1.00 | 2024-01-02 03:04:05.001 | false |     1e+21`,
			`(5 rows)`,
		)},
		{"table", true, lines(
			` op | id  |     name     | price  |           ts            |  ok   |   score`,
			`----+-----+--------------+--------+-------------------------+-------+-----------`,
			` +I |   1 | alice        |  12.50 | 2024-01-02 03:04:05     | true  |       1.5`,
			` -U |   2 | NULL         |  -0.05 | 2024-01-02 03:04:05.120 | false |       NaN`,
			` +U |  30 | say "hi", ok |   NULL | NULL                    | NULL  |      NULL`,
			` -D | 400 |              | 100.00 | 1970-01-01 00:00:00     | true  | -Infinity`,
			` +I |  -5 | a much longer name |   1.00 | 2024-01-02 03:04:05.001 | false |     1e+21`,
			`(5 rows)`,
		)},
	}
	for _, tt := range tests {
		name := tt.format
		if tt.updating {
			name += "/updating"
		}
		t.Run(name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			recs := goldenBatches(t, mem)
			var ops []*array.Int8
			if tt.updating {
				ops = goldenOps(mem)
			}
			got := encode(t, tt.format, goldenSchema(), EncoderOptions{Updating: tt.updating}, recs, ops)
			for _, r := range recs {
				r.Release()
			}
			for _, o := range ops {
				if o != nil {
					o.Release()
				}
			}
			if got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestEncoderEmpty(t *testing.T) {
	s := goldenSchema()
	for format, want := range map[string]string{
		"csv":   "id,name,price,ts,ok,score\n",
		"json":  "",
		"table": lines(" id | name | price | ts | ok | score", "----+------+-------+----+----+-------", "(0 rows)"),
	} {
		if got := encode(t, format, s, EncoderOptions{}, nil, nil); got != want {
			t.Errorf("%s: got:\n%s\nwant:\n%s", format, got, want)
		}
	}
}

func TestTableOneRow(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := arrow.NewSchema([]arrow.Field{{Name: "名前", Type: sqltypes.Varchar}, {Name: "n", Type: sqltypes.Int}}, nil)
	rec := buildRecord(t, mem, s, [][]any{{"世界", int32(7)}})
	defer rec.Release()
	want := lines(" 名前 | n", "------+---", " 世界 | 7", "(1 row)")
	if got := encode(t, "table", s, EncoderOptions{}, []arrow.Record{rec}, nil); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}
