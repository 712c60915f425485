package repl

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/weirsql/weir/diag"
	"github.com/weirsql/weir/engine"
	"github.com/weirsql/weir/exec"
	"github.com/weirsql/weir/parser"
)

// Prompts: the first line of a statement, and the lines that continue it.
const (
	Prompt             = "weir> "
	ContinuationPrompt = "   -> "
)

// ErrInterrupted is returned by a LineReader when the user pressed Ctrl-C
// at the prompt: the shell drops what was typed of the statement.
var ErrInterrupted = errors.New("interrupted")

// LineReader reads the lines the user types.
type LineReader interface {
	// ReadLine shows prompt (when the reader prints prompts) and returns
	// the next line without its line end. It returns io.EOF at the end of
	// the input (Ctrl-D) and ErrInterrupted for Ctrl-C.
	ReadLine(prompt string) (string, error)
	// AddHistory records a statement or a meta-command in the history.
	AddHistory(entry string)
}

// Config sets up a shell.
type Config struct {
	// Stdout receives results, Stderr errors, notes and the status line.
	Stdout, Stderr io.Writer
	// Interactive says a person is at a terminal: the shell shows the
	// status line while a query runs, redraws updating results in place
	// and confirms each statement that prints nothing (CREATE SOURCE).
	Interactive bool
	// TermSize returns the terminal's width and height (0 when unknown),
	// which bound a live table's drawing.
	TermSize func() (width, height int)
	// Interrupts delivers Ctrl-C (SIGINT) while a statement runs; each
	// cancels the running statement. Nil: statements run to their end.
	Interrupts <-chan os.Signal
	// Format is the initial output format ("csv", "json" or "table") and
	// BatchSize the rows per batch (0: the engine's default).
	Format    string
	BatchSize int
	// Banner is printed on Stderr when the shell starts; may be empty.
	Banner string
}

// Shell reads statements and meta-commands and runs them in one session.
type Shell struct {
	cfg    Config
	in     LineReader
	sess   *engine.Session
	comp   *completer
	timing bool
}

// New returns a shell with a fresh session.
func New(cfg Config) *Shell {
	if cfg.Stdout == nil {
		cfg.Stdout = io.Discard
	}
	if cfg.Stderr == nil {
		cfg.Stderr = io.Discard
	}
	opts := engine.Options{
		Stdout: cfg.Stdout, Stderr: cfg.Stderr, Format: cfg.Format, BatchSize: cfg.BatchSize,
		Status: cfg.Interactive,
	}
	if cfg.Interactive {
		opts.ResultSink = func(format string) (exec.Sink, error) {
			return newLiveSink(cfg.Stdout, format, nil, cfg.TermSize), nil
		}
	}
	sh := &Shell{cfg: cfg, sess: engine.NewSession(opts)}
	sh.comp = &completer{catalog: sh.sess.Catalog}
	return sh
}

// Complete completes the word before the cursor (see liner.WordCompleter).
func (sh *Shell) Complete(line string, pos int) (head string, candidates []string, tail string) {
	return sh.comp.Complete(line, pos)
}

