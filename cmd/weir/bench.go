package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/weirsql/weir/connectors/file/benchdata"
	"github.com/weirsql/weir/engine"
)

// cmdBench measures throughput: `weir bench files` (decoding generated
// files) or `weir bench nexmark` (the Nexmark queries, bench_nexmark.go).
func cmdBench(ctx context.Context, args []string, env *cliEnv) int {
	fs := newFlags("bench", "files|nexmark", env)
	sizeMB := fs.Int("size-mb", 1024, "files: size of each generated input file in MB")
	dir := fs.String("dir", "", "files: folder for the generated files (default: a temporary folder, removed afterwards)")
	query := fs.String("query", "all", "nexmark: the queries to run, comma-separated (q0,q1,...), or all")
	events := fs.Int64("events", 1_000_000, "nexmark: events of all kinds (person, auction, bid) per query")
	cores := fs.Int("cores", 0, "set GOMAXPROCS to this many cores (default: all)")
	asJSON := fs.Bool("json", false, "print results as JSON lines")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the measured queries to this file (read it with `go tool pprof`)")
	memProfile := fs.String("memprofile", "", "write a heap profile (allocations of the measured queries) to this file")
	pos, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	suite := ""
	if len(pos) == 1 {
		suite = pos[0]
	}
	only := map[string]string{"size-mb": "files", "dir": "files", "query": "nexmark", "events": "nexmark"}
	badFlag := ""
	fs.Visit(func(f *flag.Flag) {
		if s, ok := only[f.Name]; ok && s != suite && badFlag == "" {
			badFlag = fmt.Sprintf("weir bench: --%s applies to `weir bench %s` only", f.Name, s)
		}
	})
	switch {
	case suite != "files" && suite != "nexmark":
		fmt.Fprintln(env.stderr, "weir bench: say what to measure: `weir bench files` (decoding generated files) or `weir bench nexmark` (the Nexmark queries)")
		return exitUsage
	case badFlag != "":
		fmt.Fprintln(env.stderr, badFlag)
		return exitUsage
	case *cores < 0:
		fmt.Fprintln(env.stderr, "weir bench: --cores must be at least 1 (or 0 for every core)")
		return exitUsage
	}
	if *cores > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(*cores))
	}
	var prof io.WriteCloser
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintf(env.stderr, "weir bench: %v\n", err)
			return exitFailure
		}
		prof = f
		defer f.Close()
	}
	if *memProfile != "" {
		defer writeMemProfile(*memProfile, env)
	}
	if suite == "nexmark" {
		return benchNexmark(ctx, nexmarkBenchOptions{query: *query, events: *events, json: *asJSON}, prof, env)
	}
	work := *dir
	if work != "" {
		if err := os.MkdirAll(work, 0o755); err != nil {
			fmt.Fprintf(env.stderr, "weir bench: %v\n", err)
			return exitFailure
		}
	} else {
		tmp, err := os.MkdirTemp("", "weir-bench-")
		if err != nil {
			fmt.Fprintf(env.stderr, "weir bench: %v\n", err)
			return exitFailure
		}
		defer os.RemoveAll(tmp)
		work = tmp
	}
	results, err := benchFiles(ctx, work, int64(*sizeMB)<<20, prof, env)
	if err != nil {
		fmt.Fprintf(env.stderr, "weir bench: %v\n", err)
		return exitFailure
	}
	if *asJSON {
		enc := json.NewEncoder(env.stdout)
		for _, r := range results {
			if err := enc.Encode(r); err != nil {
				return exitFailure
			}
		}
		return exitOK
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "format\tquery\tMB\trows\tseconds\tCPU s\tMB/s\tMB/s/core\trows/s/core\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%d\t%.2f\t%.2f\t%.0f\t%.0f\t%.0f\t\n",
			r.Format, r.Query, r.MB, r.Rows, r.Seconds, r.CPUSeconds, r.MBPerSec, r.MBPerCoreSec, r.RowsPerCoreSec)
	}
	tw.Flush()
	fmt.Fprintf(env.stdout, "(%d cores, GOMAXPROCS %d, %s)\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version())
	return exitOK
}

// writeMemProfile writes the heap profile (in use and allocated since the
// start) to path, after a GC so that in-use figures are current.
func writeMemProfile(path string, env *cliEnv) {
	runtime.GC()
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(env.stderr, "weir bench: %v\n", err)
		return
	}
	defer f.Close()
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		fmt.Fprintf(env.stderr, "weir bench: %v\n", err)
	}
}

