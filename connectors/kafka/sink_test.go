package kafka

import (
	"context"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/weirsql/weir/connectors"
	"github.com/weirsql/weir/exec"
	"github.com/weirsql/weir/sqltypes"
)

// outSchema is the schema of the query results the sink tests write.
var outSchema = arrow.NewSchema([]arrow.Field{
	field("auction", sqltypes.BigInt),
	field("name", sqltypes.Varchar),
	field("total", sqltypes.BigInt),
}, nil)

type outRow struct {
	auction int64
	name    string // "" is NULL
	total   int64
}

// batch builds a message of rows with ops (nil: inserts).
func batch(mem memory.Allocator, rows []outRow, ops ...exec.Op) exec.Message {
	b := array.NewRecordBuilder(mem, outSchema)
	defer b.Release()
	for _, r := range rows {
		b.Field(0).(*array.Int64Builder).Append(r.auction)
		if r.name == "" {
			b.Field(1).AppendNull()
		} else {
			b.Field(1).(*array.StringBuilder).Append(r.name)
		}
		b.Field(2).(*array.Int64Builder).Append(r.total)
	}
	m := exec.BatchMessage(b.NewRecord())
	if ops != nil {
		ob := array.NewInt8Builder(mem)
		defer ob.Release()
		for _, o := range ops {
			ob.Append(int8(o))
		}
		m.Ops = ob.NewInt8Array()
	}
	return m
}

func sinkOptions(t testing.TB, addr string, kv ...string) connectors.Options {
	t.Helper()
	raw := map[string]string{"connector": "kafka", "properties.bootstrap.servers": addr}
	for i := 0; i+1 < len(kv); i += 2 {
		raw[kv[i]] = kv[i+1]
	}
	opts, err := Spec.Validate(raw)
	if err != nil {
		t.Fatal(err)
	}
	return opts
}

