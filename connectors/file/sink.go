package file

import (
	"context"
	"fmt"
	"io"
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
	f    *os.File // the output, or the in-progress file under checkpoints
	enc  format.Encoder

	// Under checkpoints (see sink_txn.go):
	txn       bool
	resumed   bool     // Recover resumed a checkpoint
	target    *os.File // the output
	committed int64    // its committed length
	pending   txnState // what the last PreCommit staged
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
	var w io.Writer
	if s.txn {
		var err error
		if w, err = s.openTxn(schema); err != nil {
			return fmt.Errorf("file sink %q: %w", s.name, err)
		}
	} else {
		f, err := os.Create(s.path)
		if err != nil {
			return fmt.Errorf("file sink %q: %w", s.name, err)
		}
		s.f, w = f, f
	}
	enc, err := format.NewEncoder(s.opts.format, w, schema, format.EncoderOptions{
		Updating:  updating,
		Delimiter: s.opts.delim,
		NoHeader:  !s.opts.header || s.resumed,
	})
	if err != nil {
		s.closeFiles()
		return fmt.Errorf("file sink %q: %w", s.name, err)
	}
	s.enc = enc
	if s.txn {
		if err := s.startHeader(schema); err != nil {
			s.closeFiles()
			return fmt.Errorf("file sink %q: %w", s.name, err)
		}
	}
	return nil
}

// closeFiles closes what Open opened.
func (s *Sink) closeFiles() error {
	var err error
	if s.f != nil {
		err = s.f.Close()
		s.f = nil
	}
	if s.target != nil {
		if cerr := s.target.Close(); err == nil {
			err = cerr
		}
		s.target = nil
	}
	return err
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
// Open. Under checkpoints the rows after the last commit are not the
// output's: Close leaves them in the in-progress file (which a restart
// drops) and removes that file when it holds none.
func (s *Sink) Close() error {
	if s.f == nil {
		if s.txn {
			// Never opened: a resumed query that had finished, whose
			// Recover completed the last commit and emptied the file.
			if fi, err := os.Stat(s.stagingPath()); err == nil && fi.Size() == 0 {
				os.Remove(s.stagingPath())
			}
		}
		return nil
	}
	var err error
	if s.txn {
		err = s.enc.Flush()
	} else {
		err = s.enc.Close()
	}
	var staged int64 = -1
	if s.txn {
		if off, serr := s.f.Seek(0, io.SeekCurrent); serr == nil {
			staged = off
		}
	}
	if cerr := s.closeFiles(); err == nil {
		err = cerr
	}
	if staged == 0 {
		os.Remove(s.stagingPath())
	}
	s.enc = nil
	if err != nil {
		return fmt.Errorf("file sink %q: close %s: %w", s.name, s.path, err)
	}
	return nil
}
