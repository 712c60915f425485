package file

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

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
	schema  *arrow.Schema // the projected columns, then the metadata ones

	metadata []connectors.MetadataColumn
	mem      memory.Allocator

	dec  format.Decoder
	f    *os.File
	cur  int // split of the open file
	next int // index of the next file to open

	resume *position // set by Restore, applied by Open

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
	lines := false
	meta := &connectors.Spec{Name: "file", Metadata: metadataSpecs}
	for _, m := range cfg.Metadata {
		if err := meta.CheckMetadata(m.Key, m.Field.Type); err != nil {
			return nil, fmt.Errorf("file source %q: %w", cfg.Name, err)
		}
		lines = lines || m.Key == metaLine
		fields = append(fields, m.Field)
	}
	mem := cfg.Mem
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	return &Source{
		name:     cfg.Name,
		files:    files,
		format:   opts.format,
		skip:     opts.skip,
		schema:   arrow.NewSchema(fields, nil),
		metadata: cfg.Metadata,
		mem:      mem,
		decOpts: format.DecoderOptions{
			Schema:      cfg.Schema,
			Projection:  cfg.Projection,
			BatchSize:   cfg.BatchSize,
			Mem:         cfg.Mem,
			NoHeader:    !opts.header,
			Delimiter:   opts.delim,
			LineNumbers: lines,
		},
	}, nil
}

// withMetadata returns rec with the metadata columns appended; it takes
// over the caller's reference to rec.
func (s *Source) withMetadata(rec arrow.Record) arrow.Record {
	if len(s.metadata) == 0 {
		return rec
	}
	defer rec.Release()
	n := int(rec.NumRows())
	cols := append(make([]arrow.Array, 0, len(s.schema.Fields())), rec.Columns()...)
	var built []arrow.Array
	for _, m := range s.metadata {
		var a arrow.Array
		switch m.Key {
		case metaPath:
			a = repeatString(s.mem, s.files[s.cur].display, n)
		case metaLine:
			a = int64Array(s.mem, s.dec.LineNumbers(), n)
		}
		built = append(built, a)
		cols = append(cols, a)
	}
	out := array.NewRecord(s.schema, cols, int64(n))
	for _, a := range built {
		a.Release()
	}
	return out
}

// repeatString builds a VARCHAR column of n copies of v.
func repeatString(mem memory.Allocator, v string, n int) arrow.Array {
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.Reserve(n)
	b.ReserveData(n * len(v))
	for i := 0; i < n; i++ {
		b.Append(v)
	}
	return b.NewArray()
}

// int64Array builds a BIGINT column of the n values vs (NULL past its end:
// a decoder that records no line numbers).
func int64Array(mem memory.Allocator, vs []int64, n int) arrow.Array {
	b := array.NewInt64Builder(mem)
	defer b.Release()
	b.Reserve(n)
	for i := 0; i < n; i++ {
		if i < len(vs) {
			b.UnsafeAppend(vs[i])
		} else {
			b.UnsafeAppendBoolToBitmap(false)
		}
	}
	return b.NewArray()
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
	if s.resume != nil {
		return s.openAt(s.resume)
	}
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
			return exec.SourceBatch{Record: s.withMetadata(rec), Split: s.cur, SplitDone: end}, nil
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
