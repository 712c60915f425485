package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// screen collects what a program writes to its terminal and waits for
// text to appear in it, as expect(1) does. Text is matched with the ANSI
// sequences and carriage returns taken out, and each match starts where
// the previous one ended, so a test reads as the session it drives.
type screen struct {
	mu   sync.Mutex
	raw  bytes.Buffer
	pos  int // in the stripped text: where the next expect starts looking
	done chan struct{}
}

var ansiSeq = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)

// strip turns terminal output into plain text.
func strip(raw string) string {
	s := ansiSeq.ReplaceAllString(raw, "")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "")
}

func newScreen(r io.Reader) *screen {
	s := &screen{done: make(chan struct{})}
	go func() {
		defer close(s.done)
		buf := make([]byte, 32<<10)
		for {
			n, err := r.Read(buf)
			s.mu.Lock()
			s.raw.Write(buf[:n])
			s.mu.Unlock()
			if err != nil {
				return // EIO once the program has exited
			}
		}
	}()
	return s
}

func (s *screen) rawText() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.raw.String()
}

// expect waits for each of wants to appear, in order, after the last
// match. The deadline is generous: only a broken shell makes it pass.
func (s *screen) expect(t *testing.T, wants ...string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for _, w := range wants {
		for {
			text := strip(s.rawText())
			if i := strings.Index(text[s.pos:], w); i >= 0 {
				s.pos += i + len(w)
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("waited in vain for %q; the screen since the last match:\n%s", w, text[s.pos:])
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// since returns the stripped text after the last match, for assertions
// about what did not happen.
func (s *screen) since(mark int) string { return strip(s.rawText())[mark:] }

// buildWeir builds the weir binary into a temporary folder.
func buildWeir(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "weir")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// Keys as a terminal sends them.
const (
	keyEnter = "\r"
	keyUp    = "\x1b[A"
	keyRight = "\x1b[C"
	keyTab   = "\t"
	ctrlA    = "\x01"
	ctrlC    = "\x03"
	ctrlD    = "\x04"
)

// TestShellOnATerminal drives `weir` (no arguments) through a
// pseudo-terminal as a new user would: it defines a source over the
// built-in generator in a statement of three lines, fixes a typo with
// the history and line editing, completes names with Tab, lists and
// describes with \d, switches the format, times a statement, watches a
// windowed query and an updating one run live and cancels each with
// Ctrl-C, clears a line with Ctrl-C, and leaves with Ctrl-D.
func TestShellOnATerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs paced queries")
	}
	bin := buildWeir(t)
	home := t.TempDir()
	cmd := exec.Command(bin)
	cmd.Dir = t.TempDir()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "TERM=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "HOME="+home, "TERM=xterm")
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 160})
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill() // the test failed with the shell still running
		}
	}()
	sc := newScreen(tty)
	send := func(keys string) {
		t.Helper()
		if _, err := io.WriteString(tty, keys); err != nil {
			t.Fatalf("type %q: %v", keys, err)
		}
	}

	sc.expect(t, "Weir ", `\help for help`, "weir> ")

	// A statement over three lines: the continuation prompt asks for more
	// until the `;`. The source is endless and paced: 1000 events a second.
	send("CREATE SOURCE bids (auction BIGINT, price BIGINT, channel VARCHAR, date_time TIMESTAMP(3)," + keyEnter)
	sc.expect(t, "   -> ")
	send("  WATERMARK FOR date_time AS date_time - INTERVAL '1' SECOND)" + keyEnter)
	sc.expect(t, "   -> ")
	send("WITH ('connector' = 'nexmark', 'nexmark.table' = 'bid', 'rate' = '1000', 'rate.pacing' = 'true');" + keyEnter)
	sc.expect(t, "CREATE SOURCE\n", "weir> ")

	// A typo: the error points at it, relative to the statement typed.
	send("SELECT prce FROM bids LIMIT 3;" + keyEnter)
	sc.expect(t, "error at 1:8: unknown column \"prce\" in bids (did you mean \"price\"?)\n"+
		"  SELECT prce FROM bids LIMIT 3;\n"+
		"         ^\n", "weir> ")
	// Fix it: Up recalls the statement, Ctrl-A goes to the start of the
	// line, nine times Right moves after "SELECT pr", then type the i.
	send(keyUp + ctrlA + strings.Repeat(keyRight, 9) + "i" + keyEnter)
	sc.expect(t, "SELECT price FROM bids LIMIT 3;", "  price\n", "(3 rows)\n", "weir> ")

	// Tab completes a source name after DESCRIBE, and a column name.
	send("DESCRIBE bid" + keyTab + ";" + keyEnter)
	sc.expect(t, "DESCRIBE bids;", "date_time | TIMESTAMP(3)", "weir> ")
	send("SELECT chan" + keyTab + " FROM bids LIMIT 1;" + keyEnter)
	sc.expect(t, "SELECT channel FROM bids LIMIT 1;", " channel\n", "(1 row)\n", "weir> ")

	// \d lists what the session holds.
	send(`\d` + keyEnter)
	sc.expect(t, "connector\n", " bids | source | nexmark\n", "(1 row)\n", "weir> ")

	// \format switches the output format; \timing prints elapsed time.
	send(`\format csv` + keyEnter)
	sc.expect(t, "Output format is csv.", "weir> ")
	send(`\timing` + keyEnter)
	sc.expect(t, "Timing is on.", "weir> ")
	send("SELECT auction, price FROM bids LIMIT 2;" + keyEnter)
	sc.expect(t, "auction,price\n", "Time: ", " ms\n", "weir> ")
	send(`\timing` + keyEnter)
	sc.expect(t, "Timing is off.", "weir> ")
	send(`\format table` + keyEnter)
	sc.expect(t, "Output format is table.", "weir> ")

	// A windowed query: each window's row appears when the watermark
	// passes its end, under a status line, until Ctrl-C cancels it.
	send("SELECT TUMBLE_START(date_time, INTERVAL '1' SECOND) AS window_start, COUNT(*) AS bids " +
		"FROM bids GROUP BY TUMBLE(date_time, INTERVAL '1' SECOND);" + keyEnter)
	sc.expect(t, " events read, ", " events/s, watermark 20", " late, ")
	sc.expect(t, "window_start", "2024-01-01 00:00:00 | ", "2024-01-01 00:00:01 | ")
	send(ctrlC)
	sc.expect(t, "query cancelled\n", "weir> ")
	// The shell still works.
	send("SELECT 1 AS one;" + keyEnter)
	sc.expect(t, " one\n", "(1 row)\n", "weir> ")

	// An updating query: the table of counts per channel is redrawn in
	// place (the cursor goes back up over it) until Ctrl-C.
	before := len(sc.rawText())
	send("SELECT channel, COUNT(*) AS n FROM bids GROUP BY channel;" + keyEnter)
	sc.expect(t, " channel ", " n\n")
	redrawn := regexp.MustCompile(`\r\x1b\[\d+A\x1b\[J +channel +\| +n\r?\n`)
	deadline := time.Now().Add(60 * time.Second)
	for !redrawn.MatchString(sc.rawText()[before:]) {
		if time.Now().After(deadline) {
			t.Fatalf("the updating table was never redrawn in place:\n%q", sc.rawText()[before:])
		}
		time.Sleep(10 * time.Millisecond)
	}
	send(ctrlC)
	sc.expect(t, " rows)\n", "query cancelled\n", "weir> ")

	// Ctrl-C at the prompt drops the line being typed.
	send("SELECT 'abandoned' AS a")
	sc.expect(t, "SELECT 'abandoned' AS a")
	send(ctrlC)
	sc.expect(t, "^C\n", "weir> ")
	mark := sc.pos
	send("SELECT 2 AS two;" + keyEnter)
	sc.expect(t, " two\n", "(1 row)\n", "weir> ")
	if got := sc.since(mark); strings.Contains(got, "abandoned") || strings.Contains(got, "error") {
		t.Errorf("the abandoned line was run:\n%s", got)
	}

	// Ctrl-D on an empty line leaves, with exit status 0.
	send(ctrlD)
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("weir exited with %v; screen:\n%s", err, sc.since(0))
		}
	case <-time.After(60 * time.Second):
		t.Fatal("Ctrl-D did not end the shell")
	}

	// The history file kept the statements, one a line.
	data, err := os.ReadFile(filepath.Join(home, ".weir_history"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"CREATE SOURCE bids (auction BIGINT, price BIGINT, channel VARCHAR, date_time TIMESTAMP(3), WATERMARK FOR",
		"\nSELECT prce FROM bids LIMIT 3;\nSELECT price FROM bids LIMIT 3;\n",
		"\nDESCRIBE bids;\n",
		"\n\\format csv\n",
	} {
		if !strings.Contains(string(data), want) {
			t.Errorf("history lacks %q:\n%s", want, data)
		}
	}
}

