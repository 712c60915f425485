package engine

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/weirsql/weir/exec"
)

// status shows "rows read, rows/s, elapsed" on one terminal line (standard
// error), refreshed a few times a second, and erases it before any result
// is printed and when the query ends.
type status struct {
	w     io.Writer
	scans []*exec.Scan
	start time.Time
	done  chan struct{}
	wg    sync.WaitGroup

	mu    sync.Mutex
	shown bool
}

func startStatus(w io.Writer, scans []*exec.Scan) *status {
	s := &status{w: w, scans: scans, start: time.Now(), done: make(chan struct{})}
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
		case <-t.C:
			s.draw()
		}
	}
}

func (s *status) draw() {
	var rows int64
	for _, sc := range s.scans {
		if st, ok := sc.Source().(exec.SourceStats); ok {
			rows += st.RowsRead()
		}
	}
	el := time.Since(s.start)
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(s.w, "\r\033[K%d rows read, %.0f rows/s, %s elapsed", rows, float64(rows)/el.Seconds(), el.Truncate(100*time.Millisecond))
	s.shown = true
}

// clear erases the line, so a result can be printed on a clean line.
func (s *status) clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shown {
		fmt.Fprint(s.w, "\r\033[K")
		s.shown = false
	}
}

// stop ends the refreshing and erases the line; safe to call twice.
func (s *status) stop() {
	select {
	case <-s.done:
		return
	default:
	}
	close(s.done)
	s.wg.Wait()
	s.clear()
}

// statusSink clears the status line before the sink prints anything and
// stops it before the sink's final output.
type statusSink struct {
	exec.Sink
	st *status
}

func (s *statusSink) Write(ctx context.Context, m exec.Message) error {
	if m.Kind == exec.MsgBatch {
		s.st.clear()
	}
	return s.Sink.Write(ctx, m)
}

func (s *statusSink) Close() error {
	s.st.stop()
	return s.Sink.Close()
}
