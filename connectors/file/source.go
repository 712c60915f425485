package file

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/weirsql/weir/connectors"
	"github.com/weirsql/weir/connectors/format"
	"github.com/weirsql/weir/exec"
)

// Source reads the files of a 'file' source one after another; each file
// is a split.
type Source struct {
	name    string
	files   []inputFile
	format  string
	skip    bool
	decOpts format.DecoderOptions
	schema  *arrow.Schema

	dec  format.Decoder
	f    *os.File
	cur  int // split of the open file
	next int // index of the next file to open

	rows     atomic.Int64
	bad      atomic.Int64
	firstBad atomic.Pointer[format.RecordError]
}

var (
	_ exec.Source      = (*Source)(nil)
	_ exec.SourceStats = (*Source)(nil)
)

// NewSource resolves the source's path and checks its options; files are
// opened by Open and Next.
func NewSource(cfg connectors.SourceConfig) (exec.Source, error) {
	opts, err := parseOptions(cfg.Options)
	if err != nil {
		return nil, fmt.Errorf("file source %q: %w", cfg.Name, err)
	}
	files, err := resolve(cfg.BaseDir, opts.path)
	if err != nil {
		return nil, fmt.Errorf("file source %q: %w", cfg.Name, err)
	}
	if cfg.Schema == nil {
		return nil, fmt.Errorf("file source %q: no schema", cfg.Name)
	}
	fields := cfg.Schema.Fields()
	if cfg.Projection != nil {
		fields = make([]arrow.Field, len(cfg.Projection))
		for i, p := range cfg.Projection {
			if p < 0 || p >= cfg.Schema.NumFields() {
				return nil, fmt.Errorf("file source %q: projection index %d out of range", cfg.Name, p)
			}
			fields[i] = cfg.Schema.Field(p)
		}
	}
	return &Source{
		name:   cfg.Name,
		files:  files,
		format: opts.format,
		skip:   opts.skip,
		schema: arrow.NewSchema(fields, nil),
		decOpts: format.DecoderOptions{
			Schema:     cfg.Schema,
			Projection: cfg.Projection,
			BatchSize:  cfg.BatchSize,
			Mem:        cfg.Mem,
			NoHeader:   !opts.header,
			Delimiter:  opts.delim,
		},
	}, nil
}

// Schema is the schema of the batches: the projected columns.
func (s *Source) Schema() *arrow.Schema { return s.schema }

// Splits is the number of files.
func (s *Source) Splits() int { return len(s.files) }

// RowsRead is the number of rows decoded so far.
func (s *Source) RowsRead() int64 { return s.rows.Load() }

// BadRecords is the number of malformed records skipped so far.
func (s *Source) BadRecords() int64 { return s.bad.Load() }

// FirstBadRecord is the first malformed record skipped, or nil.
func (s *Source) FirstBadRecord() *format.RecordError { return s.firstBad.Load() }

// Open opens the first file, so that a CSV header that lacks a column is
// reported before anything runs.
func (s *Source) Open(ctx context.Context) error {
	if s.f != nil || s.next > 0 {
		return nil
	}
	return s.openNext()
}

func (s *Source) openNext() error {
	in := s.files[s.next]
	f, err := os.Open(in.path)
	if err != nil {
		return fmt.Errorf("file source %q: %w", s.name, err)
	}
	if s.dec == nil {
		opts := s.decOpts
		opts.File = in.display
		s.dec, err = format.NewDecoder(s.format, f, opts)
	} else {
		err = s.dec.Reset(f, in.display)
	}
	if err != nil {
		f.Close()
		return fmt.Errorf("file source %q: %w", s.name, err)
	}
	s.f, s.cur = f, s.next
	s.next++
	return nil
}

func (s *Source) closeFile() error {
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	if err != nil {
		return fmt.Errorf("file source %q: %w", s.name, err)
	}
	return nil
}

// Next returns the next batch. The last batch of each file has SplitDone
// set; for a file that ends in bad records or holds none, that batch has no
// Record. After the last file it returns io.EOF.
func (s *Source) Next(ctx context.Context) (exec.SourceBatch, error) {
	for {
		if err := ctx.Err(); err != nil {
			return exec.SourceBatch{}, err
		}
		if s.f == nil {
			if s.next >= len(s.files) {
				return exec.SourceBatch{}, io.EOF
			}
			if err := s.openNext(); err != nil {
				return exec.SourceBatch{}, err
			}
		}
		rec, err := s.dec.Next()
		var bad *format.RecordError
		switch {
		case err == nil:
			s.rows.Add(rec.NumRows())
			end, err := s.dec.AtEnd()
			if err != nil {
				rec.Release()
				return exec.SourceBatch{}, fmt.Errorf("file source %q: %w", s.name, err)
			}
			if end {
				if err := s.closeFile(); err != nil {
					rec.Release()
					return exec.SourceBatch{}, err
				}
			}
			return exec.SourceBatch{Record: rec, Split: s.cur, SplitDone: end}, nil
		case errors.Is(err, io.EOF):
			return exec.SourceBatch{Split: s.cur, SplitDone: true}, s.closeFile()
		case errors.As(err, &bad):
			if !s.skip {
				return exec.SourceBatch{}, fmt.Errorf("%w (set 'bad_records' = 'skip' on source %q to skip malformed records)", err, s.name)
			}
			s.bad.Add(1)
			s.firstBad.CompareAndSwap(nil, bad)
		default:
			return exec.SourceBatch{}, fmt.Errorf("file source %q: %w", s.name, err)
		}
	}
}

// Close closes the open file; it is safe to call twice and without Open.
func (s *Source) Close() error {
	s.next = len(s.files)
	return s.closeFile()
}
