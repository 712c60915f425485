package file

import (
	"fmt"
	"io"

	"github.com/weirsql/weir/exec"
	"github.com/weirsql/weir/state"
)

var _ exec.CheckpointedSource = (*Source)(nil)

// position is where a file source stands: files before cur are read, cur
// is open at offset (after line lines) unless it was closed, and next is
// the next file to open.
type position struct {
	files        int
	next, cur    int
	open         bool
	offset, line int64
	rows, bad    int64
}

const positionVersion = 1

// Position implements exec.CheckpointedSource: the file being read and the
// byte offset after its last record returned.
func (s *Source) Position() ([]byte, error) {
	p := position{files: len(s.files), next: s.next, cur: s.cur, open: s.f != nil, rows: s.rows.Load(), bad: s.bad.Load()}
	if p.open {
		p.offset, p.line = s.dec.Offset()
	}
	e := state.NewEncoder(nil)
	e.Uvarint(positionVersion)
	e.Count(p.files)
	e.Count(p.next)
	e.Count(p.cur)
	e.Bool(p.open)
	e.Varint(p.offset)
	e.Varint(p.line)
	e.Varint(p.rows)
	e.Varint(p.bad)
	return e.Bytes(), nil
}

// Restore implements exec.CheckpointedSource; Open seeks to the position.
func (s *Source) Restore(pos []byte) error {
	d := state.NewDecoder(pos)
	if v := d.Uvarint(); v != positionVersion && d.Err() == nil {
		return fmt.Errorf("file source %q: position version %d, want %d", s.name, v, positionVersion)
	}
	p := &position{files: int(d.Uvarint()), next: int(d.Uvarint()), cur: int(d.Uvarint()), open: d.Bool(),
		offset: d.Varint(), line: d.Varint(), rows: d.Varint(), bad: d.Varint()}
	if err := d.Err(); err != nil {
		return fmt.Errorf("file source %q: %w", s.name, err)
	}
	if p.files != len(s.files) {
		return fmt.Errorf("file source %q: the checkpoint read %d file(s), the path now matches %d; the input changed, so the query cannot resume", s.name, p.files, len(s.files))
	}
	if p.next > p.files || p.cur >= max(p.files, 1) || p.offset < 0 {
		return fmt.Errorf("file source %q: %w: position %+v", s.name, state.ErrCorrupt, *p)
	}
	s.resume = p
	return nil
}

// openAt opens the source at a restored position.
func (s *Source) openAt(p *position) error {
	s.resume = nil
	s.rows.Store(p.rows)
	s.bad.Store(p.bad)
	if !p.open {
		s.next = p.next
		return nil
	}
	s.next = p.cur
	if err := s.openNext(); err != nil {
		return err
	}
	in := s.files[p.cur]
	info, err := s.f.Stat()
	if err != nil {
		return fmt.Errorf("file source %q: %w", s.name, err)
	}
	if info.Size() < p.offset {
		return fmt.Errorf("file source %q: %s has %d bytes, but the checkpoint had read %d; the input changed, so the query cannot resume", s.name, in.display, info.Size(), p.offset)
	}
	if _, err := s.f.Seek(p.offset, io.SeekStart); err != nil {
		return fmt.Errorf("file source %q: seek %s: %w", s.name, in.display, err)
	}
	s.dec.Resume(s.f, p.offset, p.line)
	return nil
}