// TestShellHistoryPersists starts the shell twice: a statement typed in
// the first is recalled with Up in the second.
func TestShellHistoryPersists(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildWeir(t)
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, ".weir_history"), []byte("SELECT 42 AS answer;\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "repl")
	cmd.Env = append(os.Environ(), "HOME="+home, "TERM=xterm")
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	sc := newScreen(tty)
	sc.expect(t, "weir> ")
	if _, err := io.WriteString(tty, keyUp+keyEnter); err != nil {
		t.Fatal(err)
	}
	sc.expect(t, " answer\n", "42\n", "(1 row)\n", "weir> ")
	if _, err := io.WriteString(tty, `\q`+keyEnter); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("exit status %d; screen:\n%s", ee.ExitCode(), sc.since(0))
		}
		t.Fatal(err)
	}
}

// TestReplOverAPipe runs `weir repl` without a terminal: statements and
// meta-commands are read line by line, without prompts, and an error does
// not end the session.
func TestReplOverAPipe(t *testing.T) {
	code, out, errOut := run(t, "SELECT 1 AS one;\n\\d\nSELEC 2;\nSELECT 2 AS two;\n", "repl")
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	wantOut := "one\n1\nNo sources, views or sinks yet: CREATE SOURCE defines one (\\help for more).\ntwo\n2\n"
	if out != wantOut {
		t.Errorf("stdout %q, want %q", out, wantOut)
	}
	if want := "error at 1:1: unexpected \"SELEC\", expected a statement\n  SELEC 2;\n  ^\n"; !strings.HasPrefix(errOut, want) {
		t.Errorf("stderr %q, want it to start with %q", errOut, want)
	}
	if code, _, errOut := run(t, "", "repl", "q.sql"); code != exitUsage || !strings.Contains(errOut, "\\i FILE.sql") {
		t.Errorf("repl with a file: exit %d, stderr %q", code, errOut)
	}
	if code, out, _ := run(t, "", "help"); code != exitOK || !strings.Contains(out, "repl     open the interactive SQL shell") || !strings.Contains(out, "opens the interactive shell on a terminal") {
		t.Errorf("help does not present the shell: %q", out)
	}
}
