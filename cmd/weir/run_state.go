package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/weirsql/weir/engine"
	"github.com/weirsql/weir/state"
)

// stateFlags are weir run's options for durable state.
type stateFlags struct {
	dir      *string
	none     *bool
	interval *time.Duration
	delivery *string
	memory   byteSize
}

func addStateFlags(fs *flag.FlagSet, env *cliEnv) *stateFlags {
	defDelivery := engine.ExactlyOnce
	if env.stdoutTTY {
		defDelivery = engine.AtLeastOnce
	}
	f := &stateFlags{
		dir:      fs.String("state-dir", "", "directory of the query's checkpoints (default: weir-state/NAME beside FILE.sql, for FILE = NAME.sql)"),
		none:     fs.Bool("no-state", false, "run without checkpoints: nothing is saved, a restart starts over"),
		interval: fs.Duration("checkpoint-interval", engine.DefaultCheckpointInterval, "time between checkpoints"),
		delivery: fs.String("delivery-guarantee", defDelivery,
			"rows printed to standard output: exactly-once (printed when their checkpoint commits) or at-least-once (printed at once; default on a terminal)"),
	}
	fs.Var(&f.memory, "state-memory", "memory for a query's state before it spills to disk, e.g. 512MB or 4GiB (default: a quarter of the machine's memory)")
	return f
}

// byteSize is a flag value of bytes with an optional unit: 4096, 64KB,
// 512MB, 2GB, or the binary KiB, MiB, GiB.
type byteSize int64

func (b *byteSize) String() string {
	if *b == 0 {
		return ""
	}
	return strconv.FormatInt(int64(*b), 10)
}

func (b *byteSize) Set(s string) error {
	t := strings.TrimSpace(strings.ToUpper(s))
	units := []struct {
		suffix string
		mult   int64
	}{{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"TIB", 1 << 40},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseFloat(t, 64)
	if err != nil || n <= 0 {
		return fmt.Errorf("%q is not a size (write 512MB, 2GiB or a number of bytes)", s)
	}
	*b = byteSize(n * float64(mult))
	return nil
}

// defaultStateDir is the state directory of a query file: weir-state/NAME
// beside NAME.sql.
func defaultStateDir(file string) string {
	name := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	return filepath.Join(filepath.Dir(file), "weir-state", name)
}

// open opens the state directory (nil options with --no-state). It prints
// where the state is. A failure returns a non-zero exit code.
func (f *stateFlags) open(file string, stop <-chan struct{}, env *cliEnv) (*engine.StateOptions, func(), int) {
	if *f.none {
		return nil, func() {}, exitOK
	}
	switch *f.delivery {
	case engine.ExactlyOnce, engine.AtLeastOnce:
	default:
		fmt.Fprintf(env.stderr, "weir run: --delivery-guarantee must be exactly-once or at-least-once, not %q\n", *f.delivery)
		return nil, nil, exitUsage
	}
	if *f.interval <= 0 {
		fmt.Fprintf(env.stderr, "weir run: --checkpoint-interval must be positive, not %s\n", *f.interval)
		return nil, nil, exitUsage
	}
	dir, optional := *f.dir, false
	if dir == "" {
		dir, optional = defaultStateDir(file), true
	}
	st, err := state.Open(dir)
	if err != nil {
		fmt.Fprintf(env.stderr, "weir run: %v\n", err)
		return nil, nil, exitUsage
	}
	fmt.Fprintf(env.stderr, "weir: state in %s (checkpoint every %s; --no-state to run without)\n", dir, *f.interval)
	so := &engine.StateOptions{Store: st, Interval: *f.interval, Stdout: *f.delivery, Stop: stop, Optional: optional}
	return so, func() {
		if err := st.Close(); err != nil {
			fmt.Fprintf(env.stderr, "weir: %v\n", err)
		}
	}, exitOK
}

// runSignals handles SIGINT and SIGTERM for weir run: with state, the
// first one stops the query after a checkpoint (closing stop) and the
// second cancels ctx; without state the first cancels ctx.
func runSignals(ctx context.Context, env *cliEnv, f *stateFlags) (context.Context, <-chan struct{}, func()) {
	ctx, cancel := context.WithCancel(ctx)
	stop := make(chan struct{})
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		graceful := !*f.none
		for {
			select {
			case <-done:
				return
			case sig := <-sigs:
				if graceful {
					graceful = false
					fmt.Fprintf(env.stderr, "\nweir: %s: stopping after a checkpoint (again to quit at once)\n", sig)
					close(stop)
					continue
				}
				cancel()
				return
			}
		}
	}()
	return ctx, stop, func() {
		signal.Stop(sigs)
		close(done)
		cancel()
	}
}
