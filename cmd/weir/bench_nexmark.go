package main

// `weir bench nexmark`: runs the Nexmark query files of examples/nexmark
// over the built-in generator with their output discarded, and reports
// throughput per core of CPU actually used, peak heap and state held.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/engine"
	"github.com/weirsql/weir/examples/nexmark"
	"github.com/weirsql/weir/exec"
	"github.com/weirsql/weir/parser"
	"github.com/weirsql/weir/planner"
)

// nexmarkBenchOptions are the flags of `weir bench nexmark`.
type nexmarkBenchOptions struct {
	query  string // "all" or a comma-separated list of names
	events int64  // events of all kinds per query
	json   bool
}

// nexmarkResult is one measured query. Throughput counts every event of
// the stream (people, auctions and bids), as the published figures do. A
// query over several tables (the joins q3, q8, q20) has one source per
// table, all reading the same stream of Events event numbers, each making
// its own kind and skipping the others: Events counts that stream once,
// not once per source, as Flink's figures count the one generated stream
// its views split by kind. (q5 and q7 read the bids twice, in two scans of
// one source; their events are counted once too.)
type nexmarkResult struct {
	Query            string  `json:"query"`
	Events           int64   `json:"events"`
	RowsOut          int64   `json:"rows_out"`
	Seconds          float64 `json:"seconds"`
	CPUSeconds       float64 `json:"cpu_seconds"`
	EventsPerSec     float64 `json:"events_per_s"`
	EventsPerCoreSec float64 `json:"events_per_core_s"`
	// PeakHeapBytes is the largest heap (live and not yet swept objects)
	// sampled every few milliseconds while the query ran.
	PeakHeapBytes int64 `json:"peak_heap_bytes"`
	// StateBytes is the largest state of window aggregates and joins (an
	// estimate of what their buffered rows hold), summed over the
	// operators and sampled at each output batch; 0 when the query has
	// none or its operators do not measure it (unwindowed GROUP BY reports
	// StateKeys only).
	StateBytes int64 `json:"state_bytes"`
	// StateKeys is the largest number of groups (unwindowed GROUP BY) or
	// open windows and sessions held, sampled at each output batch.
	StateKeys int64 `json:"state_keys"`
	// TableRows is the number of rows of a lookup join's table (q13's side
	// input), loaded whole.
	TableRows int64 `json:"table_rows,omitempty"`
}

// selectNexmark resolves --query into query files.
func selectNexmark(list string) ([]nexmark.Query, error) {
	if strings.EqualFold(strings.TrimSpace(list), "all") {
		return nexmark.Queries(), nil
	}
	var out []nexmark.Query
	for _, name := range strings.Split(list, ",") {
		if strings.TrimSpace(name) == "" {
			continue
		}
		q, ok := nexmark.Lookup(name)
		if !ok {
			n := strings.ToLower(strings.TrimSpace(name))
			if !strings.HasPrefix(n, "q") {
				n = "q" + n
			}
			if why, ok := nexmark.Unsupported[n]; ok {
				return nil, fmt.Errorf("%s is not supported yet: it needs %s (queries: %s)", n, why, strings.Join(nexmark.Names(), ", "))
			}
			return nil, fmt.Errorf("unknown query %q (queries: %s, or all)", name, strings.Join(nexmark.Names(), ", "))
		}
		out = append(out, q)
	}
	if len(out) == 0 {
		return nil, errors.New("--query names no query")
	}
	return out, nil
}

