package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"

	"golang.org/x/term"

	"github.com/weirsql/weir/engine"
	"github.com/weirsql/weir/internal/repl"
)

// opensShell reports whether args open the shell on a terminal: `weir`
// alone or `weir repl`, with a terminal on standard input. Such a shell
// handles Ctrl-C itself (it cancels the running query, not the shell), so
// main must not turn SIGINT into the end of the process's context.
func opensShell(args []string, env *cliEnv) bool {
	return env.stdinTTY && (len(args) == 0 || args[0] == "repl")
}

// cmdRepl runs the interactive shell. On a terminal (standard input and
// output both) it reads with line editing, history and completion; over a
// pipe it reads statements and meta-commands line by line, without
// prompts, and goes on after an error.
func cmdRepl(ctx context.Context, args []string, env *cliEnv) int {
	fs := newFlags("repl", "", env)
	format := fs.String("format", defaultFormat(env), "output format: csv, json or table (default: table on a terminal, csv otherwise)")
	batch := fs.Int("batch-size", engine.DefaultBatchSize, "maximum rows per batch")
	defaultHistory, historyErr := repl.DefaultHistoryPath()
	history := fs.String("history", defaultHistory, "the history file; empty keeps no history")
	pos, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 0 {
		fmt.Fprintf(env.stderr, "weir repl: unexpected argument %q; run a file with `weir run FILE.sql`, or `\\i FILE.sql` in the shell\n", pos[0])
		return exitUsage
	}
	if !checkFormat(*format, env) {
		return exitUsage
	}
	interactive := env.stdinTTY && env.stdoutTTY
	cfg := repl.Config{
		Stdout: env.stdout, Stderr: env.stderr, Interactive: interactive,
		Format: *format, BatchSize: *batch,
	}
	if env.stdinTTY {
		// SIGINT is the user's Ctrl-C: it cancels the running statement.
		interrupts := make(chan os.Signal, 1)
		signal.Notify(interrupts, os.Interrupt)
		defer signal.Stop(interrupts)
		cfg.Interrupts = interrupts
	}
	if !interactive {
		return shellExit(env, repl.New(cfg).Run(ctx, repl.NewPlainReader(env.stdin)))
	}
	// On a terminal the line editor reads os.Stdin and writes os.Stdout
	// itself.
	cfg.TermSize = func() (int, int) {
		w, h, err := term.GetSize(int(os.Stdout.Fd()))
		if err != nil {
			return 0, 0 // not a terminal any more: draw without bounds
		}
		return w, h
	}
	cfg.Banner = fmt.Sprintf("Weir %s, streaming SQL. Statements end with ';'. \\help for help, \\q or Ctrl-D to leave.", Version)
	sh := repl.New(cfg)
	if *history == "" && historyErr != nil {
		fmt.Fprintf(env.stderr, "weir: history not kept: %v\n", historyErr)
	}
	t := repl.NewTerminal(*history, sh.Complete, env.stderr)
	err := sh.Run(ctx, t)
	if cerr := t.Close(); cerr != nil && err == nil {
		err = cerr
	}
	return shellExit(env, err)
}

// shellExit reports the error that ended the shell, if any.
func shellExit(env *cliEnv, err error) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(env.stderr, "weir: interrupted")
		return 130
	}
	fmt.Fprintf(env.stderr, "weir: %v\n", err)
	return exitFailure
}
