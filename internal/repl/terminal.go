package repl

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/peterh/liner"
)

// HistoryFile is the name of the history file in the home folder.
const HistoryFile = ".weir_history"

// historyKeep is how many entries the history file keeps: when it has
// grown to twice this, the shell rewrites it with the newest ones.
const historyKeep = liner.HistoryLimit

// Terminal reads lines on the process's terminal (its standard input and
// output) with line editing, history and tab completion, by
// github.com/peterh/liner. Ctrl-C at the prompt returns ErrInterrupted
// and Ctrl-D on an empty line io.EOF.
//
// Between prompts (while a statement runs) the terminal does not echo what
// is typed, and Ctrl-C raises SIGINT, which the shell turns into cancelling
// the statement. Close restores the terminal's mode.
type Terminal struct {
	state   *liner.State
	history string    // the history file; "" keeps no history
	warn    io.Writer // where a failure to save history is reported, once
	warned  bool
}

var _ LineReader = (*Terminal)(nil)

// NewTerminal opens the terminal. history is the history file ("" for
// none); its entries are loaded now, and each new one is appended as it
// is entered. Problems with the history file are reported on warn and do
// not stop the shell.
func NewTerminal(history string, complete liner.WordCompleter, warn io.Writer) *Terminal {
	t := &Terminal{state: liner.NewLiner(), history: history, warn: warn}
	t.state.SetCtrlCAborts(true)
	t.state.SetMultiLineMode(true)
	t.state.SetTabCompletionStyle(liner.TabPrints)
	t.state.SetBeep(false)
	if complete != nil {
		t.state.SetWordCompleter(complete)
	}
	if history != "" {
		if err := t.loadHistory(); err != nil {
			t.warnf("history not loaded: %v", err)
		}
	}
	return t
}

// ReadLine implements LineReader.
func (t *Terminal) ReadLine(prompt string) (string, error) {
	line, err := t.state.Prompt(prompt)
	switch {
	case errors.Is(err, liner.ErrPromptAborted):
		fmt.Println("^C")
		return "", ErrInterrupted
	case errors.Is(err, io.EOF):
		fmt.Println()
		return "", io.EOF
	case err != nil:
		return "", fmt.Errorf("read the terminal: %w", err)
	}
	return line, nil
}

// AddHistory implements LineReader: the entry joins the in-memory history
// and is appended to the history file.
func (t *Terminal) AddHistory(entry string) {
	if strings.TrimSpace(entry) == "" {
		return
	}
	t.state.AppendHistory(entry)
	if t.history == "" {
		return
	}
	f, err := os.OpenFile(t.history, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		t.warnf("history not saved: %v", err)
		return
	}
	_, err = fmt.Fprintln(f, entry)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.warnf("history not saved: %v", err)
	}
}

// Close restores the terminal.
func (t *Terminal) Close() error {
	if err := t.state.Close(); err != nil {
		return fmt.Errorf("restore the terminal: %w", err)
	}
	return nil
}

// loadHistory reads the history file (a missing one is an empty history)
// and trims it when it has grown long.
func (t *Terminal) loadHistory() error {
	data, err := os.ReadFile(t.history)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := t.state.ReadHistory(strings.NewReader(string(data))); err != nil {
		return fmt.Errorf("%s: %w", t.history, err)
	}
	lines := strings.Count(string(data), "\n")
	if lines < 2*historyKeep {
		return nil
	}
	// Rewrite with the newest entries: to a temporary file, then rename,
	// so a crash cannot leave a truncated history.
	tmp, err := os.CreateTemp(filepath.Dir(t.history), HistoryFile+".*")
	if err != nil {
		return fmt.Errorf("trim: %w", err)
	}
	w := bufio.NewWriter(tmp)
	_, err = t.state.WriteHistory(w)
	if err == nil {
		err = w.Flush()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), t.history)
	}
	if err != nil {
		if rerr := os.Remove(tmp.Name()); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return fmt.Errorf("trim: %w", err)
	}
	return nil
}

func (t *Terminal) warnf(format string, a ...any) {
	if t.warned || t.warn == nil {
		return
	}
	t.warned = true
	fmt.Fprintf(t.warn, "weir: "+format+"\n", a...)
}

// DefaultHistoryPath is ~/.weir_history ($HOME's), or "" with the reason
// when there is no home folder.
func DefaultHistoryPath() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no home folder for %s: %w", HistoryFile, err)
	}
	return filepath.Join(home, HistoryFile), nil
}
