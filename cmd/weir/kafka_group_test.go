package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// groupQuery is the stateless query both processes of
// startSharing starts process a, waits until it has committed output,
// then starts process b and waits until b has taken partitions from a and
// committed output too.
func startSharing(t *testing.T, bin, addr string) (a, b *groupProc, procs []*groupProc) {
	t.Helper()
	a = startGroupProc(t, bin, addr, "a")
	procs = []*groupProc{a}
	waitUntil(t, "a to commit output", procs, func() bool { return len(a.rows()) >= 200 })
	b = startGroupProc(t, bin, addr, "b")
	procs = append(procs, b)
	waitUntil(t, "b to take partitions from a and commit output", procs, func() bool {
		return len(b.rows()) >= 200 && strings.Contains(a.log.String(), "revoked")
	})
	return a, b, procs
}

// TestKafkaGroupRebalanceTwoProcesses run, each from its own folder (so
// with its own state directory and its own out.csv).
const groupQuery = `CREATE SOURCE src (id BIGINT, v BIGINT)
WITH ('connector' = 'kafka', 'topic' = 'in', 'properties.bootstrap.servers' = '%s', 'format' = 'json',
      'scan.partition.assignment' = 'group', 'properties.group.id' = 'copy',
      'properties.heartbeat.interval.ms' = '200', 'properties.session.timeout.ms' = '6000');
CREATE SINK out WITH ('connector' = 'file', 'path' = 'out.csv', 'format' = 'csv') AS
SELECT id, v FROM src WHERE v %% 2 = 0;
`

// groupProc is one `weir run` of the group query.
type groupProc struct {
	name string
	dir  string
	cmd  *exec.Cmd
	log  *lockedBuffer
}

func startGroupProc(t *testing.T, bin, addr, name string) *groupProc {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "copy.sql"), []byte(fmt.Sprintf(groupQuery, addr)), 0o644); err != nil {
		t.Fatal(err)
	}
	p := &groupProc{name: name, dir: dir}
	p.start(t, bin)
	return p
}

// start runs the query (again: it resumes from its last checkpoint).
func (p *groupProc) start(t *testing.T, bin string) {
	t.Helper()
	p.log = &lockedBuffer{}
	cmd := exec.Command(bin, "run", "--checkpoint-interval", "200ms", filepath.Join(p.dir, "copy.sql"))
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.cmd = cmd
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
}

// rows returns the committed output rows (no header).
func (p *groupProc) rows() []string {
	b, _ := os.ReadFile(filepath.Join(p.dir, "out.csv"))
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l != "" && l != "id,v" {
			out = append(out, l)
		}
	}
	return out
}

// stop sends SIGTERM and waits for a clean exit.
func (p *groupProc) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s after SIGTERM: %v\n%s", p.name, err, p.log.String())
		}
	case <-time.After(time.Minute):
		p.cmd.Process.Kill()
		t.Fatalf("%s did not stop after SIGTERM:\n%s", p.name, p.log.String())
	}
}

