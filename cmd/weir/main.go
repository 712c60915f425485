// Command weir runs streaming SQL: `weir run q.sql` runs a query file,
// `weir test` runs golden cases, `weir explain q.sql` prints plans. Run
// `weir help` for the list of commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"golang.org/x/term"

	"github.com/weirsql/weir/diag"
	"github.com/weirsql/weir/engine"
)

// Version is the release; set with -ldflags "-X main.Version=...".
var Version = "0.1.0-dev"

// Exit statuses, as DESIGN.md specifies.
const (
	exitOK      = 0
	exitFailure = 1 // a query failed while running
	exitUsage   = 2 // bad usage, or an error in the SQL text
)

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, env *cliEnv) int
}

// cliEnv holds the process's streams, so tests can run commands in-process.
type cliEnv struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	stdoutTTY      bool
	stderrTTY      bool
	stdinTTY       bool
}

func commands() []command {
	return []command{
		{"run", "run the statements of a SQL file; queries stream results to standard output", cmdRun},
		{"explain", "print the logical and physical plans of the queries in a SQL file", cmdExplain},
		{"repl", "open the interactive SQL shell (what `weir` alone does on a terminal)", cmdRepl},
		{"test", "run golden query files (testdata/queries) and print a diff for each failure", cmdTest},
		{"bench", "measure throughput: `bench files` (decoding generated files), `bench nexmark` (the Nexmark queries)", cmdBench},
		{"kafka-dev", "start a local Kafka-protocol broker (kfake) with example data, for trying the kafka connector", cmdKafkaDev},
		{"version", "print Weir's version", cmdVersion},
		{"help", "show this help, or `weir help COMMAND` for one command", cmdHelp},
	}
}

func main() {
	env := &cliEnv{
		stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr,
		stdoutTTY: term.IsTerminal(int(os.Stdout.Fd())),
		stderrTTY: term.IsTerminal(int(os.Stderr.Fd())),
		stdinTTY:  term.IsTerminal(int(os.Stdin.Fd())),
	}
	signals := []os.Signal{os.Interrupt, syscall.SIGTERM}
	if opensShell(os.Args[1:], env) {
		signals = signals[1:] // the shell turns Ctrl-C into cancelling the running query
	}
	if len(os.Args) > 1 && os.Args[1] == "run" {
		signals = nil // run stops gracefully on the first signal (run_state.go)
	}
	ctx, stop := context.Background(), func() {}
	if len(signals) > 0 {
		ctx, stop = signal.NotifyContext(ctx, signals...)
	}
	code := runMain(ctx, os.Args[1:], env)
	stop()
	os.Exit(code)
}

func runMain(ctx context.Context, args []string, env *cliEnv) int {
	if len(args) == 0 {
		if env.stdinTTY {
			return cmdRepl(ctx, nil, env)
		}
		return runStdin(ctx, env)
	}
	name := args[0]
	if name == "-h" || name == "--help" || name == "-help" {
		usage(env.stdout)
		return exitOK
	}
	if name == "--version" || name == "-version" {
		name = "version"
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(ctx, args[1:], env)
		}
	}
	fmt.Fprintf(env.stderr, "weir: unknown command %q\n", name)
	usage(env.stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Weir is a streaming SQL engine.\n\nUsage:\n  weir COMMAND [options] [arguments]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nWith no command, weir opens the interactive shell on a terminal, and otherwise\nruns the statements it reads from standard input (`cat q.sql | weir`).\nRun `weir help COMMAND` for a command's options.")
}

func cmdHelp(ctx context.Context, args []string, env *cliEnv) int {
	if len(args) == 0 {
		usage(env.stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] && c.name != "help" {
			return c.run(ctx, []string{"--help"}, env)
		}
	}
	fmt.Fprintf(env.stderr, "weir: unknown command %q\n", args[0])
	return exitUsage
}

func cmdVersion(_ context.Context, args []string, env *cliEnv) int {
	fs := newFlags("version", "", env)
	if _, code, ok := parseFlags(fs, args); !ok {
		return code
	}
	goVersion := "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		goVersion = bi.GoVersion
	}
	fmt.Fprintf(env.stdout, "weir %s (%s)\n", Version, goVersion)
	return exitOK
}

