package kafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirsql/weir/connectors"
	"github.com/weirsql/weir/exec"
	"github.com/weirsql/weir/sqltypes"
)

// TestMain fails the package if goroutines (clients, brokers) outlive the
// tests.
func TestMain(m *testing.M) {
	before := runtime.NumGoroutine()
	code := m.Run()
	if code == 0 {
		deadline := time.Now().Add(20 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			fmt.Fprintf(os.Stderr, "goroutines left running: %d before the tests, %d after:\n%s\n", before, n, buf)
			code = 1
		}
	}
	os.Exit(code)
}

// deadline is how long a test waits for something that should happen
// soon: generous, so that a slow machine does not fail the test.
const deadline = 60 * time.Second

// cluster starts a one-broker kfake cluster on a loopback port.
func cluster(t testing.TB, opts ...kfake.Opt) (*kfake.Cluster, string) {
	t.Helper()
	opts = append([]kfake.Opt{kfake.NumBrokers(1), kfake.Ports(0)}, opts...)
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, c.ListenAddrs()[0]
}

// freePort returns a loopback port nothing listens on (for a broker that
// starts later).
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// client returns a franz-go client of addr, closed with the test.
func client(t testing.TB, addr string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	opts = append([]kgo.Opt{kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.ManualPartitioner())}, opts...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// produce writes records synchronously (Partition is honoured).
func produce(t testing.TB, cl *kgo.Client, recs ...*kgo.Record) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// rec makes a record of topic/partition with value v (nil: tombstone).
func rec(topic string, partition int32, key, value string) *kgo.Record {
	r := &kgo.Record{Topic: topic, Partition: partition}
	if key != "" {
		r.Key = []byte(key)
	}
	if value != "\x00nil" {
		r.Value = []byte(value)
	}
	return r
}

// readTopic reads every record of topic up to its end (the last stable
// offset when committed), with transaction markers left out.
func readTopic(t testing.TB, addr, topic string, committed bool) []*kgo.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	admin := client(t, addr)
	parts, missing, _, err := topicPartitions(ctx, admin, []string{topic}, nil)
	if err != nil || len(missing) > 0 {
		t.Fatalf("partitions of %s: %v %v", topic, err, missing)
	}
	var tps []tp
	for _, p := range parts[topic] {
		tps = append(tps, tp{topic, p})
	}
	ends, err := listOffsets(ctx, admin, tps, tsLatest, committed)
	if err != nil {
		t.Fatal(err)
	}
	starts, err := listOffsets(ctx, admin, tps, tsEarliest, false)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[int32]kgo.Offset{topic: {}}
	left := 0
	for _, k := range tps {
		if ends[k] > starts[k] {
			want[topic][k.partition] = kgo.NewOffset().At(starts[k])
			left++
		}
	}
	if left == 0 {
		return nil
	}
	opts := []kgo.Opt{kgo.ConsumePartitions(want), kgo.KeepControlRecords()}
	if committed {
		opts = append(opts, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	}
	cl := client(t, addr, opts...)
	next := map[int32]int64{}
	var out []*kgo.Record
	for left > 0 {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("reading %s: %v (read %d records)", topic, err, len(out))
		}
		fs.EachError(func(_ string, p int32, err error) { t.Fatalf("reading %s/%d: %v", topic, p, err) })
		fs.EachRecord(func(r *kgo.Record) {
			k := tp{topic, r.Partition}
			if r.Offset >= ends[k] {
				return
			}
			if r.Offset+1 >= ends[k] && next[r.Partition] < ends[k] {
				left--
			}
			next[r.Partition] = r.Offset + 1
			if !r.Attrs.IsControl() {
				out = append(out, r)
			}
		})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Partition != out[j].Partition {
			return out[i].Partition < out[j].Partition
		}
		return out[i].Offset < out[j].Offset
	})
	return out
}

// field is a nullable column.
func field(name string, t arrow.DataType) arrow.Field {
	return arrow.Field{Name: name, Type: t, Nullable: true}
}

// bidSchema is the physical schema most tests declare.
var bidSchema = arrow.NewSchema([]arrow.Field{
	field("auction", sqltypes.BigInt),
	field("price", sqltypes.BigInt),
	field("ts", sqltypes.Timestamp),
}, nil)

// sourceConfig returns a config for the source named "bids" reading with
// the given options (keys as in SQL), bootstrap at addr.
func sourceConfig(mem memory.Allocator, schema *arrow.Schema, addr string, kv ...string) connectors.SourceConfig {
	raw := map[string]string{"connector": "kafka", "properties.bootstrap.servers": addr}
	for i := 0; i+1 < len(kv); i += 2 {
		raw[kv[i]] = kv[i+1]
	}
	opts, err := Spec.Validate(raw)
	if err != nil {
		panic(err)
	}
	return connectors.SourceConfig{Name: "bids", Schema: schema, Options: opts, BatchSize: 64, Mem: mem}
}

// openSource makes and opens a source, closed with the test.
func openSource(t testing.TB, cfg connectors.SourceConfig, notices io.Writer) *Source {
	t.Helper()
	s, err := newSource(cfg, notices)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	if err := s.Open(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

// readRows reads batches until want rows (or io.EOF when want < 0) and
// returns every row as text, one string per row, columns joined by '|'.
func readRows(t testing.TB, s exec.Source, want int) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	var rows []string
	for want < 0 || len(rows) < want {
		b, err := s.Next(ctx)
		if errors.Is(err, io.EOF) {
			if want >= 0 {
				t.Fatalf("EOF after %d rows, want %d", len(rows), want)
			}
			break
		}
		if err != nil {
			t.Fatalf("after %d rows: %v", len(rows), err)
		}
		if b.Record != nil {
			rows = append(rows, rowStrings(b.Record)...)
			b.Record.Release()
		}
	}
	return rows
}

// rowStrings renders a record's rows.
func rowStrings(r arrow.Record) []string {
	out := make([]string, r.NumRows())
	for i := range out {
		var b strings.Builder
		for c := 0; c < int(r.NumCols()); c++ {
			if c > 0 {
				b.WriteByte('|')
			}
			col := r.Column(c)
			switch a := col.(type) {
			case *array.Timestamp:
				if a.IsNull(i) {
					b.WriteString("NULL")
				} else {
					b.WriteString(sqltypes.FormatTimestamp(int64(a.Value(i))))
				}
			default:
				if col.IsNull(i) {
					b.WriteString("NULL")
				} else {
					b.WriteString(col.ValueStr(i))
				}
			}
		}
		out[i] = b.String()
	}
	return out
}

// sorted returns a sorted copy.
func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

// waitFor polls cond until it holds, failing the test at the deadline.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(deadline)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func checkedMem(t testing.TB) *memory.CheckedAllocator {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

// committedTotals reads the out topic with read_committed until it holds
// want (transaction markers can land a moment after a commit returns on a
// loaded machine) or a deadline passes, and returns what it last read.
func committedTotals(t testing.TB, addr string, want []string) []string {
	t.Helper()
	var got []string
	for end := time.Now().Add(10 * time.Second); ; {
		got = totals(readTopic(t, addr, "out", true))
		if reflect.DeepEqual(got, want) || time.Now().After(end) {
			return got
		}
		time.Sleep(50 * time.Millisecond)
	}
}