// TestKafkaGroupRebalanceTwoProcesses is the rebalance test with two
// consumer processes: two real `weir run` processes of the same stateless
// query share the partitions of a topic through the consumer group while
// records keep coming. The second starts in the middle of the stream and
// takes partitions from the first; then the first stops (SIGTERM) and its
// partitions move to the second; then the first runs again, resuming from
// its checkpoint, and takes some back. The union of their committed
// outputs holds every selected input record exactly once.
func TestKafkaGroupRebalanceTwoProcesses(t *testing.T) {
	bin := buildWeirBin(t)
	addr, cl := groupCluster(t)
	pr := startGroupProducer(t, cl)
	defer pr.stop()
	a, b, procs := startSharing(t, bin, addr)
	aRows := len(a.rows())
	waitUntil(t, "a to go on with the partitions it kept", procs, func() bool { return len(a.rows()) >= aRows+100 })
	a.stop(t)
	if !strings.Contains(a.log.String(), "stopped after checkpoint") {
		t.Errorf("a did not stop after a checkpoint:\n%s", a.log.String())
	}
	bRows := len(b.rows())
	waitUntil(t, "b to read every partition", procs, func() bool {
		return strings.Count(b.log.String(), "assigned") >= 2 && len(b.rows()) >= bRows+300
	})
	// a comes back: it resumes from its checkpoint, whose positions of
	// in/0 and in/1 are behind the group's now, and gets partitions again.
	aLog := a.log.String()
	a.start(t, bin)
	aRows = len(a.rows())
	waitUntil(t, "the restarted a to get partitions and commit output", procs, func() bool {
		return strings.Contains(a.log.String(), "resuming from checkpoint") && strings.Contains(a.log.String(), "assigned") &&
			len(a.rows()) >= aRows+100
	})
	pr.stop()
	total := pr.total()
	want := selected(total)
	waitUntil(t, fmt.Sprintf("the %d selected records of %d to be committed", want, total), procs, func() bool {
		return len(a.rows())+len(b.rows()) >= want
	})
	b.stop(t)
	a.stop(t)

	seen := map[string]string{}
	for _, p := range procs {
		for _, r := range p.rows() {
			if prev, dup := seen[r]; dup {
				t.Fatalf("row %s is in the output of %s and of %s", r, prev, p.name)
			}
			seen[r] = p.name
		}
	}
	for i := 0; i < total; i++ {
		r := fmt.Sprintf("%d,%d", i, i%3)
		if _, ok := seen[r]; ok != (i%3%2 == 0) {
			t.Fatalf("row %s: in the output %v (%d records produced)", r, ok, total)
		}
	}
	if len(seen) != want {
		t.Fatalf("%d rows in the outputs, want %d", len(seen), want)
	}
	t.Logf("%d records, %d selected: %d rows from a, %d from b", total, want, len(a.rows()), len(b.rows()))
	t.Logf("--- a, first run:\n%s", aLog)
	for _, p := range procs {
		t.Logf("--- %s:\n%s", p.name, p.log.String())
	}
}

// groupCluster starts a broker with the 4-partition topic "in" and returns
// its address and a producer.
func groupCluster(t *testing.T) (string, *kgo.Client) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(0), kfake.SeedTopics(4, "in"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	addr := c.ListenAddrs()[0]
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return addr, cl
}

// groupProducer writes a steady stream over the four partitions of "in":
// record i is {"id":i,"v":i%3}.
type groupProducer struct {
	n    atomic.Int64
	quit chan struct{}
	wg   sync.WaitGroup
}

func startGroupProducer(t *testing.T, cl *kgo.Client) *groupProducer {
	p := &groupProducer{quit: make(chan struct{})}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			select {
			case <-p.quit:
				return
			case <-time.After(5 * time.Millisecond):
			}
			n := int(p.n.Load())
			var recs []*kgo.Record
			for i := n; i < n+10; i++ {
				recs = append(recs, &kgo.Record{Topic: "in", Partition: int32(i % 4), Value: []byte(fmt.Sprintf(`{"id":%d,"v":%d}`, i, i%3))})
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			err := cl.ProduceSync(ctx, recs...).FirstErr()
			cancel()
			if err != nil {
				t.Error(err)
				return
			}
			p.n.Add(int64(len(recs)))
		}
	}()
	return p
}

// stop ends the stream (safe to call twice).
func (p *groupProducer) stop() {
	select {
	case <-p.quit:
	default:
		close(p.quit)
	}
	p.wg.Wait()
}

// total is the number of records written.
func (p *groupProducer) total() int { return int(p.n.Load()) }

// selected is how many of the first total records the query keeps (v %
// 2 = 0, with v = id % 3).
func selected(total int) int {
	n := 0
	for i := 0; i < total; i++ {
		if i%3%2 == 0 {
			n++
		}
	}
	return n
}

