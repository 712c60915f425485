package kafka_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/weirsql/weir/connectors/kafka"
	"github.com/weirsql/weir/diag"
	"github.com/weirsql/weir/engine"
	"github.com/weirsql/weir/internal/slt"
	"github.com/weirsql/weir/state"
)

// startBroker starts a kfake broker on a loopback port with the topics.
func startBroker(t *testing.T, partitions int32, topics ...string) string {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(0), kfake.SeedTopics(partitions, topics...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()[0]
}

// createTopic makes a topic of n partitions.
func createTopic(t *testing.T, addr, topic string, n int32) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	req := kmsg.NewPtrCreateTopicsRequest()
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic, rt.NumPartitions, rt.ReplicationFactor = topic, n, 1
	req.Topics = append(req.Topics, rt)
	req.TimeoutMillis = 10_000
	resp, err := req.RequestWith(context.Background(), cl)
	if err != nil || resp.Topics[0].ErrorCode != 0 {
		t.Fatalf("create topic %s: %v %+v", topic, err, resp)
	}
}

// topicText reads a topic to its end (read_committed) and renders one line
// per record, "key => value" or just the value, in partition and offset order.
func topicText(t *testing.T, addr, topic string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	// Everything written is committed once the query has returned, so
	// read until a poll brings nothing for a while.
	var recs []*kgo.Record
	for {
		pctx, pcancel := context.WithTimeout(ctx, 500*time.Millisecond)
		fs := cl.PollFetches(pctx)
		pcancel()
		if ctx.Err() != nil {
			t.Fatalf("reading %s: %v", topic, ctx.Err())
		}
		n := len(recs)
		fs.EachRecord(func(r *kgo.Record) { recs = append(recs, r) })
		if len(recs) == n {
			break
		}
	}
	sort.SliceStable(recs, func(i, j int) bool {
		if recs[i].Partition != recs[j].Partition {
			return recs[i].Partition < recs[j].Partition
		}
		return recs[i].Offset < recs[j].Offset
	})
	lines := make([]string, len(recs))
	for i, r := range recs {
		v := "<tombstone>"
		if r.Value != nil {
			v = string(r.Value)
		}
		if r.Key != nil {
			v = string(r.Key) + " => " + v
		}
		lines[i] = v
	}
	return strings.Join(lines, "\n")
}

