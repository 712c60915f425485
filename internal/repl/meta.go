package repl

import (
	"context"
	"fmt"
	"strings"

	"github.com/weirsql/weir/connectors/format"
	"github.com/weirsql/weir/engine"
	"github.com/weirsql/weir/parser"
)

// helpText is what \help prints.
const helpText = `Type SQL statements ending with ';' (they may span lines); they run as in
a file: CREATE SOURCE, CREATE VIEW, SHOW, DESCRIBE, EXPLAIN, SET, and
SELECT, which streams its rows until it ends or you press Ctrl-C.

  \d              list sources, views and sinks
  \d NAME         show the columns of a source, view or sink
  \format [csv|json|table]
                  show or set the output format
  \timing [on|off]
                  toggle printing how long each statement took
  \set [KEY VALUE]
                  set a session setting (as SET 'KEY' = 'VALUE'), or list them
  \i FILE         run the statements of a SQL file; relative paths in its
                  WITH clauses resolve against the file's folder
  \help           show this help
  \q              leave (so does Ctrl-D on an empty line)

Keys: Tab completes keywords, functions, names and columns; Up and Down
recall earlier statements (kept in ~/.weir_history); Ctrl-R searches them;
Ctrl-C cancels the running query or clears the line.
The SQL reference is docs/sql.md; SHOW FUNCTIONS lists the functions.`

// meta runs a backslash command; it reports whether the shell should end.
func (sh *Shell) meta(ctx context.Context, line string) (quit bool) {
	fields := strings.Fields(strings.TrimSuffix(strings.TrimSpace(line), ";"))
	if len(fields) == 0 {
		return false
	}
	name, args := fields[0], fields[1:]
	errorf := func(format string, a ...any) {
		fmt.Fprintf(sh.cfg.Stderr, "error: "+format+"\n", a...)
	}
	switch name {
	case `\q`, `\quit`:
		return true
	case `\help`, `\h`, `\?`:
		fmt.Fprintln(sh.cfg.Stdout, helpText)
	case `\d`:
		switch len(args) {
		case 0:
			sh.listRelations(ctx)
		case 1:
			sh.describe(ctx, args[0])
		default:
			errorf(`\d takes one name: \d bids`)
		}
	case `\format`:
		switch len(args) {
		case 0:
			fmt.Fprintf(sh.cfg.Stdout, "Output format is %s.\n", sh.sess.Format())
		case 1:
			f := strings.ToLower(args[0])
			for _, ok := range format.EncoderFormats {
				if f == ok {
					sh.sess.SetFormat(f)
					fmt.Fprintf(sh.cfg.Stdout, "Output format is %s.\n", f)
					return false
				}
			}
			errorf(`\format takes csv, json or table, not %q`, args[0])
		default:
			errorf(`\format takes one of csv, json or table`)
		}
	case `\timing`:
		switch {
		case len(args) == 0:
			sh.timing = !sh.timing
		case len(args) == 1 && strings.EqualFold(args[0], "on"):
			sh.timing = true
		case len(args) == 1 && strings.EqualFold(args[0], "off"):
			sh.timing = false
		default:
			errorf(`\timing takes on or off, or nothing to toggle`)
			return false
		}
		state := "off"
		if sh.timing {
			state = "on"
		}
		fmt.Fprintf(sh.cfg.Stdout, "Timing is %s.\n", state)
	case `\set`:
		sh.set(ctx, args)
	case `\i`, `\include`:
		if len(args) != 1 {
			errorf(`\i takes one SQL file: \i examples/quickstart.sql`)
			return false
		}
		sh.runFile(ctx, args[0])
	default:
		errorf(`unknown command %s; \help lists the commands`, name)
	}
	return false
}

// listRelations prints the sources, views and sinks (\d).
func (sh *Shell) listRelations(ctx context.Context) {
	cat := sh.sess.Catalog()
	var rows [][]string
	for _, s := range cat.Sources() {
		kind := "source"
		if s.Table {
			kind = "table"
		}
		rows = append(rows, []string{s.Name, kind, s.Connector.Name})
	}
	for _, v := range cat.Views() {
		rows = append(rows, []string{v.Name, "view", ""})
	}
	for _, s := range cat.Sinks() {
		rows = append(rows, []string{s.Name, "sink", s.Connector.Name})
	}
	if len(rows) == 0 {
		fmt.Fprintln(sh.cfg.Stdout, "No sources, views or sinks yet: CREATE SOURCE defines one (\\help for more).")
		return
	}
	if err := sh.sess.PrintTable(ctx, []string{"name", "kind", "connector"}, rows); err != nil {
		fmt.Fprintln(sh.cfg.Stderr, "error: "+message(err))
	}
}

// describe prints the columns of a source, view or sink (\d NAME).
func (sh *Shell) describe(ctx context.Context, name string) {
	id := parser.Ident{Name: name}
	if len(name) >= 2 && name[0] == '"' && name[len(name)-1] == '"' {
		id = parser.Ident{Name: strings.ReplaceAll(name[1:len(name)-1], `""`, `"`), Quoted: true}
	}
	if err := sh.sess.Exec(ctx, &parser.Describe{Name: id}, ""); err != nil {
		fmt.Fprintln(sh.cfg.Stderr, "error: "+message(err))
	}
}

// set changes a session setting (\set KEY VALUE) or lists them (\set).
func (sh *Shell) set(ctx context.Context, args []string) {
	if len(args) == 0 {
		var rows [][]string
		for _, s := range engine.Settings() {
			rows = append(rows, []string{s.Key, s.Example, s.Doc})
		}
		if err := sh.sess.PrintTable(ctx, []string{"setting", "example", "description"}, rows); err != nil {
			fmt.Fprintln(sh.cfg.Stderr, "error: "+message(err))
		}
		return
	}
	if len(args) == 1 {
		fmt.Fprintf(sh.cfg.Stderr, "error: \\set %s needs a value: \\set %s VALUE\n", args[0], args[0])
		return
	}
	key := strings.Trim(args[0], `'"`)
	value := strings.Trim(strings.Join(args[1:], " "), `'`)
	if err := sh.sess.Set(key, value); err != nil {
		fmt.Fprintln(sh.cfg.Stderr, "error: "+message(err))
		if strings.Contains(strings.ToLower(key), "checkpoint") {
			// Durable state belongs to `weir run`: the shell explores.
			fmt.Fprintln(sh.cfg.Stderr, "note: queries in the shell run without checkpoints; "+
				"`weir run --checkpoint-interval 10s FILE.sql` checkpoints a query file")
		}
		return
	}
	if sh.cfg.Interactive {
		fmt.Fprintln(sh.cfg.Stdout, "SET")
	}
}
