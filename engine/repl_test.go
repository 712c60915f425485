package engine

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/weirsql/weir/exec"
	"github.com/weirsql/weir/internal/syncbuf"
	"github.com/weirsql/weir/planner"
)

func TestEverySettingListedIsAccepted(t *testing.T) {
	s := NewSession(Options{})
	for _, st := range Settings() {
		if err := s.Set(st.Key, st.Example); err != nil {
			t.Errorf("Set(%q, %q): %v", st.Key, st.Example, err)
		}
	}
	err := s.Set("no.such.setting", "1")
	if !errors.Is(err, planner.ErrInvalid) || !strings.Contains(err.Error(), "unknown setting 'no.such.setting'") {
		t.Errorf("unknown setting: %v", err)
	}
	if err := s.Set("batch.size", "0"); err == nil {
		t.Error("batch.size 0: want an error")
	}
}

func TestSetFormatAndPrintTable(t *testing.T) {
	var out bytes.Buffer
	s := NewSession(Options{Stdout: &out})
	if err := s.Set("format", "json"); err != nil {
		t.Fatal(err)
	}
	if s.Format() != "json" {
		t.Errorf("Format() = %q after SET format json", s.Format())
	}
	if err := s.PrintTable(context.Background(), []string{"name", "kind"}, [][]string{{"bids", "source"}, {"v", ""}}); err != nil {
		t.Fatal(err)
	}
	if want := "{\"name\":\"bids\",\"kind\":\"source\"}\n{\"name\":\"v\",\"kind\":null}\n"; out.String() != want {
		t.Errorf("PrintTable = %q, want %q", out.String(), want)
	}
}

func TestStatusLineText(t *testing.T) {
	st := &status{}
	st.watermark.Store(exec.WatermarkMin)
	if got := st.text(120, 1000, 2500*time.Millisecond); got != "120 events read, 1000 events/s, 2.5s" {
		t.Errorf("without watermark or windows: %q", got)
	}
	st.watermark.Store(time.Date(2024, 1, 1, 0, 0, 8, 0, time.UTC).UnixMilli())
	st.late = []windowed{nil} // the query has a windowed operator
	st.lateRows.Store(3)
	if got := st.text(120, 1000.4, 2500*time.Millisecond); got != "120 events read, 1000 events/s, watermark 2024-01-01 00:00:08, 3 late, 2.5s" {
		t.Errorf("with a watermark and windows: %q", got)
	}
	st.watermark.Store(exec.WatermarkMax)
	if got := st.text(0, 0, 0); !strings.Contains(got, "watermark end of input") {
		t.Errorf("at the end of input: %q", got)
	}
}

// TestStatusLineWhileAQueryRuns runs a paced query with the status line
// on and checks what the line showed: events, rate, watermark, late rows.
func TestStatusLineWhileAQueryRuns(t *testing.T) {
	var out, errOut syncbuf.Buffer
	s := NewSession(Options{Stdout: &out, Stderr: &errOut, Status: true})
	src := `CREATE SOURCE bids (auction BIGINT, date_time TIMESTAMP(3),
  WATERMARK FOR date_time AS date_time - INTERVAL '1' SECOND)
WITH ('connector' = 'nexmark', 'nexmark.table' = 'bid', 'events' = '300', 'rate' = '500', 'rate.pacing' = 'true');
SELECT COUNT(*) AS n FROM bids GROUP BY TUMBLE(date_time, INTERVAL '1' SECOND);`
	if err := s.ExecScript(context.Background(), "q.sql", src); err != nil {
		t.Fatal(err)
	}
	// 300 events at 500 a second take 0.6 s: the line was drawn at least
	// once (every 250 ms), and erased at the end.
	text := errOut.String()
	if !strings.Contains(text, " events read, ") || !strings.Contains(text, " events/s") || !strings.Contains(text, " 0 late, ") {
		t.Errorf("status line = %q", text)
	}
	if !strings.HasSuffix(text, "\r\033[K") {
		t.Errorf("status line not erased at the end: %q", text)
	}
	if out.String() != "n\n276\n" {
		t.Errorf("stdout = %q", out.String())
	}
}
