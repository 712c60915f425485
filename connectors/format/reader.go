package format

import (
	"bytes"
	"errors"
	"io"
)

// readBufSize is the initial size of a decoder's read buffer; it grows to
// hold a longer record.
const readBufSize = 256 << 10

// chunkReader reads its input in large chunks and hands out slices of its
// buffer, which stay valid until the next call that reads more.
type chunkReader struct {
	r    io.Reader
	buf  []byte
	pos  int // start of the unconsumed bytes
	end  int // end of the buffered bytes
	eof  bool
	err  error // a read error other than io.EOF, returned once the buffer drains
	scan int   // bytes after pos already searched for a newline
	base int64 // input offset of buf[0]
}

func (c *chunkReader) reset(r io.Reader) {
	if c.buf == nil {
		c.buf = make([]byte, readBufSize)
	}
	c.r, c.pos, c.end, c.eof, c.err, c.scan, c.base = r, 0, 0, false, nil, 0, 0
}

// offset is the input offset of the first byte not consumed.
func (c *chunkReader) offset() int64 { return c.base + int64(c.pos) }

// fill moves the unconsumed bytes to the front, growing the buffer when
// they fill it, and reads more. It returns an error only for a failed read.
func (c *chunkReader) fill() error {
	if c.eof {
		return nil
	}
	if c.pos > 0 {
		copy(c.buf, c.buf[c.pos:c.end])
		c.end -= c.pos
		c.base += int64(c.pos)
		c.pos = 0
	}
	if c.end == len(c.buf) {
		nb := make([]byte, 2*len(c.buf))
		copy(nb, c.buf[:c.end])
		c.buf = nb
	}
	for i := 0; i < 100; i++ {
		n, err := c.r.Read(c.buf[c.end:])
		c.end += n
		if err != nil {
			c.eof = true
			if !errors.Is(err, io.EOF) {
				c.err = err
				return err
			}
			return nil
		}
		if n > 0 {
			return nil
		}
	}
	c.eof = true
	c.err = io.ErrNoProgress
	return c.err
}

// line returns the next line without its '\n'; ok is false at the end.
func (c *chunkReader) line() (line []byte, ok bool, err error) {
	for {
		if i := bytes.IndexByte(c.buf[c.pos+c.scan:c.end], '\n'); i >= 0 {
			i += c.pos + c.scan
			line = c.buf[c.pos:i]
			c.pos, c.scan = i+1, 0
			return line, true, nil
		}
		if c.eof {
			if c.pos < c.end {
				line = c.buf[c.pos:c.end]
				c.pos, c.scan = c.end, 0
				return line, true, nil
			}
			return nil, false, nil
		}
		c.scan = c.end - c.pos
		if err := c.fill(); err != nil {
			return nil, false, err
		}
	}
}

// Kinds of blank text for atEnd.
const (
	blankJSON = iota // spaces, tabs, CR and LF
	blankCSV         // empty lines, with LF or CRLF ends
	blankNone        // nothing is blank: any byte is a record
)

// atEnd reports whether nothing but blank lines is left, reading ahead as
// needed without consuming anything.
func (c *chunkReader) atEnd(blank int) (bool, error) {
	checked := 0
	for {
		b := c.buf[c.pos:c.end]
		i := checked
		for ; i < len(b); i++ {
			switch ch := b[i]; {
			case blank == blankNone:
				return false, nil
			case ch == '\n':
			case ch == '\r' && blank == blankCSV:
				if i+1 == len(b) && !c.eof {
					goto more // is it followed by LF?
				}
				if i+1 < len(b) && b[i+1] != '\n' {
					return false, nil
				}
			case blank == blankJSON && (ch == ' ' || ch == '\t' || ch == '\r'):
			default:
				return false, nil
			}
		}
		if c.eof {
			return true, nil
		}
	more:
		checked = i
		c.scan = min(c.scan, checked)
		if err := c.fill(); err != nil {
			return false, err
		}
	}
}
