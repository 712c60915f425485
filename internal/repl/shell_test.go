package repl

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weirsql/weir/internal/syncbuf"
)

// runShell runs a non-interactive shell over input and returns its
// standard output and standard error.
func runShell(t *testing.T, cfg Config, input string) (string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	cfg.Stdout, cfg.Stderr = &out, &errOut
	if cfg.Format == "" {
		cfg.Format = "csv"
	}
	if err := New(cfg).Run(context.Background(), NewPlainReader(strings.NewReader(input))); err != nil {
		t.Fatalf("Run: %v", err)
	}
	return out.String(), errOut.String()
}

// writeFiles writes a folder with a JSON-lines file and a SQL file whose
// source names it by a relative path.
func writeFiles(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"in.jsonl":  "{\"id\": 1, \"v\": 10}\n{\"id\": 2, \"v\": 20}\n",
		"setup.sql": "CREATE SOURCE s (id INT, v BIGINT)\n  WITH ('connector' = 'file', 'path' = 'in.jsonl', 'format' = 'json');\n",
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestShellRunsStatementsAndMetaCommands(t *testing.T) {
	dir := writeFiles(t)
	input := strings.Join([]string{
		`\i ` + filepath.Join(dir, "setup.sql"), // relative 'path' resolves against the file's folder
		`\d`,
		`\d s`,
		`SELECT id,`,
		`       v * 2 AS v2 -- a comment`,
		`FROM s;`,
		``,
		`\format json`,
		`SELECT id FROM s WHERE v > 10; SELECT 'two' AS n;`,
		`\format xml`,
		`\format`,
		`\set batch.size 1`,
		`SELECT v FROM s;`,
		`\set no.such 1`,
		`\set execution.checkpointing.interval 10s`,
		`\bogus`,
		`\q`,
		`SELECT 'not run' AS n;`,
	}, "\n")
	out, errOut := runShell(t, Config{}, input)
	wantOut := strings.Join([]string{
		"name,kind,connector",
		"s,source,file",
		"name,type,extras,watermark",
		"id,INT,,",
		"v,BIGINT,,",
		"id,v2",
		"1,20",
		"2,40",
		"Output format is json.",
		`{"id":2}`,
		`{"n":"two"}`,
		"Output format is json.",
		`{"v":10}`,
		`{"v":20}`,
		"",
	}, "\n")
	// DESCRIBE gained an extras column with computed columns; accept the
	// table with or without it.
	if !strings.Contains(out, "name,type,extras,watermark") {
		wantOut = strings.NewReplacer("name,type,extras,watermark", "name,type,watermark", "id,INT,,", "id,INT,", "v,BIGINT,,", "v,BIGINT,").Replace(wantOut)
	}
	if out != wantOut {
		t.Errorf("stdout:\n%s\nwant:\n%s", out, wantOut)
	}
	for _, want := range []string{
		"error: \\format takes csv, json or table, not \"xml\"\n",
		"error: unknown setting 'no.such'\nhint: settings: 'batch.size'",
		"error: unknown command \\bogus; \\help lists the commands\n",
		"note: queries in the shell run without checkpoints; `weir run --checkpoint-interval 10s FILE.sql` checkpoints a query file\n",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr = %q, want it to contain %q", errOut, want)
		}
	}
}

func TestShellErrorsPointIntoTheTypedStatement(t *testing.T) {
	dir := writeFiles(t)
	input := `\i ` + filepath.Join(dir, "setup.sql") + "\n" +
		"SELECT id,\n       prce\nFROM s;\n" +
		"SELEC 1;\n" +
		"SELECT 1 AS still_running;\n"
	out, errOut := runShell(t, Config{}, input)
	want := "error at 2:8: unknown column \"prce\" in s\n" +
		"         prce\n" +
		"         ^\n" +
		"error at 1:1: unexpected \"SELEC\", expected a statement\n" +
		"  SELEC 1;\n" +
		"  ^\n" +
		"hint: did you mean SELECT?\n"
	if errOut != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", errOut, want)
	}
	if out != "still_running\n1\n" {
		t.Errorf("the session should go on after errors; stdout %q", out)
	}
}

func TestShellReportsErrorsInFilesByFileName(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.sql")
	if err := os.WriteFile(path, []byte("SELECT 1 AS one;\nSELECT nope;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut := runShell(t, Config{}, `\i `+path+"\n"+`\i `+filepath.Join(dir, "missing.sql")+"\n")
	if out != "one\n1\n" {
		t.Errorf("stdout %q", out)
	}
	want := path + ":2:8: unknown column \"nope\"\n  SELECT nope;\n         ^\n"
	if !strings.HasPrefix(errOut, want) {
		t.Errorf("stderr:\n%s\nwant it to start with:\n%s", errOut, want)
	}
	if !strings.Contains(errOut, "error: \\i: open "+filepath.Join(dir, "missing.sql")+": no such file or directory") {
		t.Errorf("stderr %q, want the missing file reported", errOut)
	}
}

func TestShellRunsAnUnterminatedLastStatementOfAScript(t *testing.T) {
	out, _ := runShell(t, Config{}, "SELECT 1 AS one")
	if out != "one\n1\n" {
		t.Errorf("stdout %q", out)
	}
}

func TestInteractiveShellConfirmsStatementsAndTimes(t *testing.T) {
	out, errOut := runShell(t, Config{Interactive: true}, "CREATE VIEW v AS SELECT 1 AS x;\n\\timing\nDROP VIEW v;\n\\set batch.size 100\n")
	if out != "CREATE VIEW\nTiming is on.\nDROP VIEW\nSET\n" {
		t.Errorf("stdout %q", out)
	}
	if !strings.HasPrefix(errOut, "Time: ") || !strings.HasSuffix(errOut, " ms\n") {
		t.Errorf("stderr %q, want the time of DROP VIEW", errOut)
	}
}

// waitFor waits until buf holds want, failing the test after a generous
// deadline.
func waitFor(t *testing.T, buf *syncbuf.Buffer, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(buf.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("waited in vain for %q; have:\n%s", want, buf.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestInterruptCancelsTheRunningStatementOnly(t *testing.T) {
	var out, errOut syncbuf.Buffer
	interrupts := make(chan os.Signal, 1)
	sh := New(Config{Stdout: &out, Stderr: &errOut, Format: "csv", Interrupts: interrupts})
	in, typed := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- sh.Run(context.Background(), NewPlainReader(in)) }()
	write := func(s string) {
		t.Helper()
		if _, err := io.WriteString(typed, s); err != nil {
			t.Fatal(err)
		}
	}
	// An endless source, paced in real time.
	write("CREATE SOURCE bids (auction BIGINT, price BIGINT) WITH ('connector' = 'nexmark', 'nexmark.table' = 'bid', 'rate' = '100', 'rate.pacing' = 'true');\n")
	write("SELECT auction FROM bids;\n")
	waitFor(t, &out, "auction\n1000")
	interrupts <- os.Interrupt
	waitFor(t, &errOut, "query cancelled\n")
	write("SELECT 'still here' AS shell;\n")
	waitFor(t, &out, "shell\nstill here\n")
	if err := typed.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the shell did not end at the end of its input")
	}
}
