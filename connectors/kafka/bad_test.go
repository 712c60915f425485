package kafka

import (
	"context"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/weirsql/weir/exec"
)

// produceBad writes two good bids around a bad one (offset 1 of partition 0).
func produceBad(t *testing.T, addr string) {
	cl := client(t, addr)
	produce(t, cl,
		rec("bids", 0, "", bidJSON(1, 10, 0)),
		rec("bids", 0, "k", `{"auction":2,"price":"abc"}`),
		rec("bids", 0, "", bidJSON(3, 30, 0)),
	)
}

func TestBadRecordFailNamesTopicPartitionOffset(t *testing.T) {
	_, addr := cluster(t, kfake.SeedTopics(1, "bids"))
	produceBad(t, addr)
	mem := checkedMem(t)
	s := openSource(t, sourceConfig(mem, bidSchema, addr, "topic", "bids", "format", "json", "scan.bounded.mode", "latest-offset"), io.Discard)
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	var err error
	for err == nil {
		var b exec.SourceBatch
		b, err = s.Next(ctx)
		if b.Record != nil {
			b.Record.Release()
		}
	}
	var bad *RecordError
	if !errors.As(err, &bad) || !errors.Is(err, ErrBadRecord) {
		t.Fatalf("error %v, want a *RecordError", err)
	}
	want := `topic "bids" partition 0 offset 1: value: column "price": "abc" is not a BIGINT`
	if bad.Error() != want || !strings.Contains(err.Error(), "'bad_records' = 'skip'") {
		t.Errorf("error %q, want %q and a hint", err, want)
	}
}

func TestBadRecordSkipIsCounted(t *testing.T) {
	_, addr := cluster(t, kfake.SeedTopics(1, "bids"))
	produceBad(t, addr)
	mem := checkedMem(t)
	cfg := sourceConfig(mem, bidSchema, addr, "topic", "bids", "format", "json", "scan.bounded.mode", "latest-offset", "bad_records", "skip")
	cfg.Projection = []int{0, 1}
	s := openSource(t, cfg, io.Discard)
	if got := readRows(t, s, -1); !reflect.DeepEqual(got, []string{"1|10", "3|30"}) {
		t.Errorf("rows %v", got)
	}
	if s.BadRecords() != 1 || s.FirstBadRecord() == nil || s.FirstBadRecord().Offset != 1 {
		t.Errorf("bad records %d, first %v", s.BadRecords(), s.FirstBadRecord())
	}
}

func TestBadRecordGoesToDeadLetterTopic(t *testing.T) {
	_, addr := cluster(t, kfake.SeedTopics(1, "bids", "bids-dlq"))
	produceBad(t, addr)
	mem := checkedMem(t)
	cfg := sourceConfig(mem, bidSchema, addr, "topic", "bids", "format", "json", "scan.bounded.mode", "latest-offset",
		"bad_records", "dlq", "bad_records.dlq-topic", "bids-dlq")
	cfg.Projection = []int{1, 0} // a column that is not read is not checked
	s := openSource(t, cfg, io.Discard)
	if got := readRows(t, s, -1); !reflect.DeepEqual(got, []string{"10|1", "30|3"}) {
		t.Errorf("rows %v", got)
	}
	// Position waits for the dead letters, so a checkpoint never gets ahead of them.
	if _, err := s.Position(); err != nil {
		t.Fatal(err)
	}
	dead := readTopic(t, addr, "bids-dlq", true)
	if len(dead) != 1 {
		t.Fatalf("dead letters: %d, want 1", len(dead))
	}
	d := dead[0]
	headers := map[string]string{}
	for _, h := range d.Headers {
		headers[h.Key] = string(h.Value)
	}
	if string(d.Value) != `{"auction":2,"price":"abc"}` || string(d.Key) != "k" ||
		headers["weir.topic"] != "bids" || headers["weir.partition"] != "0" || headers["weir.offset"] != "1" ||
		!strings.Contains(headers["weir.error"], `column "price"`) {
		t.Errorf("dead letter %q key %q headers %v", d.Value, d.Key, headers)
	}
	if s.BadRecords() != 1 {
		t.Errorf("bad records %d", s.BadRecords())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