// Run reads lines from in (a *Terminal on a terminal, else a PlainReader)
// and runs them until the input ends, `\q`, or ctx is done. An error in a
// statement is printed and the shell goes on; Run returns an error only
// when it cannot read its input, or ctx's error.
func (sh *Shell) Run(ctx context.Context, in LineReader) error {
	sh.in = in
	if sh.cfg.Banner != "" {
		fmt.Fprintln(sh.cfg.Stderr, sh.cfg.Banner)
	}
	var lines []string // the statement typed so far
	for {
		prompt := Prompt
		if len(lines) > 0 {
			prompt = ContinuationPrompt
		}
		line, err := sh.readLine(ctx, prompt)
		switch {
		case errors.Is(err, ErrInterrupted):
			lines = nil
			continue
		case errors.Is(err, io.EOF):
			if len(lines) > 0 && !sh.cfg.Interactive {
				// A script's last statement may omit its `;`, as in a file.
				sh.runSQL(ctx, strings.Join(lines, "\n"))
			}
			return nil
		case err != nil:
			return err
		}
		if trimmed := strings.TrimSpace(line); strings.HasPrefix(trimmed, `\`) {
			sh.in.AddHistory(trimmed)
			if quit := sh.meta(ctx, trimmed); quit {
				return nil
			}
			continue
		}
		lines = append(lines, line)
		buf := strings.Join(lines, "\n")
		if blankSQL(buf) {
			lines = nil
			continue
		}
		if !statementComplete(buf) {
			continue
		}
		sh.in.AddHistory(historyEntry(lines))
		lines = nil
		sh.runSQL(ctx, buf)
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// readLine reads a line, giving up when ctx is done (SIGTERM) even though
// the reader is still waiting for the user.
func (sh *Shell) readLine(ctx context.Context, prompt string) (string, error) {
	type result struct {
		line string
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		line, err := sh.in.ReadLine(prompt)
		ch <- result{line, err}
	}()
	select {
	case r := <-ch:
		return r.line, r.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// runSQL runs the statements typed; errors point into src, the text typed.
func (sh *Shell) runSQL(ctx context.Context, src string) {
	dir, err := os.Getwd()
	if err != nil {
		fmt.Fprintf(sh.cfg.Stderr, "error: find the current folder for relative paths: %v\n", err)
		return
	}
	sh.runStatements(ctx, "", src, dir, func(err error) string { return typedError(err, src) })
}

// runFile runs a SQL file in the session (`\i`): relative paths in its
// WITH clauses resolve against the file's folder, and errors name the
// file as `weir run` does.
func (sh *Shell) runFile(ctx context.Context, path string) {
	if strings.HasPrefix(path, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			path = filepath.Join(home, path[2:])
		}
	}
	src, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintf(sh.cfg.Stderr, "error: \\i: %v\n", err)
		return
	}
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		fmt.Fprintf(sh.cfg.Stderr, "error: \\i: %v\n", err)
		return
	}
	sh.runStatements(ctx, path, string(src), dir, func(err error) string { return fileError(err, string(src)) })
}

// runStatements parses src and runs its statements in order, stopping at
// the first error, which render turns into text for standard error.
func (sh *Shell) runStatements(ctx context.Context, filename, src, baseDir string, render func(error) string) {
	start := time.Now()
	stmts, err := parser.ParseFile(filename, src)
	if err != nil {
		fmt.Fprintln(sh.cfg.Stderr, render(err))
		sh.printTiming(start)
		return
	}
	for _, st := range stmts {
		start = time.Now()
		err := sh.cancellable(ctx, func(ctx context.Context) error { return sh.sess.Exec(ctx, st, baseDir) })
		switch {
		case err != nil && errors.Is(err, context.Canceled) && ctx.Err() != nil:
			return // the shell is ending: Run reports it
		case err != nil && errors.Is(err, context.Canceled):
			fmt.Fprintln(sh.cfg.Stderr, "query cancelled")
		case err != nil:
			fmt.Fprintln(sh.cfg.Stderr, render(err))
		case sh.cfg.Interactive:
			if tag := commandTag(st); tag != "" {
				fmt.Fprintln(sh.cfg.Stdout, tag)
			}
		}
		sh.printTiming(start)
		if err != nil {
			return
		}
	}
}

func (sh *Shell) printTiming(start time.Time) {
	if sh.timing {
		fmt.Fprintf(sh.cfg.Stderr, "Time: %.3f ms\n", float64(time.Since(start).Microseconds())/1000)
	}
}

// cancellable runs f with a context that Ctrl-C cancels.
func (sh *Shell) cancellable(ctx context.Context, f func(context.Context) error) error {
	if sh.cfg.Interrupts == nil {
		return f(ctx)
	}
	// A Ctrl-C pressed before the statement started is not for it.
	for drained := false; !drained; {
		select {
		case <-sh.cfg.Interrupts:
		default:
			drained = true
		}
	}
	qctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-sh.cfg.Interrupts:
			cancel()
		case <-done:
		}
	}()
	return f(qctx)
}

// commandTag is what the shell prints after a statement that prints
// nothing itself, as psql does.
func commandTag(st parser.Statement) string {
	switch st := st.(type) {
	case *parser.CreateSource:
		if st.Table {
			return "CREATE TABLE"
		}
		return "CREATE SOURCE"
	case *parser.CreateView:
		return "CREATE VIEW"
	case *parser.CreateSink:
		return "CREATE SINK"
	case *parser.Insert:
		return "INSERT"
	case *parser.Drop:
		return "DROP " + st.Kind
	case *parser.Set:
		return "SET"
	}
	return ""
}

// typedError renders an error in a statement typed at the prompt: the
// position is the line and column in what was typed, with the line and a
// caret under the column.
//
//	error at 1:8: unknown column "prce" in bids (did you mean "price"?)
//	  SELECT prce FROM bids;
//	         ^
func typedError(err error, src string) string {
	var de *diag.Error
	if errors.As(err, &de) && de.Pos.IsValid() {
		text := diag.Render(err, src)
		return fmt.Sprintf("error at %d:%d: %s", de.Pos.Line, de.Pos.Column, strings.TrimPrefix(text, de.Pos.String()+": "))
	}
	return "error: " + message(err)
}

// fileError renders an error in a file run with \i as `weir run` does.
func fileError(err error, src string) string {
	var de *diag.Error
	if errors.As(err, &de) && de.Pos.IsValid() {
		return diag.Render(err, src)
	}
	var re *engine.RunError
	if errors.As(err, &re) {
		return re.Error()
	}
	return "error: " + message(err)
}

// message is an error's text without a position that points nowhere.
func message(err error) string {
	var de *diag.Error
	if errors.As(err, &de) && !de.Pos.IsValid() {
		if de.Hint != "" {
			return de.Msg + "\nhint: " + de.Hint
		}
		return de.Msg
	}
	var re *engine.RunError
	if errors.As(err, &re) {
		return "query failed: " + re.Err.Error()
	}
	return err.Error()
}

// PlainReader reads lines from a reader without editing, prompts or
// history: the shell over a pipe or a file.
type PlainReader struct {
	r *bufio.Reader
}

// NewPlainReader reads lines from r.
func NewPlainReader(r io.Reader) *PlainReader { return &PlainReader{r: bufio.NewReader(r)} }

// ReadLine implements LineReader; the prompt is not shown.
func (p *PlainReader) ReadLine(string) (string, error) {
	line, err := p.r.ReadString('\n')
	if err == io.EOF && line != "" {
		err = nil
	}
	if err != nil {
		if err != io.EOF {
			err = fmt.Errorf("read input: %w", err)
		}
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// AddHistory implements LineReader; a plain reader keeps no history.
func (p *PlainReader) AddHistory(string) {}