// benchResult is one measured query.
type benchResult struct {
	Format         string  `json:"format"`
	Query          string  `json:"query"`
	MB             float64 `json:"mb"`
	Rows           int64   `json:"rows"`
	Seconds        float64 `json:"seconds"`
	CPUSeconds     float64 `json:"cpu_seconds"`
	MBPerSec       float64 `json:"mb_per_s"`
	MBPerCoreSec   float64 `json:"mb_per_core_s"`
	RowsPerCoreSec float64 `json:"rows_per_core_s"`
}

// benchQueries are measured on each format: decoding alone, and a filter
// with a projection. Results go to the blackhole sink.
var benchQueries = []struct{ name, sql string }{
	{"decode", "INSERT INTO out SELECT * FROM bids"},
	{"filter+project", "INSERT INTO out SELECT auction, price * 2 AS double_price, UPPER(channel) AS ch FROM bids WHERE price > 1000000 AND channel <> 'Google'"},
	{"tumble", "INSERT INTO out SELECT auction, TUMBLE_START(date_time, INTERVAL '10' SECOND) AS ws, COUNT(*) AS n, SUM(price) AS total, MAX(price) AS top FROM bids GROUP BY auction, TUMBLE(date_time, INTERVAL '10' SECOND)"},
}

// benchFiles generates the inputs and measures each query on each format.
// When prof is set, only the measured queries are profiled.
func benchFiles(ctx context.Context, dir string, size int64, prof io.Writer, env *cliEnv) ([]benchResult, error) {
	var out []benchResult
	formats := []string{"json", "csv"}
	// Generate every input first, so the measurements (and a profile) see
	// only the queries.
	rowsOf := map[string]int64{}
	for _, format := range formats {
		rows, err := generate(filepath.Join(dir, "bids."+format), format, size, env)
		if err != nil {
			return nil, err
		}
		rowsOf[format] = rows
	}
	for _, format := range formats {
		path := filepath.Join(dir, "bids."+format)
		rows := rowsOf[format]
		info, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		for _, q := range benchQueries {
			ddl := fmt.Sprintf(`CREATE SOURCE bids (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR,
  url VARCHAR, date_time TIMESTAMP(3), extra VARCHAR,
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND)
WITH ('connector' = 'file', 'path' = '%s', 'format' = '%s');
CREATE SINK out WITH ('connector' = 'blackhole');
`, strings.ReplaceAll(path, "'", "''"), format)
			sess := engine.NewSession(engine.Options{Stdout: io.Discard, Stderr: env.stderr})
			runtime.GC()
			if prof != nil {
				if err := pprof.StartCPUProfile(prof); err != nil {
					return nil, err
				}
				prof = nil // one profile covers every measured query
				defer pprof.StopCPUProfile()
			}
			cpu0, t0 := cpuTime(), time.Now()
			if err := sess.ExecScript(ctx, filepath.Join(dir, "bench.sql"), ddl+q.sql); err != nil {
				return nil, fmt.Errorf("%s %s: %w", format, q.name, err)
			}
			wall, cpu := time.Since(t0).Seconds(), (cpuTime() - cpu0).Seconds()
			mb := float64(info.Size()) / (1 << 20)
			out = append(out, benchResult{
				Format: format, Query: q.name, MB: mb, Rows: rows, Seconds: wall, CPUSeconds: cpu,
				MBPerSec: mb / wall, MBPerCoreSec: mb / cpu, RowsPerCoreSec: float64(rows) / cpu,
			})
		}
	}
	return out, nil
}

// generate writes about size bytes of bids to path (reusing a file of
// about that size left in --dir by an earlier run) and returns the row count.
func generate(path, format string, size int64, env *cliEnv) (int64, error) {
	// Size a row by writing a sample, then write enough rows to fill size.
	var sample countingWriter
	const sampleRows = 10_000
	if err := benchdata.WriteBids(&sample, format, sampleRows, 1); err != nil {
		return 0, fmt.Errorf("generate %s: %w", path, err)
	}
	rows := max(1, size*sampleRows/sample.n)
	if info, err := os.Stat(path); err == nil && info.Size() > 0 && abs(info.Size()-size) < size/50 {
		fmt.Fprintf(env.stderr, "reusing %s\n", path)
		return countLines(path, format)
	}
	fmt.Fprintf(env.stderr, "generating %s (%d rows)...\n", path, rows)
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := benchdata.WriteBids(w, format, int(rows), 1); err != nil {
		f.Close()
		return 0, fmt.Errorf("generate %s: %w", path, err)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return 0, err
	}
	return rows, f.Close()
}

// cpuTime is the process's user plus system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// countLines counts the rows of a generated file (lines, less a CSV header).
func countLines(path, format string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	var n int64
	for {
		k, err := f.Read(buf)
		n += int64(bytes.Count(buf[:k], []byte{'\n'}))
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, err
		}
	}
	if format == "csv" {
		n--
	}
	return n, nil
}