// newFlags makes a flag set whose usage goes to stderr.
func newFlags(name, argsHelp string, env *cliEnv) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.stderr, "Usage: weir %s [options] %s\n", name, argsHelp)
		for _, c := range commands() {
			if c.name == name {
				fmt.Fprintf(env.stderr, "\n%s.\n", strings.ToUpper(c.summary[:1])+c.summary[1:])
			}
		}
		var hasFlags bool
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprintln(env.stderr, "\nOptions:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseFlags parses flags that may stand before or after the positional
// arguments. ok is false when the caller should return code.
func parseFlags(fs *flag.FlagSet, args []string) (pos []string, code int, ok bool) {
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitOK, false
			}
			return nil, exitUsage, false
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, 0, true
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func defaultFormat(env *cliEnv) string {
	if env.stdoutTTY {
		return "table"
	}
	return "csv"
}

func checkFormat(f string, env *cliEnv) bool {
	switch f {
	case "csv", "json", "table":
		return true
	}
	fmt.Fprintf(env.stderr, "weir: --format must be csv, json or table, not %q\n", f)
	return false
}

func cmdRun(ctx context.Context, args []string, env *cliEnv) int {
	fs := newFlags("run", "FILE.sql", env)
	format := fs.String("format", defaultFormat(env), "output format: csv, json or table (default: table on a terminal, csv otherwise)")
	batch := fs.Int("batch-size", engine.DefaultBatchSize, "maximum rows per batch")
	sf := addStateFlags(fs, env)
	pos, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintln(env.stderr, "weir run: give exactly one SQL file, e.g. `weir run q.sql`")
		return exitUsage
	}
	if !checkFormat(*format, env) {
		return exitUsage
	}
	src, err := os.ReadFile(pos[0])
	if err != nil {
		fmt.Fprintf(env.stderr, "weir run: %v\n", err)
		return exitUsage
	}
	ctx, stop, release := runSignals(ctx, env, sf)
	defer release()
	so, closeState, code := sf.open(pos[0], stop, env)
	if so == nil && code != exitOK {
		return code
	}
	defer closeState()
	sess := engine.NewSession(engine.Options{
		Stdout: env.stdout, Stderr: env.stderr, Format: *format, BatchSize: *batch, Status: env.stderrTTY, State: so,
		StateMemory: int64(sf.memory),
	})
	return report(env, sess.ExecScript(ctx, pos[0], string(src)), string(src))
}

func runStdin(ctx context.Context, env *cliEnv) int {
	src, err := io.ReadAll(env.stdin)
	if err != nil {
		fmt.Fprintf(env.stderr, "weir: read standard input: %v\n", err)
		return exitFailure
	}
	sess := engine.NewSession(engine.Options{Stdout: env.stdout, Stderr: env.stderr, Format: defaultFormat(env)})
	return report(env, sess.ExecScript(ctx, "<stdin>", string(src)), string(src))
}

// report prints err as DESIGN.md says and returns the exit status.
func report(env *cliEnv, err error, src string) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(env.stderr, "weir: interrupted")
		return 130
	}
	if errors.Is(err, engine.ErrStopped) {
		return exitOK // the engine said where the checkpoint is
	}
	fmt.Fprintln(env.stderr, diag.Render(err, src))
	var de *diag.Error
	if errors.As(err, &de) {
		return exitUsage
	}
	return exitFailure
}

func cmdExplain(ctx context.Context, args []string, env *cliEnv) int {
	fs := newFlags("explain", "FILE.sql", env)
	pos, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintln(env.stderr, "weir explain: give exactly one SQL file")
		return exitUsage
	}
	src, err := os.ReadFile(pos[0])
	if err != nil {
		fmt.Fprintf(env.stderr, "weir explain: %v\n", err)
		return exitUsage
	}
	sess := engine.NewSession(engine.Options{Stdout: env.stdout, Stderr: env.stderr, Format: defaultFormat(env)})
	return report(env, sess.ExplainScript(ctx, pos[0], string(src)), string(src))
}