// waitUntil polls cond for a minute, then fails with the processes' logs.
func waitUntil(t *testing.T, what string, procs []*groupProc, cond func() bool) {
	t.Helper()
	end := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(end) {
			var logs strings.Builder
			for _, p := range procs {
				fmt.Fprintf(&logs, "--- %s:\n%s\n", p.name, p.log.String())
			}
			t.Fatalf("timed out waiting for %s\n%s", what, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestKafkaGroupKillNine: when one of two processes is killed (SIGKILL),
// the group gives its partitions to the other once its session times out,
// and they resume from the group's offsets: no record is lost, and the
// only rows repeated are of the killed process's partitions, read since
// its last commit to the group (at least once for that case).
func TestKafkaGroupKillNine(t *testing.T) {
	bin := buildWeirBin(t)
	addr, cl := groupCluster(t)
	pr := startGroupProducer(t, cl)
	defer pr.stop()
	a, b, procs := startSharing(t, bin, addr)
	if err := a.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	a.cmd.Wait()
	waitUntil(t, "b to get a's partitions after a's session timed out", procs, func() bool {
		return strings.Count(b.log.String(), "assigned") >= 2
	})
	bRows := len(b.rows())
	waitUntil(t, "b to go on with every partition", procs, func() bool { return len(b.rows()) >= bRows+300 })
	pr.stop()
	total := pr.total()
	want := selected(total)
	distinct := func() map[string]int {
		seen := map[string]int{}
		for _, p := range procs {
			for _, r := range p.rows() {
				seen[r]++
			}
		}
		return seen
	}
	waitUntil(t, fmt.Sprintf("the %d selected records of %d to be committed", want, total), procs, func() bool {
		return len(distinct()) >= want
	})
	b.stop(t)
	seen := distinct()
	dups := 0
	for i := 0; i < total; i++ {
		r := fmt.Sprintf("%d,%d", i, i%3)
		if n := seen[r]; (n > 0) != (i%3%2 == 0) || n > 2 {
			t.Fatalf("row %s is in the outputs %d times (%d records produced)", r, n, total)
		} else if n == 2 {
			dups++
		}
	}
	if len(seen) != want {
		t.Fatalf("%d distinct rows in the outputs, want %d", len(seen), want)
	}
	for _, p := range procs {
		if rows := p.rows(); len(rows) != len(dedup(rows)) {
			t.Errorf("%s's output repeats rows", p.name)
		}
	}
	t.Logf("%d records, %d selected, %d read again after the kill; %d rows from a, %d from b", total, want, dups, len(a.rows()), len(b.rows()))
	t.Logf("--- b:\n%s", b.log.String())
}

func dedup(rows []string) map[string]bool {
	m := map[string]bool{}
	for _, r := range rows {
		m[r] = true
	}
	return m
}

// TestKafkaGroupStatefulRefused: `weir run` of a query with state over a
// group-mode source fails before it runs, naming the source and the
// option, and leaves the sink's earlier output alone.
func TestKafkaGroupStatefulRefused(t *testing.T) {
	bin := buildWeirBin(t)
	addr, _ := groupCluster(t)
	dir := t.TempDir()
	q := filepath.Join(dir, "count.sql")
	sql := strings.Replace(fmt.Sprintf(groupQuery, addr), "SELECT id, v FROM src WHERE v % 2 = 0;",
		"SELECT v, COUNT(*) AS n FROM src GROUP BY v;", 1)
	if err := os.WriteFile(q, []byte(sql), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "out.csv"), []byte("v,n\n0,7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "run", q).CombinedOutput()
	if err == nil || !strings.Contains(string(out), `kafka source "src": 'scan.partition.assignment' = 'group' shares partitions between processes, so it needs a query without state`) ||
		!strings.Contains(string(out), "GroupAggregateExec") {
		t.Fatalf("weir run: %v\n%s", err, out)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "out.csv")); string(b) != "v,n\n0,7\n" {
		t.Errorf("out.csv after the refused run: %q", b)
	}
	t.Logf("%s", out)
}
