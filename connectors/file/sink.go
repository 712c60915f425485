package file

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/weirsql/weir/connectors"
	"github.com/weirsql/weir/connectors/format"
	"github.com/weirsql/weir/exec"
)

// Sink writes a query's rows to one file as CSV (with a header line unless
// 'csv.header' = 'false') or JSON lines. An updating stream gets a leading
// op column (key). Watermarks and barriers are ignored.
type Sink struct {
	name string
	path string
	opts options
	f    *os.File
	enc  format.Encoder
}

var _ exec.Sink = (*Sink)(nil)

// NewSink checks the options; the file is created by Open.
func NewSink(cfg connectors.SinkConfig) (exec.Sink, error) {
	opts, err := parseOptions(cfg.Options)
	if err != nil {
		return nil, fmt.Errorf("file sink %q: %w", cfg.Name, err)
	}
	path := opts.path
	if !filepath.IsAbs(path) && cfg.BaseDir != "" {
		path = filepath.Join(cfg.BaseDir, path)
	}
	return &Sink{name: cfg.Name, path: path, opts: opts}, nil
}

// Open creates or truncates the file, and its parent folders.
func (s *Sink) Open(ctx context.Context, schema *arrow.Schema, updating bool) error {
	if s.f != nil {
		return fmt.Errorf("file sink %q: opened twice", s.name)
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
		return fmt.Errorf("file sink %q: %w", s.name, err)
	}
	f, err := os.Create(s.path)
	if err != nil {
		return fmt.Errorf("file sink %q: %w", s.name, err)
	}
	enc, err := format.NewEncoder(s.opts.format, f, schema, format.EncoderOptions{
		Updating:  updating,
		Delimiter: s.opts.delim,
		NoHeader:  !s.opts.header,
	})
	if err != nil {
		f.Close()
		return fmt.Errorf("file sink %q: %w", s.name, err)
	}
	s.f, s.enc = f, enc
	return nil
}

// Write encodes a batch and releases the message; other messages are
// dropped.
func (s *Sink) Write(ctx context.Context, msg exec.Message) error {
	defer msg.Release()
	if msg.Kind != exec.MsgBatch || msg.Batch == nil {
		return nil
	}
	if s.enc == nil {
		return fmt.Errorf("file sink %q: write before open", s.name)
	}
	if err := s.enc.Write(msg.Batch, msg.Ops); err != nil {
		return fmt.Errorf("file sink %q: write %s: %w", s.name, s.path, err)
	}
	return nil
}

// Close flushes and closes the file; it is safe to call twice and without
// Open.
func (s *Sink) Close() error {
	if s.f == nil {
		return nil
	}
	err := s.enc.Close()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	s.f, s.enc = nil, nil
	if err != nil {
		return fmt.Errorf("file sink %q: close %s: %w", s.name, s.path, err)
	}
	return nil
}
