package engine

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/term"

	"github.com/weirsql/weir/exec"
	"github.com/weirsql/weir/sqltypes"
)

// status shows, on one terminal line of standard error, what a running
// query has done:
//
//	120000 events read, 1000 events/s, watermark 2024-01-01 00:01:55, 0 late, 2m0s
//
// events read sum the rows its sources decoded, events/s is the rate over
// about the last second, the watermark is the last one that reached the
// sink (shown once there is one) and late counts the rows the windowed
// operators dropped (shown when the query has any). The line is refreshed
// a few times a second, erased before any result is printed and when the
// query ends.
type status struct {
	w     io.Writer
	scans []*exec.Scan
	// late lists the windowed operators; their counters are read on the
	// pipeline goroutine only (see sample).
	late    []windowed
	start   time.Time
	done    chan struct{}
	wg      sync.WaitGroup
	stopped atomic.Bool

	watermark atomic.Int64 // last watermark the sink saw; WatermarkMin: none yet
	lateRows  atomic.Int64 // sampled on the pipeline goroutine

	mu      sync.Mutex
	shown   bool
	samples []rateSample // recent (time, events) pairs for events/s
}

type rateSample struct {
	at     time.Time
	events int64
}

// rateWindow is how far back events/s looks.
const rateWindow = time.Second

func startStatus(w io.Writer, scans []*exec.Scan, root exec.Operator) *status {
	s := &status{w: w, scans: scans, start: time.Now(), done: make(chan struct{})}
	s.watermark.Store(exec.WatermarkMin)
	exec.Walk(root, func(o exec.Operator) {
		if wo, ok := o.(windowed); ok {
			s.late = append(s.late, wo)
		}
	})
	s.wg.Add(1)
	go s.loop()
	return s
}

func (s *status) loop() {
	defer s.wg.Done()
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case now := <-t.C:
			s.draw(now)
		}
	}
}

// sample records what the pipeline reports to the status line: the
// watermark of m and the late-row counts. It runs on the pipeline's
// goroutine, the one that updates those counts.
func (s *status) sample(m exec.Message) {
	if m.Kind == exec.MsgWatermark {
		s.watermark.Store(m.Watermark)
	}
	var late int64
	for _, wo := range s.late {
		late += wo.LateRows()
	}
	s.lateRows.Store(late)
}

func (s *status) events() int64 {
	var n int64
	for _, sc := range s.scans {
		if st, ok := sc.Source().(exec.SourceStats); ok {
			n += st.RowsRead()
		}
	}
	return n
}

func (s *status) draw(now time.Time) {
	events := s.events()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.samples = append(s.samples, rateSample{now, events})
	for len(s.samples) > 2 && now.Sub(s.samples[1].at) >= rateWindow {
		s.samples = s.samples[1:]
	}
	first := rateSample{s.start, 0}
	if len(s.samples) > 1 {
		first = s.samples[0]
	}
	var rate float64
	if d := now.Sub(first.at).Seconds(); d > 0 {
		rate = float64(events-first.events) / d
	}
	line := s.text(events, rate, now.Sub(s.start))
	if width := terminalWidth(s.w); width > 1 && len(line) >= width {
		line = line[:width-1] // a wrapped line could not be erased with \r
	}
	fmt.Fprintf(s.w, "\r\033[K%s", line)
	s.shown = true
}

// text is the status line's text (ASCII only, so its length is its width).
func (s *status) text(events int64, rate float64, elapsed time.Duration) string {
	b := strconv.AppendInt(nil, events, 10)
	b = append(b, " events read, "...)
	b = strconv.AppendFloat(b, rate, 'f', 0, 64)
	b = append(b, " events/s"...)
	switch wm := s.watermark.Load(); wm {
	case exec.WatermarkMin:
	case exec.WatermarkMax:
		b = append(b, ", watermark end of input"...)
	default:
		b = append(b, ", watermark "...)
		b = sqltypes.AppendTimestamp(b, wm)
	}
	if len(s.late) > 0 {
		b = append(b, ", "...)
		b = strconv.AppendInt(b, s.lateRows.Load(), 10)
		b = append(b, " late"...)
	}
	b = append(b, ", "...)
	b = append(b, elapsed.Truncate(100*time.Millisecond).String()...)
	return string(b)
}

// terminalWidth is the width of w when it is a terminal, else 0.
func terminalWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok {
		return 0
	}
	width, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0
	}
	return width
}

// clearLocked erases the line; s.mu is held.
func (s *status) clearLocked() {
	if s.shown {
		fmt.Fprint(s.w, "\r\033[K")
		s.shown = false
	}
}

// stop ends the refreshing and erases the line; safe to call twice.
func (s *status) stop() {
	if s.stopped.Swap(true) {
		return
	}
	close(s.done)
	s.wg.Wait()
	s.mu.Lock()
	s.clearLocked()
	s.mu.Unlock()
}

// statusSink feeds the status line what reaches the sink, and erases the
// line before the sink prints anything: it holds the line while the sink
// writes a batch, so a refresh cannot land in the middle of the results.
// It stops the line before the sink's final output.
type statusSink struct {
	exec.Sink
	st *status
}

func (s *statusSink) Write(ctx context.Context, m exec.Message) error {
	s.st.sample(m)
	if m.Kind == exec.MsgBatch {
		s.st.mu.Lock()
		defer s.st.mu.Unlock()
		s.st.clearLocked()
	}
	return s.Sink.Write(ctx, m)
}

func (s *statusSink) Close() error {
	s.st.stop()
	return s.Sink.Close()
}
