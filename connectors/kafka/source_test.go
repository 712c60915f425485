package kafka

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirsql/weir/connectors"
	"github.com/weirsql/weir/internal/syncbuf"
	"github.com/weirsql/weir/sqltypes"
)

// bidJSON is a JSON bid with event time ts (epoch ms).
func bidJSON(auction, price, ts int64) string {
	return fmt.Sprintf(`{"auction":%d,"price":%d,"ts":%d}`, auction, price, ts)
}

func TestSourceReadsJSONFromEveryPartition(t *testing.T) {
	_, addr := cluster(t, kfake.SeedTopics(3, "bids"))
	cl := client(t, addr)
	var want []string
	for i := int64(0); i < 30; i++ {
		produce(t, cl, rec("bids", int32(i%3), "", bidJSON(i, 100*i, 1_700_000_000_000+i*1000)))
		want = append(want, fmt.Sprintf("%d|%d|%s", i, 100*i, sqltypes.FormatTimestamp(1_700_000_000_000+i*1000)))
	}
	mem := checkedMem(t)
	s := openSource(t, sourceConfig(mem, bidSchema, addr, "topic", "bids", "format", "json",
		"scan.bounded.mode", "latest-offset"), io.Discard)
	if s.Splits() != 3 {
		t.Fatalf("splits = %d, want 3", s.Splits())
	}
	got := readRows(t, s, -1)
	if !reflect.DeepEqual(sorted(got), sorted(want)) {
		t.Fatalf("rows:\n%v\nwant\n%v", sorted(got), sorted(want))
	}
	if s.RowsRead() != 30 {
		t.Errorf("RowsRead = %d", s.RowsRead())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestSourceKeyFieldsAndValueFormats(t *testing.T) {
	_, addr := cluster(t, kfake.SeedTopics(1, "kv", "lines", "js"))
	cl := client(t, addr)
	produce(t, cl,
		rec("kv", 0, `{"auction":7}`, "100,1700000000000"),
		rec("kv", 0, `{"auction":8}`, "200,2023-11-14 22:13:21.5"),
		rec("lines", 0, "", "first line"),
		rec("lines", 0, "", "\x00nil"),
		rec("lines", 0, "", "third, \"quoted\"\n"),
		rec("js", 0, "", "{\n  \"auction\": 1,\n  \"price\": 2\n}"),
		rec("js", 0, "", "\x00nil"),
		rec("js", 0, "", `{"auction":3}`),
	)
	mem := checkedMem(t)

	// The key holds auction (JSON), the value the rest (CSV, by position);
	// the projection asks for ts then auction.
	cfg := sourceConfig(mem, bidSchema, addr, "topic", "kv", "format", "csv", "key.format", "json",
		"key.fields", "auction", "value.fields-include", "EXCEPT_KEY", "scan.bounded.mode", "latest-offset")
	cfg.Projection = []int{2, 0}
	s := openSource(t, cfg, io.Discard)
	if got, want := readRows(t, s, -1), []string{"2023-11-14 22:13:20|7", "2023-11-14 22:13:21.500|8"}; !reflect.DeepEqual(got, want) {
		t.Errorf("key and CSV value: %q, want %q", got, want)
	}
	if n := s.Schema().NumFields(); n != 2 || s.Schema().Field(0).Name != "ts" {
		t.Errorf("schema %v", s.Schema())
	}
	s.Close()

	// 'raw': the value as the one VARCHAR column; a null value is NULL.
	raw := arrow.NewSchema([]arrow.Field{field("line", sqltypes.Varchar)}, nil)
	s = openSource(t, sourceConfig(mem, raw, addr, "topic", "lines", "format", "raw", "scan.bounded.mode", "latest-offset"), io.Discard)
	if got, want := readRows(t, s, -1), []string{"first line", "NULL", "third, \"quoted\"\n"}; !reflect.DeepEqual(got, want) {
		t.Errorf("raw: %q, want %q", got, want)
	}
	s.Close()

	// JSON spread over lines decodes; a tombstone is skipped and counted.
	s = openSource(t, sourceConfig(mem, bidSchema, addr, "topic", "js", "format", "json", "scan.bounded.mode", "latest-offset"), io.Discard)
	if got, want := readRows(t, s, -1), []string{"1|2|NULL", "3|NULL|NULL"}; !reflect.DeepEqual(got, want) {
		t.Errorf("json: %q, want %q", got, want)
	}
	if s.Tombstones() != 1 || s.BadRecords() != 0 {
		t.Errorf("tombstones %d, bad %d", s.Tombstones(), s.BadRecords())
	}
	s.Close()
}

func TestSourceMetadataColumns(t *testing.T) {
	_, addr := cluster(t, kfake.SeedTopics(2, "bids"))
	cl := client(t, addr)
	r0 := rec("bids", 1, "", bidJSON(1, 10, 5))
	r0.Timestamp = time.UnixMilli(1_700_000_000_123)
	r0.Headers = []kgo.RecordHeader{{Key: "source", Value: []byte("web")}, {Key: "n", Value: []byte(`"1"`)}, {Key: "source", Value: []byte("app")}}
	r1 := rec("bids", 1, "", bidJSON(2, 20, 6))
	r1.Timestamp = time.UnixMilli(1_700_000_000_456)
	produce(t, cl, r0, r1)

	mem := checkedMem(t)
	cfg := sourceConfig(mem, bidSchema, addr, "topic", "bids", "format", "json", "scan.bounded.mode", "latest-offset")
	cfg.Projection = []int{0}
	meta := func(key, name string, typ arrow.DataType) connectors.MetadataColumn {
		return connectors.MetadataColumn{Key: key, Field: field(name, typ)}
	}
	cfg.Metadata = []connectors.MetadataColumn{
		meta("topic", "t", sqltypes.Varchar), meta("partition", "p", sqltypes.Int), meta("offset", "o", sqltypes.BigInt),
		meta("timestamp", "rt", sqltypes.Timestamp), meta("timestamp-type", "tt", sqltypes.Varchar),
		meta("headers", "h", sqltypes.Varchar), meta("leader-epoch", "le", sqltypes.Int),
	}
	s := openSource(t, cfg, io.Discard)
	names := []string{}
	for _, f := range s.Schema().Fields() {
		names = append(names, f.Name)
	}
	if want := []string{"auction", "t", "p", "o", "rt", "tt", "h", "le"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("columns %v, want %v", names, want)
	}
	got := readRows(t, s, -1)
	want := []string{
		`1|bids|1|0|2023-11-14 22:13:20.123|CreateTime|{"n":"\"1\"","source":"app"}|0`,
		`2|bids|1|1|2023-11-14 22:13:20.456|CreateTime|NULL|0`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows\n%q\nwant\n%q", got, want)
	}
}

func TestSourcePositionRestoreNoLossNoDuplicates(t *testing.T) {
	_, addr := cluster(t, kfake.SeedTopics(2, "bids"))
	cl := client(t, addr)
	var all []string
	for i := int64(0); i < 40; i++ {
		produce(t, cl, rec("bids", int32(i%2), "", bidJSON(i, i, i)))
		all = append(all, fmt.Sprintf("%d|%d", i%2, i))
	}
	mem := checkedMem(t)
	// Reads partition (metadata) and auction, 5 rows a batch.
	cfg := func() connectors.SourceConfig {
		c := sourceConfig(mem, bidSchema, addr, "topic", "bids", "format", "json")
		c.Projection = []int{0}
		c.Metadata = []connectors.MetadataColumn{{Key: "partition", Field: field("p", sqltypes.Int)}}
		c.BatchSize = 5
		return c
	}
	reorder := func(rows []string) []string { // "auction|p" -> "p|auction"
		out := make([]string, len(rows))
		for i, r := range rows {
			a, p, _ := strings.Cut(r, "|")
			out[i] = p + "|" + a
		}
		return out
	}
	s := openSource(t, cfg(), io.Discard)
	first := reorder(readRows(t, s, 15))
	pos, err := s.Position()
	if err != nil {
		t.Fatal(err)
	}
	// The position is the count read from each partition.
	var p position
	if err := json.Unmarshal(pos, &p); err != nil {
		t.Fatal(err)
	}
	perPart := map[int32]int64{}
	for _, r := range first {
		perPart[int32(r[0]-'0')]++
	}
	for _, sp := range p.Splits {
		if sp.Offset != perPart[sp.Partition] {
			t.Errorf("position of partition %d = %d, but %d rows were returned", sp.Partition, sp.Offset, perPart[sp.Partition])
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for i := int64(40); i < 50; i++ {
		produce(t, cl, rec("bids", int32(i%2), "", bidJSON(i, i, i)))
		all = append(all, fmt.Sprintf("%d|%d", i%2, i))
	}
	c := cfg()
	c.Options["scan.bounded.mode"] = "latest-offset"
	c.Options["scan.startup.mode"] = "latest-offset" // ignored: the position wins
	s2, err := newSource(c, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if err := s2.Restore(pos); err != nil {
		t.Fatal(err)
	}
	if s2.Splits() != 2 {
		t.Errorf("splits before open = %d, want the restored 2", s2.Splits())
	}
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	if err := s2.Open(ctx); err != nil {
		t.Fatal(err)
	}
	rest := reorder(readRows(t, s2, -1))
	got := append(first, rest...)
	if !reflect.DeepEqual(sorted(got), sorted(all)) {
		t.Errorf("read %d rows in two runs, want each of %d once:\n%v", len(got), len(all), sorted(got))
	}
}

func TestSourceStartupModes(t *testing.T) {
	_, addr := cluster(t, kfake.SeedTopics(1, "bids"))
	cl := client(t, addr)
	for i := int64(0); i < 5; i++ {
		r := rec("bids", 0, "", bidJSON(i, 0, 0))
		r.Timestamp = time.UnixMilli(1000 * (i + 1))
		produce(t, cl, r)
	}
	mem := checkedMem(t)
	cfg := func(kv ...string) connectors.SourceConfig {
		c := sourceConfig(mem, bidSchema, addr, append([]string{"topic", "bids", "format", "json"}, kv...)...)
		c.Projection = []int{0}
		return c
	}
	bounded := []string{"scan.bounded.mode", "latest-offset"}
	for _, tc := range []struct {
		name string
		kv   []string
		want []string
	}{
		{"timestamp", []string{"scan.startup.mode", "timestamp", "scan.startup.timestamp-millis", "3000"}, []string{"2", "3", "4"}},
		{"specific", []string{"scan.startup.mode", "specific-offsets", "scan.startup.specific-offsets", "partition:0,offset:3"}, []string{"3", "4"}},
		{"bounded by time", []string{"scan.bounded.mode", "timestamp", "scan.bounded.timestamp-millis", "2500"}, []string{"0", "1"}},
	} {
		kv := tc.kv
		if tc.name != "bounded by time" {
			kv = append(kv, bounded...)
		}
		s := openSource(t, cfg(kv...), io.Discard)
		if got := readRows(t, s, -1); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
		s.Close()
	}

	// latest-offset: only what comes after the start.
	s := openSource(t, cfg("scan.startup.mode", "latest-offset"), io.Discard)
	produce(t, cl, rec("bids", 0, "", bidJSON(5, 0, 0)))
	if got := readRows(t, s, 1); !reflect.DeepEqual(got, []string{"5"}) {
		t.Errorf("latest-offset: %v", got)
	}
	s.Close()

	// group-offsets: a run with a group commits where it stopped; the next
	// run starts there.
	notes := &syncbuf.Buffer{}
	s = openSource(t, cfg(append([]string{"properties.group.id", "g1", "scan.startup.mode", "specific-offsets",
		"scan.startup.specific-offsets", "partition:0,offset:4"}, bounded...)...), notes)
	if got := readRows(t, s, -1); !reflect.DeepEqual(got, []string{"4", "5"}) {
		t.Errorf("first run of the group: %v", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if n := notes.String(); n != "" {
		t.Errorf("notices: %s", n)
	}
	produce(t, cl, rec("bids", 0, "", bidJSON(6, 0, 0)))
	s = openSource(t, cfg(append([]string{"properties.group.id", "g1", "scan.startup.mode", "group-offsets"}, bounded...)...), io.Discard)
	if got := readRows(t, s, -1); !reflect.DeepEqual(got, []string{"6"}) {
		t.Errorf("group-offsets: %v, want [6]", got)
	}
	s.Close()

	// A group without commits needs 'auto.offset.reset'.
	bad, err := newSource(cfg(append([]string{"properties.group.id", "nobody", "scan.startup.mode", "group-offsets"}, bounded...)...), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	if err := bad.Open(ctx); err == nil || !strings.Contains(err.Error(), "'properties.auto.offset.reset'") {
		t.Errorf("group without commits: %v", err)
	}
}

func TestSourceMissingTopicIsAPlanningError(t *testing.T) {
	_, addr := cluster(t, kfake.SeedTopics(1, "bids", "asks"))
	mem := checkedMem(t)
	_, err := NewSource(sourceConfig(mem, bidSchema, addr, "topic", "bids;nope", "format", "json"))
	if !errors.Is(err, ErrUnknownTopic) || !strings.Contains(err.Error(), `"nope"`) || !strings.Contains(err.Error(), "asks, bids") {
		t.Errorf("missing topic: %v", err)
	}
	_, err = NewSource(sourceConfig(mem, bidSchema, addr, "topic", "bids", "format", "json", "bad_records", "dlq", "bad_records.dlq-topic", "dead"))
	if !errors.Is(err, ErrUnknownTopic) || !strings.Contains(err.Error(), "dlq-topic") {
		t.Errorf("missing dead-letter topic: %v", err)
	}
	s, err := NewSource(sourceConfig(mem, bidSchema, addr, "topic-pattern", "b.*", "format", "json"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Splits() != 1 {
		t.Errorf("pattern splits = %d, want 1 (bids only)", s.Splits())
	}
	s.Close()
}

func TestSourceOptionErrors(t *testing.T) {
	for _, tc := range []struct {
		kv   []string
		want string
	}{
		{[]string{"topic", "t"}, "missing option 'format'"},
		{[]string{"format", "json"}, "missing option 'topic'"},
		{[]string{"topic", "t", "topic-pattern", "x", "format", "json"}, "not both"},
		{[]string{"topic", "t", "format", "json", "key.fields", "auction"}, "'key.format'"},
		{[]string{"topic", "t", "format", "json", "key.fields", "nope", "key.format", "json"}, `"nope", which is not a column`},
		{[]string{"topic", "t", "format", "raw"}, "one VARCHAR column"},
		{[]string{"topic", "t", "format", "json", "scan.startup.mode", "group-offsets"}, "'properties.group.id'"},
		{[]string{"topic", "t", "format", "json", "scan.startup.mode", "specific-offsets", "scan.startup.specific-offsets", "p:1"}, "the keys are partition and offset"},
		{[]string{"topic", "t", "format", "json", "properties.security.protocol", "SASL_PLAINTEXT"}, "needs credentials"},
		{[]string{"topic", "t", "format", "json", "bad_records", "dlq"}, "'bad_records.dlq-topic'"},
	} {
		cfg := sourceConfig(nil, bidSchema, "127.0.0.1:1", tc.kv...)
		_, err := newSource(cfg, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one containing %q", tc.kv, err, tc.want)
		}
	}
	// Unknown client properties are rejected when the source is declared,
	// naming the closest supported one, or listing them.
	_, err := Spec.Validate(map[string]string{"properties.sasl.mechanisms": "PLAIN"})
	if !errors.Is(err, connectors.ErrUnknownOption) || !strings.Contains(err.Error(), "did you mean 'properties.sasl.mechanism'") {
		t.Errorf("misspelt property: %v", err)
	}
	_, err = Spec.Validate(map[string]string{"properties.zookeeper.connect": "x"})
	if !errors.Is(err, connectors.ErrUnknownOption) || !strings.Contains(err.Error(), "'properties.bootstrap.servers'") {
		t.Errorf("unknown property: %v", err)
	}
	_, err = parseClientProps(connectors.Options{"properties.bootstrap.servers": "a:1", "properties.zookeeper.connect": "x"})
	if !errors.Is(err, connectors.ErrUnknownOption) || !strings.Contains(err.Error(), "bootstrap.servers, group.id") {
		t.Errorf("unknown property, parsed directly: %v", err)
	}
}
