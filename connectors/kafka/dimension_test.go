package kafka_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/weirsql/weir/connectors"
	"github.com/weirsql/weir/connectors/kafka"
	"github.com/weirsql/weir/diag"
	"github.com/weirsql/weir/engine"
	"github.com/weirsql/weir/exec"
	"github.com/weirsql/weir/internal/syncbuf"
	"github.com/weirsql/weir/sqltypes"
)

// userSchema is the lookup table most tests declare.
var userSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: sqltypes.BigInt, Nullable: true},
	{Name: "name", Type: sqltypes.Varchar, Nullable: true},
}, nil)

// dimCluster starts a kfake broker on a loopback port with the topics.
func dimCluster(t *testing.T, partitions int32, topics ...string) (*kfake.Cluster, string) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(0), kfake.SeedTopics(partitions, topics...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, c.ListenAddrs()[0]
}

// dimProducer returns a client that writes to the partition each record
// names, closed with the test.
func dimProducer(t *testing.T, addr string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	opts = append([]kgo.Opt{kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.ManualPartitioner())}, opts...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// put writes records synchronously.
func put(t *testing.T, cl *kgo.Client, recs ...*kgo.Record) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// user is a record of topic "users" in partition p with key k; value
// "<nil>" makes a tombstone and key "" a record without a key.
func user(p int32, k, value string) *kgo.Record {
	r := &kgo.Record{Topic: "users", Partition: p}
	if k != "" {
		r.Key = []byte(k)
	}
	if value != "<nil>" {
		r.Value = []byte(value)
	}
	return r
}

func userJSON(id int, name string) string { return fmt.Sprintf(`{"id":%d,"name":%q}`, id, name) }

// newDim makes a kafka lookup table of userSchema over topic "users",
// closed with the test; kv are more WITH options.
func newDim(t *testing.T, mem memory.Allocator, addr string, kv ...string) (*kafka.Dimension, error) {
	t.Helper()
	raw := map[string]string{"connector": "kafka", "topic": "users", "format": "json", "properties.bootstrap.servers": addr}
	for i := 0; i+1 < len(kv); i += 2 {
		raw[kv[i]] = kv[i+1]
	}
	spec, err := connectors.Lookup("kafka")
	if err != nil {
		t.Fatal(err)
	}
	opts, err := spec.Validate(raw)
	if err != nil {
		t.Fatal(err)
	}
	tab, err := spec.NewDimension(connectors.SourceConfig{Name: "users", Schema: userSchema, Options: opts, BatchSize: 2, Mem: mem})
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { tab.Close() })
	return tab.(*kafka.Dimension), nil
}

// loadRows loads the table and returns whether it changed and its rows as
// sorted "id|name" strings, releasing the records.
func loadRows(t *testing.T, tab exec.DimensionTable) (bool, []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	recs, changed, err := tab.Load(ctx)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if !changed && recs != nil {
		t.Fatalf("Load returned %d records and changed = false", len(recs))
	}
	var rows []string
	for _, r := range recs {
		if !r.Schema().Equal(tab.Schema()) {
			t.Errorf("record schema %s, table schema %s", r.Schema(), tab.Schema())
		}
		ids, names := r.Column(0).(*array.Int64), r.Column(1).(*array.String)
		for i := 0; i < int(r.NumRows()); i++ {
			rows = append(rows, fmt.Sprintf("%d|%s", ids.Value(i), names.Value(i)))
		}
		r.Release()
	}
	sort.Strings(rows)
	return changed, rows
}

