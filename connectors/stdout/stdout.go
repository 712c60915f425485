// Package stdout is the 'stdout' sink (also registered as 'print', Flink's
// name): it prints a query's rows to standard output as CSV, JSON lines or
// an aligned table, flushing after every batch so rows show as they come.
//
//	CREATE SINK out WITH ('connector' = 'print') AS SELECT * FROM bids;
package stdout

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/connectors"
	"github.com/weirsql/weir/connectors/format"
	"github.com/weirsql/weir/exec"
)

var options = []connectors.OptionSpec{
	{Key: "format", Type: connectors.Enum, Values: []string{"csv", "json", "table"},
		Doc: "The output format; by default the one of the command line (--format): " +
			"'table' on a terminal, 'csv' otherwise."},
}

// Spec is the stdout connector's registry entry.
var Spec = &connectors.Spec{
	Name: "stdout",
	Doc: "Prints a query's rows to standard output: CSV with a header line, JSON lines, or an " +
		"aligned table that ends with a row count. An updating result gets a leading op column " +
		"(+I, -U, +U, -D). This is where the rows of a bare SELECT go.",
	Options: options,
	NewSink: NewSink,
}

// PrintSpec registers the same sink under Flink's name, 'print'.
var PrintSpec = &connectors.Spec{
	Name:    "print",
	Doc:     "Flink's name for the stdout sink; the same sink and options.",
	Options: options,
	NewSink: NewSink,
}

func init() {
	connectors.Register(Spec)
	connectors.Register(PrintSpec)
}

// Sink prints batches to a writer.
type Sink struct {
	name   string
	w      io.Writer
	format string
	enc    format.Encoder
	mem    memory.Allocator
	// view, in table format over an updating stream, holds the changelog
	// so that Close prints the latest row of every key.
	view   *exec.Changelog
	schema *arrow.Schema

	// Under checkpoints (see txn.go): output waits in pending until its
	// checkpoint commits.
	txn          bool
	pending      bytes.Buffer
	mark         int  // pending bytes of the last pre-commit
	wrote        bool // a batch has been written (so the header is out)
	headerDone   bool // a resumed checkpoint had printed the header
	restoredView arrow.Record
}

var _ exec.Sink = (*Sink)(nil)

// NewSink makes a sink writing cfg.Stdout (os.Stdout when nil) in the
// 'format' option, else cfg.Format, else CSV.
func NewSink(cfg connectors.SinkConfig) (exec.Sink, error) {
	f := strings.ToLower(cfg.Options.Get("format"))
	if f == "" {
		f = strings.ToLower(cfg.Format)
	}
	if f == "" {
		f = "csv"
	}
	switch f {
	case "csv", "json", "table":
	default:
		return nil, fmt.Errorf("stdout sink %q: %w: format '%s' is not one of csv, json, table", cfg.Name, connectors.ErrBadOption, f)
	}
	w := cfg.Stdout
	if w == nil {
		w = os.Stdout
	}
	mem := cfg.Mem
	if mem == nil {
		mem = memory.NewGoAllocator()
	}
	return &Sink{name: cfg.Name, w: w, format: f, mem: mem}, nil
}

// Open prepares the encoder; the header is printed with the first batch.
//
// In table format an updating result is shown as its latest value per key:
// the sink applies the changelog and prints the final table at Close (the
// interactive shell redraws it as it changes). CSV and JSON print every
// change with its op.
func (s *Sink) Open(ctx context.Context, schema *arrow.Schema, updating bool) error {
	if s.format == "table" && updating {
		s.view = exec.NewChangelog(s.mem, schema)
		s.schema = schema
		updating = false
		if s.restoredView != nil {
			s.view.Add(s.restoredView, nil)
			s.restoredView = nil
		}
	}
	var w io.Writer = s.w
	if s.txn {
		w = &s.pending
	}
	enc, err := format.NewEncoder(s.format, w, schema, format.EncoderOptions{Updating: updating, NoHeader: s.headerDone})
	if err != nil {
		return fmt.Errorf("stdout sink %q: %w", s.name, err)
	}
	s.enc = enc
	if s.txn && s.format == "csv" && !s.headerDone {
		// The header goes out with the first checkpoint, rows or not, so
		// that a stopped and resumed query prints it once.
		if err := s.writeHeader(schema); err != nil {
			return fmt.Errorf("stdout sink %q: %w", s.name, err)
		}
	}
	return nil
}

// Write prints a batch and releases the message; other messages are
// dropped.
func (s *Sink) Write(ctx context.Context, msg exec.Message) error {
	defer msg.Release()
	if msg.Kind != exec.MsgBatch || msg.Batch == nil {
		return nil
	}
	if s.enc == nil {
		return fmt.Errorf("stdout sink %q: write before open", s.name)
	}
	s.wrote = true
	if s.view != nil {
		s.view.Add(msg.Batch, msg.Ops)
		msg.Batch, msg.Ops = nil, nil
		return nil
	}
	if err := s.enc.Write(msg.Batch, msg.Ops); err != nil {
		return fmt.Errorf("stdout sink %q: %w", s.name, err)
	}
	if err := s.enc.Flush(); err != nil {
		return fmt.Errorf("stdout sink %q: %w", s.name, err)
	}
	return nil
}

// Close prints what ends the output (a table's row count) and flushes; it
// is safe to call twice and without Open.
func (s *Sink) Close() error {
	if s.restoredView != nil {
		s.restoredView.Release()
		s.restoredView = nil
	}
	if s.enc == nil {
		return nil
	}
	var err error
	if s.txn {
		err = s.closeTxn()
		s.enc = nil
		if err != nil {
			return fmt.Errorf("stdout sink %q: %w", s.name, err)
		}
		return nil
	}
	if s.view != nil {
		err = s.printView()
	}
	if cerr := s.enc.Close(); err == nil {
		err = cerr
	}
	s.enc = nil
	if err != nil {
		return fmt.Errorf("stdout sink %q: %w", s.name, err)
	}
	return nil
}

// printView writes the materialized changelog as the table's rows.
func (s *Sink) printView() error {
	defer func() {
		s.view.Release()
		s.view = nil
	}()
	rec, err := s.view.Result()
	if err != nil {
		return err
	}
	defer rec.Release()
	if rec.NumRows() == 0 {
		return nil
	}
	return s.enc.Write(rec, nil)
}