// benchNexmark runs the selected queries one after another and prints a
// line per query as it finishes. When prof is set, one CPU profile covers
// every measured query.
func benchNexmark(ctx context.Context, o nexmarkBenchOptions, prof io.Writer, env *cliEnv) int {
	queries, err := selectNexmark(o.query)
	if err != nil {
		fmt.Fprintf(env.stderr, "weir bench nexmark: %v\n", err)
		return exitUsage
	}
	if o.events <= 0 {
		fmt.Fprintln(env.stderr, "weir bench nexmark: --events must be positive")
		return exitUsage
	}
	var enc *json.Encoder
	if o.json {
		enc = json.NewEncoder(env.stdout)
	} else {
		fmt.Fprintf(env.stdout, "Nexmark, %d events per query, output discarded. Events count the whole stream\n", o.events)
		fmt.Fprintln(env.stdout, "(people, auctions and bids, as the published figures do): a bid query reads 46 in 50;")
		fmt.Fprintln(env.stdout, "a join's sources read one stream, each its own kind, and its events count once.")
		fmt.Fprintf(env.stdout, "%-5s %11s %10s %8s %8s %12s %13s %10s %12s\n",
			"query", "events", "rows out", "seconds", "CPU s", "events/s", "events/s/core", "heap MB", "state")
	}
	// The queries' data files (q13's side input), where their relative
	// paths resolve.
	dataDir, err := os.MkdirTemp("", "weir-nexmark-")
	if err != nil {
		fmt.Fprintf(env.stderr, "weir bench nexmark: %v\n", err)
		return exitFailure
	}
	defer os.RemoveAll(dataDir)
	if err := nexmark.WriteData(dataDir); err != nil {
		fmt.Fprintf(env.stderr, "weir bench nexmark: %v\n", err)
		return exitFailure
	}
	if prof != nil {
		if err := pprof.StartCPUProfile(prof); err != nil {
			fmt.Fprintf(env.stderr, "weir bench nexmark: %v\n", err)
			return exitFailure
		}
		defer pprof.StopCPUProfile()
	}
	for _, q := range queries {
		r, err := runNexmarkQuery(ctx, q, o.events, dataDir, env)
		if err != nil {
			fmt.Fprintf(env.stderr, "weir bench nexmark: %s: %v\n", q.Name, err)
			return exitFailure
		}
		if enc != nil {
			if err := enc.Encode(r); err != nil {
				return exitFailure
			}
			continue
		}
		fmt.Fprintf(env.stdout, "%-5s %11d %10d %8.2f %8.2f %12.0f %13.0f %10.1f %12s\n",
			r.Query, r.Events, r.RowsOut, r.Seconds, r.CPUSeconds, r.EventsPerSec, r.EventsPerCoreSec,
			float64(r.PeakHeapBytes)/(1<<20), stateText(r))
	}
	if enc == nil {
		fmt.Fprintf(env.stdout, "(%d cores, GOMAXPROCS %d, %s; state: window aggregate, join and top-N state in MB, else groups or open sessions held, or a lookup table's rows)\n",
			runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version())
	}
	return exitOK
}

func stateText(r nexmarkResult) string {
	switch {
	case r.StateBytes > 0:
		return fmt.Sprintf("%.1f MB", float64(r.StateBytes)/(1<<20))
	case r.StateKeys > 0:
		return fmt.Sprintf("%d keys", r.StateKeys)
	case r.TableRows > 0:
		return fmt.Sprintf("%d rows", r.TableRows)
	}
	return "-"
}

