package agg
import ("testing"; "github.com/apache/arrow/go/v17/arrow"; "github.com/weirsql/weir/sqltypes")
func BenchmarkGeneralPath(b *testing.B) {
	disableFast = true
	defer func() { disableFast = false }()
	runAggBench(b, []arrow.DataType{sqltypes.BigInt}, 10_000, 64)
}
