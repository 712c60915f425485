package file

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/weirsql/weir/connectors"
	"github.com/weirsql/weir/exec"
)

// NewDimension makes a lookup table of a file source: the rows of its
// files (a file, a directory or a glob pattern, as for NewSource), read
// whole by a normal file source over cfg. The table's version is the list
// of the files the path matches now, each with its size and modification
// time, so a file rewritten, appended to, added or removed makes the next
// check reload the table. (A file rewritten in place can be seen half
// written; write a new file and rename it over the old one to replace it
// at once.)
//
// A malformed row fails the load, naming its file and line, unless the
// source sets 'bad_records' = 'skip'.
func NewDimension(cfg connectors.SourceConfig) (exec.DimensionTable, error) {
	// A source made now checks the options, the schema and that some file
	// matches, before anything runs; it is never opened.
	src, err := NewSource(cfg)
	if err != nil {
		return nil, err
	}
	schema := src.Schema()
	if err := src.Close(); err != nil {
		return nil, err
	}
	opts, err := parseOptions(cfg.Options)
	if err != nil {
		return nil, fmt.Errorf("file source %q: %w", cfg.Name, err)
	}
	open := func(context.Context) (exec.Source, error) { return NewSource(cfg) }
	version := func() (string, error) {
		v, err := filesVersion(cfg.BaseDir, opts.path)
		if err != nil {
			return "", fmt.Errorf("file source %q: %w", cfg.Name, err)
		}
		return v, nil
	}
	return exec.NewSourceTable(schema, open, version), nil
}

// filesVersion lists the files path matches now, one a line with its size
// and modification time.
func filesVersion(base, path string) (string, error) {
	files, err := resolve(base, path)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, f := range files {
		fi, err := os.Stat(f.path)
		if err != nil {
			return "", fmt.Errorf("stat %s: %w", f.display, err)
		}
		b.WriteString(strconv.Quote(f.path))
		b.WriteByte(' ')
		b.WriteString(strconv.FormatInt(fi.Size(), 10))
		b.WriteByte(' ')
		b.WriteString(strconv.FormatInt(fi.ModTime().UnixNano(), 10))
		b.WriteByte('\n')
	}
	return b.String(), nil
}
