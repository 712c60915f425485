// Package file is the 'file' connector: a bounded source that reads JSON
// lines or CSV from a file, a directory of files or a glob pattern, the
// same as a lookup table reloaded when its files change (NewDimension),
// and a sink that writes a query's rows to one file.
//
//	CREATE SOURCE bids (auction BIGINT, price BIGINT, date_time TIMESTAMP(3))
//	WITH ('connector' = 'file', 'path' = 'data/bids.jsonl', 'format' = 'json');
//
// Each file is one split of the source, read in full before the next, in
// name order. A malformed record stops the query with its file and line
// unless 'bad_records' = 'skip', which counts it (exec.SourceStats) and
// goes on.
package file

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/weirsql/weir/connectors"
	"github.com/weirsql/weir/sqltypes"
)

// Spec is the file connector's registry entry.
var Spec = &connectors.Spec{
	Name: "file",
	Doc: "Reads JSON lines or CSV from files, or writes a query's rows to a file. " +
		"As a source it is bounded: each file is one split, read in name order, and when the " +
		"last is done the watermark moves to +infinity. TIMESTAMP fields accept RFC 3339, " +
		"'YYYY-MM-DD HH:MM:SS[.fff]' or integer epoch milliseconds. As a sink it creates or " +
		"truncates the file (and its parent folders) and writes CSV with a header line or JSON lines. " +
		"A file source can also be the lookup table of a join (`JOIN customers FOR SYSTEM_TIME AS OF " +
		"o.proc_time AS c ON o.customer_id = c.id`): its files are read whole when the query starts and " +
		"read again, every 'lookup.join.cache.ttl', if a file was added, removed, or changed size or " +
		"modification time; rows joined earlier are not revisited. To replace a file at once, write a " +
		"new one and rename it over the old.",
	Options: []connectors.OptionSpec{
		{Key: "path", Type: connectors.String, Required: true,
			Doc: "A file, a directory (its regular files in name order, skipping names that start with '.' or '_') " +
				"or a glob pattern such as 'data/*.csv'. A relative path is resolved against the folder of the SQL file. " +
				"A sink takes a file name."},
		{Key: "format", Type: connectors.Enum, Values: []string{"json", "csv"}, Required: true,
			Doc: "'json': one JSON object per line, keys matched to columns by name (exactly, then ignoring case); " +
				"'csv': RFC 4180, an empty field is NULL and \"\" an empty string."},
		{Key: "csv.header", Type: connectors.Bool, Default: "true",
			Doc: "Whether CSV files start with a header line. With one, fields are matched to columns by name; " +
				"without, by position."},
		{Key: "csv.delimiter", Type: connectors.String, Default: ",",
			Doc: "The one character between CSV fields; write '\\t' or 'tab' for a tab."},
		{Key: "bad_records", Type: connectors.Enum, Values: []string{"fail", "skip"}, Default: "fail",
			Doc: "What a source does with a malformed record: 'fail' stops the query naming its file and line; " +
				"'skip' counts it and goes on."},
		{Key: connectors.LookupReloadOption, Type: connectors.Duration,
			Doc: "For a lookup table: how often a join checks the files for changes (a file added, removed, " +
				"or of a new size or modification time) and, if any changed, reads the table again; " +
				"'0' reads it once. Unset, the engine's default applies (10s)."},
	},
	NewSource:    NewSource,
	NewSink:      NewSink,
	NewDimension: NewDimension,
	Metadata:     metadataSpecs,
}

// metadataSpecs are the metadata keys a file source fills.
var metadataSpecs = []connectors.MetadataSpec{
	{Key: metaPath, Type: sqltypes.Varchar,
		Doc: "The path of the file the row was read from, as the 'path' option names it: relative to the folder of the SQL file when 'path' is relative (Flink gives the full path)."},
	{Key: metaLine, Type: sqltypes.BigInt,
		Doc: "The 1-based line of the file where the row's record starts (the header of a CSV file is line 1)."},
}