// openSink makes and opens a sink named "out".
func openSink(t testing.TB, addr string, updating bool, kv ...string) exec.Sink {
	t.Helper()
	opts, err := parseSinkOptions("out", sinkOptions(t, addr, kv...))
	if err != nil {
		t.Fatal(err)
	}
	var s exec.Sink
	if opts.exactlyOnce {
		s = newTxnSink("out", opts, io.Discard)
	} else {
		s = newSink("out", opts, io.Discard)
	}
	t.Cleanup(func() { s.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	if err := s.Open(ctx, outSchema, updating); err != nil {
		t.Fatal(err)
	}
	return s
}

func write(t testing.TB, s exec.Sink, m exec.Message) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	if err := s.Write(ctx, m); err != nil {
		t.Fatal(err)
	}
}

func TestSinkWritesJSONWithKey(t *testing.T) {
	_, addr := cluster(t, kfake.SeedTopics(1, "out"))
	mem := checkedMem(t)
	s := openSink(t, addr, false, "topic", "out", "format", "json", "key.format", "json", "key.fields", "auction")
	write(t, s, batch(mem, []outRow{{1, "a\"b", 10}, {2, "", 20}}))
	write(t, s, exec.Message{Kind: exec.MsgBarrier, Barrier: 1}) // flushes
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	recs := readTopic(t, addr, "out", true)
	var got []string
	for _, r := range recs {
		got = append(got, string(r.Key)+" => "+string(r.Value))
	}
	want := []string{
		`{"auction":1} => {"auction":1,"name":"a\"b","total":10}`,
		`{"auction":2} => {"auction":2,"name":null,"total":20}`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("records\n%q\nwant\n%q", got, want)
	}
	if w := s.(*Sink).Written(); w != 2 {
		t.Errorf("written %d", w)
	}
}

func TestSinkCSVExceptKeyAndRaw(t *testing.T) {
	_, addr := cluster(t, kfake.SeedTopics(1, "csv", "raw"))
	mem := checkedMem(t)
	s := openSink(t, addr, false, "topic", "csv", "format", "csv", "key.format", "raw", "key.fields", "name",
		"value.fields-include", "EXCEPT_KEY", "csv.field-delimiter", ";")
	write(t, s, batch(mem, []outRow{{1, "x;y", 10}, {2, "z", 20}}))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range readTopic(t, addr, "csv", true) {
		got = append(got, string(r.Key)+" => "+string(r.Value))
	}
	if want := []string{"x;y => 1;10", "z => 2;20"}; !reflect.DeepEqual(got, want) {
		t.Errorf("csv: %q, want %q", got, want)
	}

	// 'raw' needs exactly one VARCHAR column.
	opts, err := parseSinkOptions("out", sinkOptions(t, addr, "topic", "raw", "format", "raw"))
	if err != nil {
		t.Fatal(err)
	}
	sink := newSink("out", opts, io.Discard)
	defer sink.Close()
	if err := sink.Open(context.Background(), outSchema, false); err == nil || !strings.Contains(err.Error(), "one VARCHAR column") {
		t.Errorf("raw with three columns: %v", err)
	}
}

// An updating result is written as upserts keyed by the key fields: +I and
// +U carry the row, -D a tombstone (the key, no value), and -U a tombstone
// too unless its key gets its new value later in the same batch.
func TestSinkChangelogAsUpsertsAndTombstones(t *testing.T) {
	_, addr := cluster(t, kfake.SeedTopics(1, "totals"))
	mem := checkedMem(t)
	s := openSink(t, addr, true, "topic", "totals", "format", "json", "key.format", "json", "key.fields", "auction")
	write(t, s, batch(mem, []outRow{{1, "a", 10}, {2, "b", 5}}, exec.OpInsert, exec.OpInsert))
	write(t, s, batch(mem, []outRow{{1, "a", 10}, {1, "a", 25}, {2, "b", 5}},
		exec.OpUpdateBefore, exec.OpUpdateAfter, exec.OpDelete))
	write(t, s, batch(mem, []outRow{{3, "c", 1}}, exec.OpInsert))
	write(t, s, batch(mem, []outRow{{3, "c", 1}}, exec.OpUpdateBefore)) // its +U comes in the next batch
	write(t, s, batch(mem, []outRow{{3, "c", 7}}, exec.OpUpdateAfter))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range readTopic(t, addr, "totals", true) {
		v := "<tombstone>"
		if r.Value != nil {
			v = string(r.Value)
		}
		got = append(got, string(r.Key)+" => "+v)
	}
	want := []string{
		`{"auction":1} => {"auction":1,"name":"a","total":10}`,
		`{"auction":2} => {"auction":2,"name":"b","total":5}`,
		`{"auction":1} => {"auction":1,"name":"a","total":25}`,
		`{"auction":2} => <tombstone>`,
		`{"auction":3} => {"auction":3,"name":"c","total":1}`,
		`{"auction":3} => <tombstone>`,
		`{"auction":3} => {"auction":3,"name":"c","total":7}`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("records\n%q\nwant\n%q", got, want)
	}

	// Without key fields an updating result cannot be written.
	opts, err := parseSinkOptions("out", sinkOptions(t, addr, "topic", "totals", "format", "json"))
	if err != nil {
		t.Fatal(err)
	}
	sink := newSink("out", opts, io.Discard)
	defer sink.Close()
	if err := sink.Open(context.Background(), outSchema, true); !errors.Is(err, connectors.ErrMissingOption) || !strings.Contains(err.Error(), "'key.fields'") {
		t.Errorf("updating without key: %v", err)
	}
}

func TestSinkMissingTopic(t *testing.T) {
	_, addr := cluster(t, kfake.SeedTopics(1, "out"))
	_, err := NewSink(connectors.SinkConfig{Name: "out", Options: sinkOptions(t, addr, "topic", "nope", "format", "json")})
	if !errors.Is(err, ErrUnknownTopic) || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("missing topic: %v", err)
	}
	_, err = NewSink(connectors.SinkConfig{Name: "out", Options: sinkOptions(t, addr, "topic", "a;b", "format", "json")})
	if err == nil || !strings.Contains(err.Error(), "one 'topic'") {
		t.Errorf("two topics: %v", err)
	}
}
