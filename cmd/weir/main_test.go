package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// run executes the CLI in-process and returns its exit status and output.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &cliEnv{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut}
	code := runMain(context.Background(), args, env)
	return code, out.String(), errOut.String()
}

func writeSQL(t *testing.T, sql string) string {
	t.Helper()
	dir := t.TempDir()
	data := "{\"id\": 1, \"v\": 10}\n{\"id\": 2, \"v\": 0}\n{\"id\": 3, \"v\": \"bad\"}\n"
	if err := os.WriteFile(filepath.Join(dir, "in.jsonl"), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "q.sql")
	if err := os.WriteFile(path, []byte(sql), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const source = "CREATE SOURCE s (id INT, v BIGINT) WITH ('connector' = 'file', 'path' = 'in.jsonl', 'format' = 'json', 'bad_records' = 'skip');\n"

func TestRunPrintsCSVAndReportsSkippedRecords(t *testing.T) {
	path := writeSQL(t, source+"SELECT id, v * 2 AS v2 FROM s WHERE v > 0;\n")
	code, out, errOut := run(t, "", "run", path)
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	if out != "id,v2\n1,20\n" {
		t.Errorf("stdout = %q", out)
	}
	if !strings.Contains(errOut, "s: skipped 1 malformed record(s)") {
		t.Errorf("stderr = %q, want the skipped-record report", errOut)
	}
}

func TestRunFormats(t *testing.T) {
	path := writeSQL(t, source+"SELECT id FROM s WHERE v > 0;\n")
	for format, want := range map[string]string{
		"csv":   "id\n1\n",
		"json":  "{\"id\":1}\n",
		"table": " id\n----\n  1\n(1 row)\n",
	} {
		code, out, errOut := run(t, "", "run", "--format", format, path)
		if code != 0 || out != want {
			t.Errorf("--format %s: exit %d, stdout %q, want %q (stderr %s)", format, code, out, want, errOut)
		}
	}
	// Flags may also follow the file.
	if code, out, _ := run(t, "", "run", path, "--format=json"); code != 0 || out != "{\"id\":1}\n" {
		t.Errorf("flag after file: exit %d, stdout %q", code, out)
	}
	if code, _, errOut := run(t, "", "run", "--format", "xml", path); code != exitUsage || !strings.Contains(errOut, "--format must be csv, json or table") {
		t.Errorf("bad format: exit %d, stderr %q", code, errOut)
	}
}

func TestExitStatuses(t *testing.T) {
	cases := []struct {
		name   string
		sql    string
		code   int
		stderr string
	}{
		{"syntax error", "SELEC 1;", exitUsage, "q.sql:1:1: unexpected \"SELEC\", expected a statement\n  SELEC 1;\n  ^\nhint: did you mean SELECT?\n"},
		{"planning error", source + "SELECT idd FROM s;", exitUsage, "q.sql:2:8: unknown column \"idd\" in s (did you mean \"id\"?)\n  SELECT idd FROM s;\n         ^\n"},
		{"runtime error", source + "SELECT 10 / (v - v) FROM s;", exitFailure, "q.sql:2:1: query failed: division by zero"},
		{"ok", source + "SELECT id FROM s;", exitOK, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeSQL(t, c.sql)
			code, _, errOut := run(t, "", "run", path)
			if code != c.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, c.code, errOut)
			}
			// Errors name the file as the user gave it.
			errOut = strings.ReplaceAll(errOut, path, "q.sql")
			if c.stderr != "" && !strings.Contains(errOut, c.stderr) {
				t.Errorf("stderr = %q, want it to contain %q", errOut, c.stderr)
			}
			if c.stderr == "" && strings.Contains(errOut, "error") {
				t.Errorf("unexpected stderr %q", errOut)
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	if code, _, errOut := run(t, "", "frobnicate"); code != exitUsage || !strings.Contains(errOut, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := run(t, "", "run"); code != exitUsage || !strings.Contains(errOut, "give exactly one SQL file") {
		t.Errorf("run without file: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := run(t, "", "run", "/no/such/q.sql"); code != exitUsage || !strings.Contains(errOut, "no such file") {
		t.Errorf("missing file: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := run(t, "", "run", "--nope", "q.sql"); code != exitUsage || !strings.Contains(errOut, "flag provided but not defined") {
		t.Errorf("bad flag: exit %d, stderr %q", code, errOut)
	}
}

func TestHelpAndVersion(t *testing.T) {
	code, out, _ := run(t, "", "help")
	if code != 0 || !strings.Contains(out, "run") || !strings.Contains(out, "explain") || !strings.Contains(out, "test") {
		t.Errorf("help: exit %d, stdout %q", code, out)
	}
	code, _, errOut := run(t, "", "run", "--help")
	if code != 0 || !strings.Contains(errOut, "Usage: weir run [options] FILE.sql") || !strings.Contains(errOut, "-format") {
		t.Errorf("run --help: exit %d, stderr %q", code, errOut)
	}
	code, out, _ = run(t, "", "version")
	if code != 0 || !strings.HasPrefix(out, "weir ") {
		t.Errorf("version: exit %d, stdout %q", code, out)
	}
}

func TestStatementsFromStdin(t *testing.T) {
	code, out, errOut := run(t, "SELECT 1 AS one, 'a' || 'b' AS ab;")
	if code != 0 || out != "one,ab\n1,ab\n" {
		t.Errorf("stdin: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, _, errOut = run(t, "SELECT nope;")
	if code != exitUsage || !strings.Contains(errOut, "<stdin>:1:8: unknown column \"nope\"") {
		t.Errorf("stdin error: exit %d, stderr %q", code, errOut)
	}
}

func TestExplainCommand(t *testing.T) {
	path := writeSQL(t, source+"SELECT id FROM s WHERE v > 1;\nSELECT v FROM s;\n")
	code, out, errOut := run(t, "", "explain", path)
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	if strings.Count(out, "== Physical Plan ==") != 2 || !strings.Contains(out, "ScanExec: s filter=v > 1") {
		t.Errorf("explain output:\n%s", out)
	}
}

func TestTestCommandReportsDiffs(t *testing.T) {
	dir := t.TempDir()
	good := "query\nSELECT 1 AS x\n----\nx\n1\n"
	bad := "query\nSELECT 2 AS x\n----\nx\n1\n"
	os.WriteFile(filepath.Join(dir, "good.slt"), []byte(good), 0o644)
	os.WriteFile(filepath.Join(dir, "bad.slt"), []byte(bad), 0o644)
	code, out, _ := run(t, "", "test", dir)
	if code != exitFailure || !strings.Contains(out, "- 1\n+ 2") || !strings.Contains(out, "1 passed, 1 failed") {
		t.Errorf("test: exit %d, stdout:\n%s", code, out)
	}
	code, out, _ = run(t, "", "test", "-update", dir)
	if code != 0 || !strings.Contains(out, "2 passed, 0 failed") {
		t.Errorf("test -update: exit %d, stdout:\n%s", code, out)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "bad.slt"))
	if string(data) != "query\nSELECT 2 AS x\n----\nx\n2\n" {
		t.Errorf("updated file = %q", data)
	}
}

// TestRealProcess builds the weir binary and runs the README's first
// command in a real process, checking its output and exit status.
func TestRealProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "weir")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "run", "--state-dir", t.TempDir(), filepath.Join("..", "..", "examples", "quickstart.sql"))
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("weir run quickstart: %v\n%s", err, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if lines[0] != "auction,window_start,bids,top_price" || len(lines) != 8 {
		t.Errorf("quickstart output:\n%s", out.String())
	}
	cmd = exec.Command(bin, "run", "/no/such.sql")
	if err := cmd.Run(); err == nil {
		t.Error("missing file: want a non-zero exit")
	} else if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitUsage {
		t.Errorf("missing file: %v, want exit %d", err, exitUsage)
	}
}
