package slt

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseAndFormatRoundTrip(t *testing.T) {
	src := `# a comment
statement ok
CREATE SOURCE s (a INT)
WITH ('connector' = 'file', 'path' = 'x.csv', 'format' = 'csv')

query rowsort
SELECT a
FROM s
----
a
1
2

statement error
SELECT b FROM s
----
old error
`
	recs, err := ParseFile("t.slt", src)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("got %d records, want 3", len(recs))
	}
	if r := recs[1]; r.Kind != "query" || !r.RowSort || r.SQL != "SELECT a\nFROM s" || r.Expected != "a\n1\n2" || r.Line != 6 {
		t.Errorf("query record = %+v", r)
	}
	if r := recs[2]; !r.Error || r.Expected != "old error" {
		t.Errorf("error record = %+v", r)
	}
	if got := Format(src, recs); got != src {
		t.Errorf("Format changed an unmodified file:\n%s", Diff(src, got))
	}
	recs[2].Expected = "new error\nline two"
	got := Format(src, recs)
	if !strings.Contains(got, "----\nnew error\nline two\n") || strings.Contains(got, "old error") {
		t.Errorf("Format did not replace the expectation:\n%s", got)
	}
}

func TestParseRejectsUnknownDirective(t *testing.T) {
	if _, err := ParseFile("t.slt", "querry\nSELECT 1\n"); err == nil || !strings.Contains(err.Error(), "t.slt:1:") {
		t.Errorf("err = %v, want a positioned error", err)
	}
	if _, err := ParseFile("t.slt", "query sorted\nSELECT 1\n"); err == nil {
		t.Error("unknown query option accepted")
	}
}

func TestDiff(t *testing.T) {
	d := Diff("a\nb\nc", "a\nx\nc")
	want := "--- want\n+++ got\n  a\n- b\n+ x\n  c\n"
	if d != want {
		t.Errorf("Diff =\n%s\nwant\n%s", d, want)
	}
}

func TestParseKafkaRecords(t *testing.T) {
	src := `kafka produce users partitions 2
0|1|{"id":1}
@1704067205000 1||a|b
@2024-01-01T00:00:06Z 0|k|NULL
0|k|

kafka produce empty

kafka consume users rowsort
----
0|1|{"id":1}
`
	recs, err := ParseFile("t.slt", src)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("got %d records, want 3", len(recs))
	}
	p := recs[0]
	if p.Kind != "kafka" || p.Kafka.Op != "produce" || p.Kafka.Topic != "users" || p.Kafka.Partitions != 2 || len(p.Kafka.Messages) != 4 || p.HasExpected {
		t.Fatalf("produce record = %+v %+v", p, p.Kafka)
	}
	ms := p.Kafka.Messages
	if m := ms[0]; m.Line != 2 || m.Partition != 0 || string(m.Key) != "1" || string(m.Value) != `{"id":1}` || !m.Timestamp.IsZero() {
		t.Errorf("message 1 = %+v", m)
	}
	want := time.Date(2024, 1, 1, 0, 0, 5, 0, time.UTC)
	if m := ms[1]; m.Partition != 1 || m.Key != nil || string(m.Value) != "a|b" || !m.Timestamp.Equal(want) {
		t.Errorf("message 2 = %+v (want a null key, value a|b, timestamp %v)", m, want)
	}
	if m := ms[2]; m.Value != nil || !m.Timestamp.Equal(want.Add(time.Second)) {
		t.Errorf("message 3 = %+v (want a tombstone)", m)
	}
	if m := ms[3]; m.Value == nil || len(m.Value) != 0 {
		t.Errorf("message 4 = %+v (want an empty, not null, value)", m)
	}
	if e := recs[1]; e.Kafka.Topic != "empty" || e.Kafka.Partitions != 0 || len(e.Kafka.Messages) != 0 {
		t.Errorf("empty produce record = %+v", e.Kafka)
	}
	if c := recs[2]; c.Kafka.Op != "consume" || !c.RowSort || !c.HasExpected || c.Expected != `0|1|{"id":1}` || c.Line != 9 {
		t.Errorf("consume record = %+v", c)
	}
	if got := Format(src, recs); got != src {
		t.Errorf("Format changed an unmodified file:\n%s", Diff(src, got))
	}
}

func TestParseKafkaErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"kafka\n0|k|v\n", "t.slt:1: want 'kafka produce"},
		{"kafka send users\n0|k|v\n", "t.slt:1: want 'kafka produce"},
		{"kafka produce users partitions\n", "t.slt:1: want 'kafka produce TOPIC [partitions N]'"},
		{"kafka produce users partitions 0\n", `t.slt:1: partitions "0"`},
		{"kafka produce users shards 2\n", "t.slt:1: want 'kafka produce TOPIC [partitions N]'"},
		{"kafka consume users sorted\n----\n", `t.slt:1: unknown kafka consume option "sorted"`},
		{"kafka produce users\n0|k|v\nno bars here\n", `t.slt:3: kafka message: want PARTITION|KEY|VALUE, got "no bars here"`},
		{"kafka produce users\n0|k\n", `t.slt:2: kafka message: want PARTITION|KEY|VALUE, got "0|k" (no '|' after the key)`},
		{"kafka produce users\nx|k|v\n", `t.slt:2: kafka message: partition "x"`},
		{"kafka produce users\n-1|k|v\n", `t.slt:2: kafka message: partition "-1"`},
		{"kafka produce users\n@soon 0|k|v\n", `t.slt:2: kafka message: timestamp "soon"`},
		{"kafka produce users\n@123|0|k|v\n", "t.slt:2: kafka message: want '@TIMESTAMP PARTITION|KEY|VALUE'"},
		{"kafka produce users\n0|k|v\n----\nx\n", "t.slt:3: kafka produce has no expected block"},
		{"kafka consume users\n0|k|v\n----\n", "t.slt:2: kafka consume takes no lines"},
	} {
		_, err := ParseFile("t.slt", tc.src)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseFile(%q) = %v, want an error containing %q", tc.src, err, tc.want)
		}
	}
}

// TestRunKafka runs a file against its own broker: produce, a bounded
// source over it, a sink and a consume, with $KAFKA in error output.
func TestRunKafka(t *testing.T) {
	src := `kafka produce in partitions 2
@2024-01-01T00:00:01Z 0|a|{"v":1}
1|b|{"v":2}
0|a|NULL

statement ok
CREATE SOURCE s (v BIGINT, p INT METADATA FROM 'partition', ts TIMESTAMP(3) METADATA FROM 'timestamp')
WITH ('connector' = 'kafka', 'topic' = 'in', 'properties.bootstrap.servers' = '$KAFKA',
  'format' = 'json', 'scan.bounded.mode' = 'latest-offset')

query rowsort
SELECT v, p, ts FROM s
----
v,p,ts
1,0,2024-01-01 00:00:01
2,1,2024-01-01 12:00:00

kafka produce out

statement ok
CREATE SINK out WITH ('connector' = 'kafka', 'topic' = 'out', 'properties.bootstrap.servers' = '$KAFKA', 'format' = 'json')
AS SELECT v * 10 AS w FROM s

kafka consume out rowsort
----
0||{"w":20}
0||{"w":10}

kafka consume in
----
0|a|{"v":1}
0|a|NULL
1|b|{"v":2}
`
	dir := t.TempDir()
	path := filepath.Join(dir, "k.slt")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	failures, err := RunFile(context.Background(), path, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range failures {
		t.Error(f.Error())
	}

	// A wrong expectation, a partition out of range and a missing topic
	// are failures of their records; the run goes on.
	bad := `kafka produce t
0|k|v

kafka consume t
----
0|k|w

kafka produce t
1|k|v

kafka produce t partitions 3

kafka consume missing
----

statement error
CREATE SINK x WITH ('connector' = 'kafka', 'topic' = 'nowhere', 'properties.bootstrap.servers' = '$KAFKA', 'format' = 'json')
AS SELECT 1 AS one
----
query.sql:1:13: sink x: kafka sink "x": unknown topic "nowhere" on the cluster at $KAFKA (its topics: t); create it first
  CREATE SINK x WITH ('connector' = 'kafka', 'topic' = 'nowhere', 'properties.bootstrap.servers' = '$KAFKA', 'format' = 'json')
              ^
`
	if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	failures, err = RunFile(context.Background(), path, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantLines := []int{4, 8, 11, 13}
	if len(failures) != len(wantLines) {
		for _, f := range failures {
			t.Log(f.Error())
		}
		t.Fatalf("got %d failures, want %d (lines %v)", len(failures), len(wantLines), wantLines)
	}
	for i, f := range failures {
		if f.Record.Line != wantLines[i] {
			t.Errorf("failure %d at line %d, want %d: %v", i, f.Record.Line, wantLines[i], f)
		}
	}
	for i, want := range []string{"- 0|k|w", "partition 1 of topic \"t\", which has 1 partition(s)", "has 1 partition(s), not 3", "kafka consume missing"} {
		if !strings.Contains(failures[i].Error(), want) {
			t.Errorf("failure %d = %v, want it to mention %q", i, failures[i], want)
		}
	}
	if !strings.Contains(failures[1].Error(), path+":9:") {
		t.Errorf("failure %v does not name the message's line", failures[1])
	}
}