// Metadata keys of file sources ('file.path' is Flink's name).
const (
	metaPath = "file.path"
	metaLine = "file.line"
)

func init() { connectors.Register(Spec) }

// options are the parsed WITH options.
type options struct {
	path   string
	format string
	header bool
	delim  byte
	skip   bool
}

func parseOptions(o connectors.Options) (options, error) {
	var opts options
	opts.path = o.Get("path")
	if opts.path == "" {
		return opts, fmt.Errorf("%w 'path'", connectors.ErrMissingOption)
	}
	opts.format = strings.ToLower(o.Get("format"))
	if opts.format != "json" && opts.format != "csv" {
		return opts, fmt.Errorf("%w: 'format' = '%s' is not one of json, csv", connectors.ErrBadOption, o.Get("format"))
	}
	var err error
	if opts.header, err = o.Bool("csv.header", true); err != nil {
		return opts, err
	}
	switch d := o.Get("csv.delimiter"); d {
	case "":
		opts.delim = ','
	case `\t`, "tab", "TAB":
		opts.delim = '\t'
	default:
		if len(d) != 1 || d[0] == '"' || d[0] == '\n' || d[0] == '\r' {
			return opts, fmt.Errorf("%w: 'csv.delimiter' = '%s' must be one character other than a quote or line end", connectors.ErrBadOption, d)
		}
		opts.delim = d[0]
	}
	switch b := strings.ToLower(o.Get("bad_records")); b {
	case "", "fail":
	case "skip":
		opts.skip = true
	default:
		return opts, fmt.Errorf("%w: 'bad_records' = '%s' is not one of fail, skip", connectors.ErrBadOption, b)
	}
	return opts, nil
}

// inputFile is one file a source reads.
type inputFile struct {
	path    string // to open
	display string // for messages, as the user wrote it
}

// ErrNoFiles is returned (wrapped) when a source's path matches no file.
var ErrNoFiles = errors.New("no file matches")

// resolve lists the files path names: a file, the files of a directory or
// the matches of a glob pattern, relative paths taken from base.
func resolve(base, path string) ([]inputFile, error) {
	full := path
	if !filepath.IsAbs(path) && base != "" {
		full = filepath.Join(base, path)
	}
	display := func(p string) string {
		if filepath.IsAbs(path) || base == "" {
			return p
		}
		if rel, err := filepath.Rel(base, p); err == nil {
			return rel
		}
		return p
	}
	var files []inputFile
	if strings.ContainsAny(path, "*?[") {
		matches, err := filepath.Glob(full)
		if err != nil {
			return nil, fmt.Errorf("bad glob pattern %q: %w", path, err)
		}
		sort.Strings(matches)
		patBase := filepath.Base(full)
		for _, m := range matches {
			name := filepath.Base(m)
			if hidden(name) && !strings.HasPrefix(patBase, name[:1]) {
				continue
			}
			if fi, err := os.Stat(m); err == nil && fi.Mode().IsRegular() {
				files = append(files, inputFile{path: m, display: display(m)})
			}
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("%w %q", ErrNoFiles, path)
		}
		return files, nil
	}
	fi, err := os.Stat(full)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w %q", ErrNoFiles, path)
	}
	if err != nil {
		return nil, fmt.Errorf("stat %s: %w", full, err)
	}
	if !fi.IsDir() {
		return []inputFile{{path: full, display: display(full)}}, nil
	}
	entries, err := os.ReadDir(full)
	if err != nil {
		return nil, fmt.Errorf("read directory %s: %w", full, err)
	}
	for _, e := range entries { // sorted by name
		if hidden(e.Name()) {
			continue
		}
		p := filepath.Join(full, e.Name())
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			files = append(files, inputFile{path: p, display: display(p)})
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%w %q: the directory holds no files", ErrNoFiles, path)
	}
	return files, nil
}

// hidden reports whether a directory listing skips name.
func hidden(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}
