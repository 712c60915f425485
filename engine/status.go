package engine

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/weirsql/weir/exec"
)

// startStatus shows "rows read, rows/s, elapsed" on one terminal line,
// refreshed a few times a second; the returned func stops it and erases the
// line.
func startStatus(w io.Writer, scans []*exec.Scan) func() {
	start := time.Now()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				fmt.Fprint(w, "\r\033[K")
				return
			case <-t.C:
				var rows int64
				for _, sc := range scans {
					if st, ok := sc.Source().(exec.SourceStats); ok {
						rows += st.RowsRead()
					}
				}
				el := time.Since(start)
				fmt.Fprintf(w, "\r\033[K%d rows read, %.0f rows/s, %s elapsed", rows, float64(rows)/el.Seconds(), el.Truncate(100*time.Millisecond))
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}