// runNexmarkQuery runs the query file q over events events: its DDL
// through a session, with relative paths resolved against dataDir (where
// nexmark.WriteData put the data files), then its final SELECT planned and
// compiled here so that its output goes to a discarding sink that also
// samples the state the operators hold.
func runNexmarkQuery(ctx context.Context, q nexmark.Query, events int64, dataDir string, env *cliEnv) (nexmarkResult, error) {
	res := nexmarkResult{Query: q.Name, Events: events}
	src, err := nexmark.WithEvents(q.SQL, events)
	if err != nil {
		return res, err
	}
	stmts, err := parser.ParseFile(q.File, src)
	if err != nil {
		return res, err
	}
	last, ok := stmts[len(stmts)-1].(*parser.QueryStmt)
	if !ok {
		return res, fmt.Errorf("%s does not end with a SELECT", q.File)
	}
	sess := engine.NewSession(engine.Options{Stdout: io.Discard, Stderr: env.stderr})
	for _, st := range stmts[:len(stmts)-1] {
		if err := sess.Exec(ctx, st, dataDir); err != nil {
			return res, err
		}
	}
	plan, err := planner.New(sess.Catalog()).PlanQuery(last.Query)
	if err != nil {
		return res, err
	}
	op, err := planner.Compile(plan.Optimized, &planner.Env{
		Mem: memory.NewGoAllocator(), BatchSize: engine.DefaultBatchSize, Now: time.Now(),
	})
	if err != nil {
		return res, err
	}
	sink := &discardSink{root: op}
	runtime.GC()
	heap := startHeapMonitor()
	cpu0, t0 := cpuTime(), time.Now()
	_, err = exec.Run(ctx, op, sink, plan.Optimized.Props().Updating)
	wall, cpu := time.Since(t0).Seconds(), (cpuTime() - cpu0).Seconds()
	res.PeakHeapBytes = heap.stop()
	if err != nil {
		return res, err
	}
	res.RowsOut = sink.rows
	res.Seconds, res.CPUSeconds = wall, cpu
	res.EventsPerSec = float64(events) / wall
	if cpu > 0 {
		res.EventsPerCoreSec = float64(events) / cpu
	}
	res.StateBytes, res.StateKeys, res.TableRows = sink.stateBytes, sink.stateKeys, sink.tableRows
	return res, nil
}

// Operators that tell how much state they hold.
type (
	stateBytesReporter interface{ StateBytes() int64 }
	groupsReporter     interface{ Groups() int }
	windowsReporter    interface{ OpenWindows() int }
	tableRowsReporter  interface{ TableRows() int }
)

// discardSink drops every batch, counting rows, and at each batch samples
// the state of the operators below: exec.Run calls Write on the goroutine
// that pulls the operators, so reading them here is safe.
type discardSink struct {
	root       exec.Operator
	rows       int64
	stateBytes int64
	stateKeys  int64
	tableRows  int64
}

var _ exec.Sink = (*discardSink)(nil)

func (s *discardSink) Open(context.Context, *arrow.Schema, bool) error { return nil }
func (s *discardSink) Close() error                                    { return nil }

func (s *discardSink) Write(_ context.Context, m exec.Message) error {
	if m.Kind == exec.MsgBatch {
		s.rows += int64(m.NumRows())
		var nb, keys, table int64
		exec.Walk(s.root, func(o exec.Operator) {
			if r, ok := o.(tableRowsReporter); ok {
				table += int64(r.TableRows())
			}
			if r, ok := o.(stateBytesReporter); ok {
				nb += r.StateBytes()
			}
			if r, ok := o.(groupsReporter); ok {
				keys += int64(r.Groups())
			} else if r, ok := o.(windowsReporter); ok {
				keys += int64(r.OpenWindows())
			}
		})
		s.stateBytes = max(s.stateBytes, nb)
		s.stateKeys = max(s.stateKeys, keys)
		s.tableRows = max(s.tableRows, table)
	}
	m.Release()
	return nil
}

// heapMonitor samples the heap size every few milliseconds, without
// stopping the world (runtime/metrics), and keeps the largest.
type heapMonitor struct {
	done chan struct{}
	wg   sync.WaitGroup
	peak int64
}

const heapMetric = "/memory/classes/heap/objects:bytes"

func startHeapMonitor() *heapMonitor {
	m := &heapMonitor{done: make(chan struct{})}
	m.sample()
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-m.done:
				return
			case <-tick.C:
				m.sample()
			}
		}
	}()
	return m
}

func (m *heapMonitor) sample() {
	s := []metrics.Sample{{Name: heapMetric}}
	metrics.Read(s)
	if s[0].Value.Kind() == metrics.KindUint64 {
		m.peak = max(m.peak, int64(s[0].Value.Uint64()))
	}
}

// stop ends the sampling and returns the peak.
func (m *heapMonitor) stop() int64 {
	close(m.done)
	m.wg.Wait()
	m.sample()
	return m.peak
}