func checkedAlloc(t *testing.T) *memory.CheckedAllocator {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

// The table is the latest value of each key over both partitions: later
// versions replace earlier ones, tombstones delete, records of an aborted
// transaction are never seen. Loads after the first return the table only
// when it changed.
func TestDimensionKeepsTheLatestRecordOfEachKey(t *testing.T) {
	_, addr := dimCluster(t, 2, "users")
	cl := dimProducer(t, addr)
	put(t, cl,
		user(0, "u1", userJSON(1, "ann")),
		user(0, "u2", userJSON(2, "bob")),
		user(0, "u1", userJSON(1, "ann2")),
		user(0, "u3", userJSON(3, "cy")),
		user(0, "u3", "<nil>"),
		user(1, "u4", userJSON(4, "dee")),
		user(1, "u5", userJSON(5, "eve")),
		user(1, "u4", userJSON(4, "dee2")),
		user(1, "u5", "<nil>"),
		user(1, "u6", userJSON(6, "fay")),
	)
	// A key in two partitions: the later timestamp wins, whatever the
	// order the partitions are read in.
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	newer, older := user(0, "u10", userJSON(10, "newer")), user(1, "u10", userJSON(10, "older"))
	newer.Timestamp, older.Timestamp = at.Add(time.Second), at
	put(t, cl, newer, older)
	// A transaction that is aborted: read_committed never sees it.
	txn := dimProducer(t, addr, kgo.TransactionalID("users-writer"))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := txn.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	put(t, txn, user(1, "u6", userJSON(6, "aborted")), user(0, "u7", userJSON(7, "aborted")))
	if err := txn.EndTransaction(ctx, kgo.TryAbort); err != nil {
		t.Fatal(err)
	}

	mem := checkedAlloc(t)
	tab, err := newDim(t, mem, addr)
	if err != nil {
		t.Fatal(err)
	}
	if !tab.Schema().Equal(userSchema) {
		t.Fatalf("schema %s", tab.Schema())
	}
	changed, rows := loadRows(t, tab)
	if want := []string{"10|newer", "1|ann2", "2|bob", "4|dee2", "6|fay"}; !changed || !reflect.DeepEqual(rows, want) {
		t.Fatalf("first load: changed %v rows %v, want %v", changed, rows, want)
	}
	if tab.Tombstones() != 2 || tab.Rows() != 5 {
		t.Errorf("tombstones %d rows %d, want 2 and 5", tab.Tombstones(), tab.Rows())
	}

	// Nothing new.
	if changed, rows := loadRows(t, tab); changed || rows != nil {
		t.Fatalf("second load: changed %v rows %v", changed, rows)
	}

	// An update, a delete, a new key, and a tombstone for a key that is
	// not there.
	put(t, cl,
		user(0, "u2", userJSON(2, "bob2")),
		user(0, "u1", "<nil>"),
		user(1, "u8", userJSON(8, "gus")),
		user(1, "u9", "<nil>"),
	)
	changed, rows = loadRows(t, tab)
	if want := []string{"10|newer", "2|bob2", "4|dee2", "6|fay", "8|gus"}; !changed || !reflect.DeepEqual(rows, want) {
		t.Fatalf("after changes: changed %v rows %v, want %v", changed, rows, want)
	}

	// The same values again, and a tombstone for a deleted key: no change.
	put(t, cl, user(1, "u4", userJSON(4, "dee2")), user(0, "u1", "<nil>"))
	if changed, rows := loadRows(t, tab); changed || rows != nil {
		t.Fatalf("after rewriting the same rows: changed %v rows %v", changed, rows)
	}
	if err := tab.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tab.Load(ctx); err == nil || !strings.Contains(err.Error(), "load after close") {
		t.Errorf("load after close: %v", err)
	}
}

// A malformed value fails the load naming its topic, partition and offset;
// with 'bad_records' = 'skip' it is left out and counted once, as is a
// record without a key. A malformed value replaced by a good one before
// the load does no harm.
func TestDimensionMalformedRecords(t *testing.T) {
	_, addr := dimCluster(t, 2, "users")
	cl := dimProducer(t, addr)
	put(t, cl,
		user(0, "u1", userJSON(1, "ann")),
		user(0, "u2", `{"id":"two","name":"bob"}`),
		user(1, "u3", `not json`),
		user(1, "u3", userJSON(3, "cy")),
	)
	mem := checkedAlloc(t)
	tab, err := newDim(t, mem, addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, _, err = tab.Load(ctx)
	var bad *kafka.RecordError
	if !errors.As(err, &bad) || !errors.Is(err, kafka.ErrBadRecord) {
		t.Fatalf("load: %v, want a *RecordError", err)
	}
	if want := `topic "users" partition 0 offset 1: value: column "id": "two" is not a BIGINT`; bad.Error() != want ||
		!strings.Contains(err.Error(), `kafka lookup table "users"`) || !strings.Contains(err.Error(), "'bad_records' = 'skip'") {
		t.Errorf("error %q, want %q, the table's name and a hint", err, want)
	}

	skip, err := newDim(t, mem, addr, "bad_records", "skip")
	if err != nil {
		t.Fatal(err)
	}
	changed, rows := loadRows(t, skip)
	if want := []string{"1|ann", "3|cy"}; !changed || !reflect.DeepEqual(rows, want) {
		t.Fatalf("skip: changed %v rows %v, want %v", changed, rows, want)
	}
	if skip.BadRecords() != 1 || skip.FirstBadRecord() == nil || skip.FirstBadRecord().Offset != 1 {
		t.Errorf("bad records %d, first %v", skip.BadRecords(), skip.FirstBadRecord())
	}
	// A record without a key, and a change that makes the table load
	// again: the bad row is not counted twice.
	put(t, cl, user(1, "", userJSON(9, "nokey")), user(1, "u4", userJSON(4, "dee")))
	changed, rows = loadRows(t, skip)
	if want := []string{"1|ann", "3|cy", "4|dee"}; !changed || !reflect.DeepEqual(rows, want) {
		t.Fatalf("skip, second load: changed %v rows %v, want %v", changed, rows, want)
	}
	if skip.BadRecords() != 2 {
		t.Errorf("bad records %d, want 2", skip.BadRecords())
	}
	// The bad value replaced: the row is back.
	put(t, cl, user(0, "u2", userJSON(2, "bob")))
	changed, rows = loadRows(t, skip)
	if want := []string{"1|ann", "2|bob", "3|cy", "4|dee"}; !changed || !reflect.DeepEqual(rows, want) {
		t.Fatalf("skip, after the fix: changed %v rows %v, want %v", changed, rows, want)
	}

	// 'fail' and a record without a key.
	put(t, cl, user(0, "", userJSON(10, "nokey")))
	strict, err := newDim(t, mem, addr, "bad_records", "fail")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = strict.Load(ctx)
	if !errors.As(err, &bad) || bad.Partition != 0 || bad.Offset != 3 || bad.Part != "key" || !strings.Contains(err.Error(), "has no key") {
		t.Errorf("record without a key: %v", err)
	}
	// The failure stays: the records read with the bad one are gone.
	if _, _, err2 := strict.Load(ctx); err2 == nil || err2.Error() != err.Error() {
		t.Errorf("second load after a failure: %v", err2)
	}
}

// Mistakes that can be seen before the query runs fail NewDimension.
func TestDimensionPlanningErrors(t *testing.T) {
	_, addr := dimCluster(t, 1, "users")
	mem := checkedAlloc(t)
	cases := []struct {
		kv   []string
		want string
	}{
		{[]string{"topic", "usrs"}, `kafka lookup table "users": unknown topic "usrs" on the cluster at ` + addr + ` (its topics: users)`},
		{[]string{"scan.startup.mode", "latest-offset"}, "'scan.startup.mode' = 'latest-offset' cannot be used by a lookup table"},
		{[]string{"scan.bounded.mode", "latest-offset"}, "'scan.bounded.mode' = 'latest-offset' cannot be used by a lookup table"},
		{[]string{"scan.partition.assignment", "group", "properties.group.id", "g"}, "'scan.partition.assignment' = 'group' cannot be used by a lookup table"},
		{[]string{"bad_records", "dlq", "bad_records.dlq-topic", "users"}, "'bad_records' = 'dlq' is not available for a lookup table"},
		{[]string{"lookup.read.timeout", "0"}, "'lookup.read.timeout' = '0' must be positive"},
		{[]string{"key.fields", "nope", "key.format", "json", "value.fields-include", "EXCEPT_KEY"}, `'key.fields' names "nope"`},
	}
	for _, c := range cases {
		tab, err := newDim(t, mem, addr, c.kv...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.kv, err, c.want)
		}
		if tab != nil {
			t.Errorf("%v: a table with the error", c.kv)
		}
	}
	_, err := newDim(t, mem, addr, "topic", "usrs")
	if !errors.Is(err, kafka.ErrUnknownTopic) {
		t.Errorf("missing topic: %v is not ErrUnknownTopic", err)
	}

	// In SQL, the error points at the join, before anything runs.
	sess := engine.NewSession(engine.Options{Format: "csv"})
	err = sess.ExecScript(context.Background(), "q.sql", strings.ReplaceAll(`
CREATE SOURCE orders (order_id BIGINT, user VARCHAR, p AS PROCTIME())
WITH ('connector' = 'kafka', 'topic' = 'users', 'properties.bootstrap.servers' = '$BOOTSTRAP', 'format' = 'json');
CREATE SOURCE people (name VARCHAR) WITH ('connector' = 'kafka', 'topic' = 'people',
  'properties.bootstrap.servers' = '$BOOTSTRAP', 'format' = 'json');
SELECT o.order_id, u.name FROM orders o JOIN people FOR SYSTEM_TIME AS OF o.p AS u ON o.user = u.name;`, "$BOOTSTRAP", addr))
	var de *diag.Error
	if !errors.As(err, &de) || !strings.Contains(err.Error(), "q.sql:6:") || !strings.Contains(err.Error(), `unknown topic "people"`) {
		t.Errorf("lookup table of a missing topic in SQL: %v", err)
	}
}

// Key columns can come from the record key ('value.fields-include' =
// 'EXCEPT_KEY'), and partitions added later are read from their start.
func TestDimensionKeyFieldsAndNewPartitions(t *testing.T) {
	_, addr := dimCluster(t, 1, "users")
	cl := dimProducer(t, addr)
	put(t, cl,
		user(0, `{"id":1}`, `{"name":"ann"}`),
		user(0, `{"id":2}`, `{"name":"bob"}`),
		user(0, `{"id":1}`, `{"name":"ann2"}`),
	)
	mem := checkedAlloc(t)
	tab, err := newDim(t, mem, addr, "key.format", "json", "key.fields", "id", "value.fields-include", "EXCEPT_KEY")
	if err != nil {
		t.Fatal(err)
	}
	changed, rows := loadRows(t, tab)
	if want := []string{"1|ann2", "2|bob"}; !changed || !reflect.DeepEqual(rows, want) {
		t.Fatalf("first load: changed %v rows %v, want %v", changed, rows, want)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin := dimProducer(t, addr)
	req := kmsg.NewPtrCreatePartitionsRequest()
	rt := kmsg.NewCreatePartitionsRequestTopic()
	rt.Topic, rt.Count = "users", 2
	req.Topics = append(req.Topics, rt)
	req.TimeoutMillis = 10_000
	resp, err := req.RequestWith(ctx, admin)
	if err != nil || resp.Topics[0].ErrorCode != 0 {
		t.Fatalf("create a partition: %v %+v", err, resp)
	}
	put(t, dimProducer(t, addr), user(1, `{"id":3}`, `{"name":"cy"}`)) // a client that knows the new partition
	changed, rows = loadRows(t, tab)
	if want := []string{"1|ann2", "2|bob", "3|cy"}; !changed || !reflect.DeepEqual(rows, want) {
		t.Fatalf("after a new partition: changed %v rows %v, want %v", changed, rows, want)
	}
}

// A broker that goes away makes Load fail within 'lookup.read.timeout',
// saying why, rather than wait for ever; a cancelled context ends it at
// once.
func TestDimensionBrokerGoneFailsTheLoad(t *testing.T) {
	c, addr := dimCluster(t, 1, "users")
	put(t, dimProducer(t, addr), user(0, "u1", userJSON(1, "ann")))
	mem := checkedAlloc(t)
	tab, err := newDim(t, mem, addr, "lookup.read.timeout", "1s")
	if err != nil {
		t.Fatal(err)
	}
	if changed, rows := loadRows(t, tab); !changed || !reflect.DeepEqual(rows, []string{"1|ann"}) {
		t.Fatalf("first load: changed %v rows %v", changed, rows)
	}
	c.Close()
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, _, err = tab.Load(ctx)
	if err == nil || !strings.Contains(err.Error(), `kafka lookup table "users"`) || !strings.Contains(err.Error(), "'lookup.read.timeout'") {
		t.Errorf("load with the broker gone: %v", err)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("the failed load took %s", took)
	}
	cctx, ccancel := context.WithCancel(context.Background())
	ccancel()
	if _, _, err := tab.Load(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("load with a cancelled context: %v", err)
	}
}

// TestSQLLookupJoinWithKafkaTable runs a lookup join of a stream of
// orders (a Kafka topic) with a table of users (a compacted-style topic of
// 2 partitions with several versions of keys and a tombstone) through an
// engine session. The users topic changes while the query runs; the
// processing-time clock, which times the table's reloads, is the test's,
// so that the orders written after the change and after the clock has
// passed 'lookup.join.cache.ttl' are sure to see the new table.
func TestSQLLookupJoinWithKafkaTable(t *testing.T) {
	_, addr := dimCluster(t, 2, "users")
	createTopic(t, addr, "orders", 1)
	cl := dimProducer(t, addr)
	u := user
	order := func(id int, name string) *kgo.Record {
		return &kgo.Record{Topic: "orders", Partition: 0, Value: []byte(fmt.Sprintf(`{"order_id":%d,"user":%q}`, id, name))}
	}
	put(t, cl,
		u(0, "alice", `{"name":"alice","country":"BE"}`),
		u(1, "bob", `{"name":"bob","country":"BE"}`),
		u(0, "alice", `{"name":"alice","country":"NL"}`),
		u(1, "carol", `{"name":"carol","country":"FR"}`),
		u(1, "carol", "<nil>"),
	)
	put(t, cl, order(1, "alice"), order(2, "bob"), order(3, "carol"))

	var clockMs atomic.Int64
	clockMs.Store(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli())
	clock := func() time.Time { return time.UnixMilli(clockMs.Load()) }
	script := strings.ReplaceAll(`
CREATE SOURCE orders (order_id BIGINT, user VARCHAR, p AS PROCTIME())
WITH ('connector' = 'kafka', 'topic' = 'orders', 'properties.bootstrap.servers' = '$BOOTSTRAP', 'format' = 'json');
CREATE SOURCE users (name VARCHAR, country VARCHAR)
WITH ('connector' = 'kafka', 'topic' = 'users', 'properties.bootstrap.servers' = '$BOOTSTRAP', 'format' = 'json',
      'lookup.join.cache.ttl' = '1h');
SELECT o.order_id, o.user, u.country
FROM orders o LEFT JOIN users FOR SYSTEM_TIME AS OF o.p AS u ON o.user = u.name;
`, "$BOOTSTRAP", addr)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var stdout, stderr syncbuf.Buffer
	sess := engine.NewSession(engine.Options{Stdout: &stdout, Stderr: &stderr, Format: "csv", Mem: mem, Clock: clock})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- sess.ExecScript(ctx, "lookup.sql", script) }()
	waitOutput := func(what string, lines int) {
		t.Helper()
		end := time.Now().Add(time.Minute)
		for strings.Count(stdout.String(), "\n") < lines {
			select {
			case err := <-done:
				t.Fatalf("the query ended waiting for %s: %v\n%s", what, err, stderr.String())
			case <-time.After(20 * time.Millisecond):
			}
			if time.Now().After(end) {
				t.Fatalf("timed out waiting for %s; output:\n%s", what, stdout.String())
			}
		}
	}
	waitOutput("the first orders", 4)

	// bob moves, dave arrives; then the clock passes the reload interval
	// and more orders come.
	put(t, cl, u(1, "bob", `{"name":"bob","country":"FR"}`), u(0, "dave", `{"name":"dave","country":"DE"}`))
	clockMs.Add(2 * time.Hour.Milliseconds())
	put(t, cl, order(4, "bob"), order(5, "dave"), order(6, "carol"))
	waitOutput("the later orders", 7)
	cancel()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	want := `order_id,user,country
1,alice,NL
2,bob,BE
3,carol,
4,bob,FR
5,dave,DE
6,carol,
`
	if got := stdout.String(); got != want {
		t.Errorf("output:\n%s\nwant\n%s\nstderr:\n%s", got, want, stderr.String())
	}
}
