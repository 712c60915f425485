package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// lockedBuffer is a bytes.Buffer safe to read while another goroutine
// writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestKafkaDevRunsTheExample starts `weir kafka-dev` on a free port, runs
// examples/kafka/bids.sql against it (with checkpoints, so the exactly-once
// sink commits through them), stops the broker as Ctrl-C would, and checks
// the example's output.
func TestKafkaDevRunsTheExample(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- runMain(ctx, []string{"kafka-dev", "--port", "0"}, &cliEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut})
	}()
	addrRE := regexp.MustCompile(`listens on (127\.0\.0\.1:\d+)`)
	end := time.Now().Add(time.Minute)
	var addr string
	for addr == "" || !strings.Contains(out.String(), "Stop with Ctrl-C.") {
		select {
		case code := <-done:
			t.Fatalf("kafka-dev ended with %d:\n%s%s", code, out.String(), errOut.String())
		default:
		}
		if time.Now().After(end) {
			t.Fatalf("kafka-dev did not start:\n%s%s", out.String(), errOut.String())
		}
		time.Sleep(20 * time.Millisecond)
		if m := addrRE.FindStringSubmatch(out.String()); m != nil {
			addr = m[1]
		}
	}
	if !strings.Contains(out.String(), "topic bids: 100000 Nexmark bids as JSON") {
		t.Errorf("kafka-dev says:\n%s", out.String())
	}

	src, err := os.ReadFile(filepath.Join("..", "..", "examples", "kafka", "bids.sql"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "bids.sql")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(string(src), "localhost:9092", addr)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, got, stderr := run(t, "", "run", "--format", "csv", path)
	if code != exitOK {
		t.Fatalf("weir run examples/kafka/bids.sql: exit %d\n%s", code, stderr)
	}
	want := "auction,window_start,bids,top_price\n" +
		"1500,2024-01-01 00:00:00,841,97784096\n" +
		"2700,2024-01-01 00:00:00,833,98677008\n" +
		"7200,2024-01-01 00:00:10,820,99672360\n" +
		"3000,2024-01-01 00:00:00,819,92880408\n" +
		"6000,2024-01-01 00:00:00,814,99845528\n"
	if got != want {
		t.Errorf("example output:\n%s\nwant\n%s", got, want)
	}

	cancel() // Ctrl-C
	if code := <-done; code != exitOK {
		t.Errorf("kafka-dev exit %d: %s", code, errOut.String())
	}
	if !strings.HasSuffix(out.String(), "weir kafka-dev: stopped\n") {
		t.Errorf("kafka-dev did not say it stopped:\n%s", out.String())
	}
}

func TestKafkaDevUsage(t *testing.T) {
	code, _, errOut := run(t, "", "kafka-dev", "--partitions", "0")
	if code != exitUsage || !strings.Contains(errOut, "--partitions at least 1") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

// committedRecords reads a topic from its start up to its last stable
// offset (read_committed) and returns the values.
func committedRecords(t *testing.T, addr, topic string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var out []string
	for {
		pctx, pcancel := context.WithTimeout(ctx, 300*time.Millisecond)
		fs := cl.PollFetches(pctx)
		pcancel()
		if ctx.Err() != nil {
			t.Fatal(ctx.Err())
		}
		n := len(out)
		fs.EachRecord(func(r *kgo.Record) { out = append(out, string(r.Value)) })
		if len(out) == n {
			return out
		}
	}
}

// TestKafkaKillNineExactlyOnce runs a query from a topic into a topic with
// an exactly-once sink in a real weir process, kills it with SIGKILL in the
// middle of the stream, starts it again with the same command, and checks
// that the output topic, read with read_committed, holds every input
// record exactly once.
func TestKafkaKillNineExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "weir")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(0), kfake.SeedTopics(3, "in", "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	addr := c.ListenAddrs()[0]
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	produce := func(from, to int) {
		for i := from; i < to; i++ {
			r := &kgo.Record{Topic: "in", Partition: int32(i % 3), Value: []byte(fmt.Sprintf(`{"id":%d,"v":%d}`, i, 2*i))}
			cl.Produce(context.Background(), r, func(_ *kgo.Record, err error) {
				if err != nil {
					t.Error(err)
				}
			})
		}
		if err := cl.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "copy.sql")
	sql := `CREATE SOURCE src (id BIGINT, v BIGINT) WITH ('connector' = 'kafka', 'topic' = 'in',
  'properties.bootstrap.servers' = '` + addr + `', 'format' = 'json');
CREATE SINK dst WITH ('connector' = 'kafka', 'topic' = 'out', 'properties.bootstrap.servers' = '` + addr + `',
  'format' = 'json', 'sink.delivery-guarantee' = 'exactly-once', 'sink.transactional-id-prefix' = 'copy')
AS SELECT id, v FROM src;
`
	if err := os.WriteFile(path, []byte(sql), 0o644); err != nil {
		t.Fatal(err)
	}
	start := func() (*exec.Cmd, *lockedBuffer) {
		cmd := exec.Command(bin, "run", "--checkpoint-interval", "100ms", path)
		var errOut lockedBuffer
		cmd.Stdout, cmd.Stderr = &errOut, &errOut
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, &errOut
	}
	waitCommitted := func(n int, cmd *exec.Cmd, log *lockedBuffer) {
		end := time.Now().Add(time.Minute)
		for len(committedRecords(t, addr, "out")) < n {
			if time.Now().After(end) {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("fewer than %d records committed in time; weir says:\n%s", n, log.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	produce(0, 3000)
	cmd, log := start()
	waitCommitted(1000, cmd, log) // some checkpoints have committed
	produce(3000, 6000)
	if err := cmd.Process.Kill(); err != nil { // kill -9
		t.Fatal(err)
	}
	cmd.Wait()
	produce(6000, 9000)

	cmd, log = start()
	waitCommitted(9000, cmd, log)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if strings.Contains(log.String(), "failed") {
		t.Errorf("weir says:\n%s", log.String())
	}
	got := committedRecords(t, addr, "out")
	seen := map[string]int{}
	for _, v := range got {
		seen[v]++
	}
	for i := 0; i < 9000; i++ {
		if v := fmt.Sprintf(`{"id":%d,"v":%d}`, i, 2*i); seen[v] != 1 {
			t.Fatalf("%s is in the output %d times (of %d records)", v, seen[v], len(got))
		}
	}
	if len(got) != 9000 {
		t.Errorf("the output holds %d records, want 9000", len(got))
	}
}
