package engine

import (
	"context"
	"errors"

	"github.com/weirsql/weir/diag"
	"github.com/weirsql/weir/parser"
)

// This file holds what the interactive shell (internal/repl) asks of a
// session beyond running statements.

// Setting is a session setting that `SET 'key' = 'value'` (and the REPL's
// `\set key value`) accepts.
type Setting struct {
	Key     string
	Example string // a valid value
	Doc     string
}

// Settings lists the session settings, for the REPL's completion and help.
// SET itself decides what it accepts; a test checks that every key listed
// here is accepted with its example value.
func Settings() []Setting {
	return []Setting{
		{"batch.size", "1024", "rows per batch (default 4096)"},
		{"format", "table", "output format: csv, json or table"},
		{"table.exec.emit.allow-lateness", "10s", "how long windows accept late rows after they fire"},
		{"table.exec.source.idle-timeout", "5s", "when a quiet split stops holding the watermark back"},
		{"table.exec.state.ttl", "1h", "how long a regular join keeps rows whose key is not seen"},
	}
}

// Set changes a session setting, as `SET 'key' = 'value'` does. Its errors
// carry no position.
func (s *Session) Set(key, value string) error {
	err := s.set(&parser.Set{Key: key, Value: value})
	var de *diag.Error
	if errors.As(err, &de) {
		de.Pos = diag.Pos{}
	}
	return err
}

// Format is the session's output format: "csv", "json" or "table".
func (s *Session) Format() string { return s.opts.Format }

// PrintTable prints a small table of text values (names, then rows) on the
// session's standard output in its output format, as SHOW and DESCRIBE do.
// An empty string prints as NULL.
func (s *Session) PrintTable(ctx context.Context, names []string, rows [][]string) error {
	return s.writeTable(ctx, names, rows)
}
