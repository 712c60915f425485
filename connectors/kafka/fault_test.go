package kafka

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/weirsql/weir/exec"
	"github.com/weirsql/weir/internal/syncbuf"
)

// A broker that is down when the query starts: the source waits, says so,
// and reads once the broker is there.
func TestSourceWaitsForABrokerThatIsDownAtStart(t *testing.T) {
	port := freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	mem := checkedMem(t)
	notes := &syncbuf.Buffer{}
	cfg := sourceConfig(mem, bidSchema, addr, "topic", "bids", "format", "json", "scan.bounded.mode", "latest-offset")
	cfg.Projection = []int{0}
	s, err := newSource(cfg, notes)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.probe(); err != nil {
		t.Fatalf("planning with the broker down: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	opened := make(chan error, 1)
	go func() { opened <- s.Open(ctx) }()
	waitFor(t, "a notice about the broker", func() bool { return strings.Contains(notes.String(), "cannot reach the broker at "+addr) })

	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(port), kfake.SeedTopics(2, "bids"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cl := client(t, addr)
	produce(t, cl, rec("bids", 0, "", bidJSON(1, 0, 0)), rec("bids", 1, "", bidJSON(2, 0, 0)))
	if err := <-opened; err != nil {
		t.Fatal(err)
	}
	if got := sorted(readRows(t, s, -1)); !reflect.DeepEqual(got, []string{"1", "2"}) {
		t.Errorf("rows %v", got)
	}
	if !strings.Contains(notes.String(), "connected to the broker at "+addr) {
		t.Errorf("no notice that the broker came back:\n%s", notes)
	}
}

// A broker that goes away in the middle of a stream and comes back (with
// its data, on the same port): the source waits, reports it, and goes on
// from where it was, without losing or repeating a record.
func TestSourceSurvivesABrokerRestart(t *testing.T) {
	port := freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	dir := t.TempDir()
	start := func() *kfake.Cluster {
		c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(port), kfake.SeedTopics(2, "bids"), kfake.DataDir(dir), kfake.SyncWrites())
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := start()
	var want []string
	write := func(from, to int64) {
		cl := client(t, addr)
		for i := from; i < to; i++ {
			produce(t, cl, rec("bids", int32(i%2), "", bidJSON(i, 0, 0)))
			want = append(want, fmt.Sprint(i))
		}
		cl.Close()
	}
	write(0, 20)

	mem := checkedMem(t)
	notes := &syncbuf.Buffer{}
	cfg := sourceConfig(mem, bidSchema, addr, "topic", "bids", "format", "json")
	cfg.Projection = []int{0}
	s := openSource(t, cfg, notes)
	got := readRows(t, s, 20)

	c.Close()
	// Reading on while the broker is away: the source keeps returning
	// (empty) batches and reports the outage.
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	for !strings.Contains(notes.String(), "cannot reach the broker") {
		b, err := s.Next(ctx)
		if err != nil {
			t.Fatalf("while the broker is away: %v", err)
		}
		if b.Record != nil {
			got = append(got, rowStrings(b.Record)...)
			b.Record.Release()
		}
	}
	c = start()
	defer c.Close()
	write(20, 40)
	got = append(got, readRows(t, s, 40-len(got))...)
	if !reflect.DeepEqual(sorted(got), sorted(want)) {
		t.Errorf("read %d rows, want each of %d once: %v", len(got), len(want), sorted(got))
	}
	waitFor(t, "a notice that the broker is back", func() bool { return strings.Contains(notes.String(), "connected to the broker") })
}

// A broker that goes away while a sink writes: the producer keeps the
// records, retries, and delivers them once the broker is back.
func TestSinkSurvivesABrokerRestart(t *testing.T) {
	port := freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	dir := t.TempDir()
	start := func() *kfake.Cluster {
		c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(port), kfake.SeedTopics(1, "out"), kfake.DataDir(dir), kfake.SyncWrites())
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := start()
	mem := checkedMem(t)
	notes := &syncbuf.Buffer{}
	opts, err := parseSinkOptions("out", sinkOptions(t, addr, "topic", "out", "format", "json"))
	if err != nil {
		t.Fatal(err)
	}
	s := newSink("out", opts, notes)
	defer s.Close()
	if err := s.Open(bg(t), outSchema, false); err != nil {
		t.Fatal(err)
	}
	write(t, s, batch(mem, row(1)))
	write(t, s, exec.Message{Kind: exec.MsgBarrier, Barrier: 1})
	c.Close()
	write(t, s, batch(mem, row(2))) // buffered while the broker is away
	waitFor(t, "a notice about the broker", func() bool { return strings.Contains(notes.String(), "cannot reach the broker") })
	c = start()
	defer c.Close()
	write(t, s, batch(mem, row(3)))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := totals(readTopic(t, addr, "out", true)), []string{js(1), js(2), js(3)}; !reflect.DeepEqual(got, want) {
		t.Errorf("records %q, want %q", got, want)
	}
}