// TestSQLEndToEnd runs testdata/e2e.sql through an engine session against
// a kfake broker over TCP: a windowed count to standard output, the same
// count into a topic exactly once, and an updating total into a topic as
// upserts. The output and the topics' contents are checked against
// testdata/e2e.out.
func TestSQLEndToEnd(t *testing.T) {
	addr := startBroker(t, 2, "bids", "bid_counts", "totals")
	createTopic(t, addr, "bids1", 1)
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	for i := int64(0); i < 30; i++ {
		v := fmt.Sprintf(`{"auction":%d,"price":%d,"date_time":%d}`, 1+(i/3)%2, 100+i, base+i*1000)
		if err := cl.ProduceSync(context.Background(),
			&kgo.Record{Topic: "bids", Partition: int32(i % 2), Value: []byte(v)},
			&kgo.Record{Topic: "bids1", Partition: 0, Value: []byte(v)},
		).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	src, err := os.ReadFile(filepath.Join("testdata", "e2e.sql"))
	if err != nil {
		t.Fatal(err)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var stdout, stderr bytes.Buffer
	sess := engine.NewSession(engine.Options{Stdout: &stdout, Stderr: &stderr, Format: "csv", Mem: mem})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := sess.ExecScript(ctx, filepath.Join("testdata", "e2e.sql"), strings.ReplaceAll(string(src), "$BOOTSTRAP", addr)); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	// Rows of one window come in no set order: sort the data lines.
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	sort.Strings(lines[1:])
	counts := strings.Split(topicText(t, addr, "bid_counts"), "\n")
	sort.Strings(counts)
	got := "-- standard output\n" + strings.Join(lines, "\n") +
		"\n\n-- topic bid_counts (sorted)\n" + strings.Join(counts, "\n") +
		"\n\n-- topic totals\n" + topicText(t, addr, "totals") + "\n"
	path := filepath.Join("testdata", "e2e.out")
	if os.Getenv("WEIR_UPDATE") == "1" {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (write it with WEIR_UPDATE=1 go test ./connectors/kafka/)", err)
	}
	if got != string(want) {
		t.Errorf("e2e.sql output differs from %s (WEIR_UPDATE=1 go test ./connectors/kafka/ rewrites it)\n%s", path, slt.Diff(string(want), got))
	}
}

// A topic that does not exist is an error in the SQL (exit status 2),
// pointing at the query, before anything runs.
func TestSQLMissingTopicIsAPlanningError(t *testing.T) {
	addr := startBroker(t, 1, "bids")
	sess := engine.NewSession(engine.Options{Format: "csv"})
	src := `CREATE SOURCE s (v BIGINT) WITH ('connector' = 'kafka', 'topic' = 'bdis',
  'properties.bootstrap.servers' = '` + addr + `', 'format' = 'json');
SELECT v FROM s;`
	err := sess.ExecScript(context.Background(), "q.sql", src)
	var de *diag.Error
	if !errors.As(err, &de) || !strings.Contains(err.Error(), `q.sql:3:`) || !strings.Contains(err.Error(), `unknown topic "bdis"`) ||
		!strings.Contains(err.Error(), "its topics: bids") {
		t.Errorf("error: %v", err)
	}
	// A misspelt option fails at CREATE SOURCE.
	err = sess.ExecScript(context.Background(), "q.sql", `CREATE SOURCE t (v BIGINT) WITH ('connector' = 'kafka', 'topic' = 'bids',
  'properties.bootstrap.servers' = '`+addr+`', 'format' = 'json', 'scan.startup.mod' = 'latest-offset');`)
	if !errors.As(err, &de) || !strings.Contains(err.Error(), "did you mean 'scan.startup.mode'") {
		t.Errorf("misspelt option: %v", err)
	}
}

// BenchmarkSQLWindowedCountTopicToTopic runs a windowed count from a topic
// of 200,000 Nexmark bids as JSON (4 partitions) into another topic,
// exactly once (checkpoints every second in a fresh state directory, Kafka
// transactions), through the whole engine, against a kfake broker in the
// same process.
func BenchmarkSQLWindowedCountTopicToTopic(b *testing.B) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(0), kfake.SeedTopics(4, "bids", "counts"))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	addr := c.ListenAddrs()[0]
	n, _ := kafka.ProduceNexmarkBids(b, addr, "bids", 4, 200_000)
	script := `
CREATE SOURCE bid (
  auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR, date_time TIMESTAMP(3), extra VARCHAR,
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND
) WITH ('connector' = 'kafka', 'topic' = 'bids', 'properties.bootstrap.servers' = '$BOOTSTRAP',
        'format' = 'json', 'scan.bounded.mode' = 'latest-offset');
CREATE SINK counts WITH ('connector' = 'kafka', 'topic' = 'counts', 'properties.bootstrap.servers' = '$BOOTSTRAP',
        'format' = 'json', 'sink.delivery-guarantee' = 'exactly-once', 'sink.transactional-id-prefix' = 'bench')
AS SELECT auction, TUMBLE_START(date_time, INTERVAL '10' SECOND) AS window_start, COUNT(*) AS bids, MAX(price) AS top
FROM bid GROUP BY auction, TUMBLE(date_time, INTERVAL '10' SECOND);`
	script = strings.ReplaceAll(script, "$BOOTSTRAP", addr)
	ctx := context.Background()
	b.ResetTimer()
	cpu0 := kafka.CPUTime()
	for i := 0; i < b.N; i++ {
		st, err := state.Open(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		sess := engine.NewSession(engine.Options{Format: "csv", State: &engine.StateOptions{Store: st, Interval: time.Second}})
		if err := sess.ExecScript(ctx, "bench.sql", script); err != nil {
			b.Fatal(err)
		}
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
	}
	cpu := (kafka.CPUTime() - cpu0).Seconds()
	b.ReportMetric(float64(n*int64(b.N))/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(n*int64(b.N))/cpu, "records/cpu-s")
}

// METADATA columns: the record timestamp as event time (with a watermark),
// the partition, offset and headers.
func TestSQLMetadataColumns(t *testing.T) {
	addr := startBroker(t, 2, "clicks")
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 6; i++ {
		r := &kgo.Record{Topic: "clicks", Partition: int32(i % 2), Value: []byte(fmt.Sprintf(`{"page":"p%d"}`, i%3)),
			Timestamp: base.Add(time.Duration(i) * 4 * time.Second)}
		if i == 0 {
			r.Headers = []kgo.RecordHeader{{Key: "trace", Value: []byte("abc")}}
		}
		if err := cl.ProduceSync(context.Background(), r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	src := `
CREATE SOURCE clicks (
  page VARCHAR,
  ts TIMESTAMP(3) METADATA FROM 'timestamp',
  part INT METADATA FROM 'partition' VIRTUAL,
  off BIGINT METADATA FROM 'offset' VIRTUAL,
  hdrs VARCHAR METADATA FROM 'headers' VIRTUAL,
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'kafka', 'topic' = 'clicks', 'properties.bootstrap.servers' = '$BOOTSTRAP',
        'format' = 'json', 'scan.bounded.mode' = 'latest-offset');
SELECT part, off, page, ts, hdrs FROM clicks ORDER BY part, off;
SELECT TUMBLE_START(ts, INTERVAL '10' SECOND) AS w, COUNT(*) AS clicks FROM clicks GROUP BY TUMBLE(ts, INTERVAL '10' SECOND);
`
	var stdout, stderr bytes.Buffer
	sess := engine.NewSession(engine.Options{Stdout: &stdout, Stderr: &stderr, Format: "csv"})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := sess.ExecScript(ctx, "m.sql", strings.ReplaceAll(src, "$BOOTSTRAP", addr)); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	want := `part,off,page,ts,hdrs
0,0,p0,2024-01-01 00:00:00,"{""trace"":""abc""}"
0,1,p2,2024-01-01 00:00:08,
0,2,p1,2024-01-01 00:00:16,
1,0,p1,2024-01-01 00:00:04,
1,1,p0,2024-01-01 00:00:12,
1,2,p2,2024-01-01 00:00:20,
w,clicks
2024-01-01 00:00:00,3
2024-01-01 00:00:10,2
2024-01-01 00:00:20,1
`
	if got := stdout.String(); got != want {
		t.Errorf("output:\n%s\nwant\n%s", got, want)
	}
}
