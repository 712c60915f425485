package exec

import (
	"testing"
	"time"
)

// growingSource is a fakeSource whose split count grows from the given
// Next call on, as a Kafka source's does when partition discovery finds a
// partition.
type growingSource struct {
	*fakeSource
	from   int // Next call (1-based) from which Splits returns more
	splits int
}

func (s *growingSource) Splits() int {
	if s.next >= s.from {
		return s.splits
	}
	return s.fakeSource.Splits()
}

// TestScanSplitsGrowAfterOpen: a split added after Open holds the
// watermark back like any other until it produces.
func TestScanSplitsGrowAfterOpen(t *testing.T) {
	mem := newMem(t)
	src := &growingSource{fakeSource: newFakeSource(t, mem, scanSchema, 1, []srcStep{
		{split: 0, rows: []row{{100, 1}}}, // one split: 100
		{split: 0, rows: []row{{300, 2}}}, // split 1 appeared and has no data: nothing
		{split: 1, rows: []row{{200, 3}}}, // min(300, 200)
		{split: 0, done: true},            // split 1 alone: still 200
	}), from: 2, splits: 2}
	scan := NewScan("s", src, WatermarkSpec{Column: 0}, nil, newExprCtx(mem))
	out := drain(t, scan)
	assertTrace(t, out.trace, "batch 1", "wm 100", "batch 1", "batch 1", "wm 200", "wm max")
}

// idleSource is a fakeSource with its own idle timeout.
type idleSource struct {
	*fakeSource
	idle time.Duration
}

func (s *idleSource) IdleTimeout() time.Duration { return s.idle }

func TestScanSourceIdleTimeoutReplacesTheSessions(t *testing.T) {
	mem := newMem(t)
	for _, tc := range []struct {
		source, session, want time.Duration
	}{
		{source: 2 * time.Second, session: time.Second, want: 2 * time.Second},
		{source: 0, session: time.Second, want: time.Second},
	} {
		src := &idleSource{fakeSource: newFakeSource(t, mem, scanSchema, 1, nil), idle: tc.source}
		scan := NewScan("s", src, WatermarkSpec{Column: 0, IdleTimeout: tc.session}, nil, newExprCtx(mem))
		if scan.wm.IdleTimeout != tc.want {
			t.Errorf("source %v, session %v: idle timeout %v, want %v", tc.source, tc.session, scan.wm.IdleTimeout, tc.want)
		}
	}
}
