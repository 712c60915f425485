package kafka

// 'scan.partition.assignment' = 'group': the source joins its consumer
// group, so that processes running the same query share the partitions.
//
// The group's committed offsets are where a partition's next owner starts,
// so they may only cover records whose output is final: the source commits
// to the group the positions of checkpoints that have committed, never
// further. When the group takes partitions away (a graceful rebalance), the
// revoke callback stops the source from returning their records, asks for a
// checkpoint at once, waits until one taken after that point has committed
// (the sink's output included), commits those partitions' positions in it
// to the group synchronously, and only then lets the rebalance go on.
// Records already fetched from them but not returned are dropped: the next
// owner reads them again from the committed offset. A partition assigned to
// the source starts at the group's committed offset, or at the restored
// checkpoint's position for it when that is further on, and becomes a new
// split (as partition discovery adds them), so a revoked partition stops
// holding the watermark back (SplitDone) and a reassigned one joins it
// afresh.

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/weirsql/weir/connectors"
	"github.com/weirsql/weir/exec"
)

// Partition assignment modes ('scan.partition.assignment').
const (
	assignAll   = "all"
	assignGroup = "group"
)

// revokeWait bounds how long a revoke callback waits for a checkpoint,
// within the group's rebalance timeout (franz-go's default is 60 s); past
// it the partitions are handed over from the last committed checkpoint
// (the next owner may then read again what this source returned since: at
// least once).
func (s *Source) revokeWait() time.Duration {
	if rt := s.opts.client.rebalanceTimeout; rt > 0 {
		return rt * 5 / 6
	}
	return 50 * time.Second
}

var (
	_ exec.SharedSource        = (*Source)(nil)
	_ exec.CheckpointRequester = (*Source)(nil)
)

// groupState is the consumer-group side of a source in group mode. Its
// fields, and the splits' revoked flags, are guarded by Source.mu.
type groupState struct {
	request func() // asks the runtime for a checkpoint; nil without checkpoints

	restoredMax map[tp]int64 // furthest restored position of each partition

	posSeq    uint64        // Position calls so far
	pending   *ckptOffsets  // what the last Position saved
	committed *ckptOffsets  // what the last committed checkpoint saved
	changed   chan struct{} // closed (and replaced) when committed or closing changes
	closing   bool
	assignedQ []*split // assigned splits Next has not numbered yet
	revokedQ  []*split // revoked splits Next has not ended yet

	commitMu   sync.Mutex // orders background commits before a revoke's commit
	commitWake chan struct{}
	commitQuit chan struct{}
	commitWG   sync.WaitGroup
	lastSent   map[tp]int64 // offsets the background committer last committed
}

// ckptOffsets are the split positions of one checkpoint.
type ckptOffsets struct {
	seq  uint64
	next map[*split]int64
}

// parseAssignment reads 'scan.partition.assignment'.
func parseAssignment(o connectors.Options, opts *options) (bool, error) {
	switch m := strings.ToLower(o.Get("scan.partition.assignment")); m {
	case "", assignAll:
		return false, nil
	case assignGroup:
		if opts.client.group == "" {
			return false, fmt.Errorf("%w 'properties.group.id': 'scan.partition.assignment' = 'group' joins that consumer group", connectors.ErrMissingOption)
		}
		if opts.bounded != boundNone {
			return false, fmt.Errorf("%w: 'scan.partition.assignment' = 'group' reads an unbounded stream; it cannot be used with 'scan.bounded.mode' = '%s'",
				connectors.ErrBadOption, opts.bounded)
		}
		return true, nil
	default:
		return false, badOption("scan.partition.assignment", m, "is not 'all' or 'group'")
	}
}

// SharesPartitions implements exec.SharedSource: true in group mode.
func (s *Source) SharesPartitions() bool { return s.group != nil }

// StatefulQueryError implements exec.SharedSource.
func (s *Source) StatefulQueryError(op string) error {
	return fmt.Errorf("kafka source %q: 'scan.partition.assignment' = 'group' shares partitions between processes, "+
		"so it needs a query without state (no windows, aggregations, joins, Top-N, ORDER BY or LIMIT), but this query has %s; use 'all'",
		s.name, op)
}

// SetCheckpointRequest implements exec.CheckpointRequester.
func (s *Source) SetCheckpointRequest(request func()) {
	if s.group != nil {
		s.mu.Lock()
		s.group.request = request
		s.mu.Unlock()
	}
}

// CheckpointCommitted implements exec.CheckpointRequester: in group mode,
// the positions of the last Position call are now final, so they may go to
// the group (in the background) and wake a waiting revoke.
func (s *Source) CheckpointCommitted(uint64) {
	g := s.group
	if g == nil {
		return
	}
	s.mu.Lock()
	if g.pending != nil {
		g.committed, g.pending = g.pending, nil
		g.broadcast()
	}
	s.mu.Unlock()
	select {
	case g.commitWake <- struct{}{}:
	default:
	}
}

// broadcast wakes the goroutines waiting on changed; s.mu is held.
func (g *groupState) broadcast() {
	close(g.changed)
	g.changed = make(chan struct{})
}

// groupClientOpts are the client options of group mode.
func (s *Source) groupClientOpts() []kgo.Opt {
	opts := []kgo.Opt{
		kgo.ConsumerGroup(s.opts.client.group),
		kgo.Balancers(kgo.CooperativeStickyBalancer()),
		kgo.DisableAutoCommit(),
		kgo.AdjustFetchOffsetsFn(s.adjustOffsets),
		kgo.OnPartitionsRevoked(s.onRevoked),
		kgo.OnPartitionsLost(s.onLost),
	}
	if s.opts.pattern != nil {
		opts = append(opts, kgo.ConsumeRegex(), kgo.ConsumeTopics(s.opts.pattern.String()))
	} else {
		opts = append(opts, kgo.ConsumeTopics(s.opts.topics...))
	}
	if s.opts.discovery > 0 {
		// The group's leader finds new partitions when it refreshes
		// metadata.
		opts = append(opts, kgo.MetadataMaxAge(s.opts.discovery))
	}
	return append(opts, s.opts.client.groupOpts...)
}

// openGroup is Open in group mode: the splits of a restored position
// become finished placeholders (their partitions come back, if assigned
// here, as new splits), then the client joins the group.
func (s *Source) openGroup(ctx context.Context, kopts []kgo.Opt) error {
	g := s.group
	s.mu.Lock()
	if g.request == nil {
		s.mu.Unlock()
		return fmt.Errorf("kafka source %q: 'scan.partition.assignment' = 'group' needs checkpoints, which hand partitions "+
			"over between processes (run the query with state, not --no-state)", s.name)
	}
	for _, r := range s.restored {
		k := tp{r.Topic, r.Partition}
		sp := &split{tp: k, index: len(s.splits), next: r.Offset, stop: -1, done: true, revoked: true}
		s.splits = append(s.splits, sp)
		s.doneQ = append(s.doneQ, sp.index)
		if old, ok := g.restoredMax[k]; r.Offset >= 0 && (!ok || r.Offset > old) {
			g.restoredMax[k] = r.Offset
		}
	}
	s.resolved = true
	s.mu.Unlock()
	cl, err := kgo.NewClient(append(kopts, s.groupClientOpts()...)...)
	if err != nil {
		return fmt.Errorf("kafka source %q: kafka client: %w", s.name, err)
	}
	s.cl = cl
	g.commitWG.Add(1)
	go s.groupCommitLoop()
	check := func(ctx context.Context) error {
		_, err := s.checkTopics(ctx, s.cl)
		return err
	}
	if err := retry(ctx, s.notify, "find the topics", check); err != nil {
		return fmt.Errorf("kafka source %q: %w", s.name, err)
	}
	return nil
}

// adjustOffsets runs when the group assigns partitions, with their
// committed offsets (or the reset offset when there is none): each starts
// at the further of its committed offset and its restored position, or,
// with neither, by 'scan.startup.mode'. Each becomes a new split.
func (s *Source) adjustOffsets(_ context.Context, offsets map[string]map[int32]kgo.Offset) (map[string]map[int32]kgo.Offset, error) {
	g := s.group
	var names []string
	s.mu.Lock()
	for _, t := range sortedKeys(offsets) {
		ps := offsets[t]
		parts := make([]int32, 0, len(ps))
		for p := range ps {
			parts = append(parts, p)
		}
		sort.Slice(parts, func(i, j int) bool { return parts[i] < parts[j] })
		for _, p := range parts {
			k := tp{t, p}
			start := ps[p].EpochOffset().Offset // < 0: nothing committed
			if r, ok := g.restoredMax[k]; ok && r > start {
				start = r
				ps[p] = kgo.NewOffset().At(r)
			} else if start < 0 {
				ps[p], start = s.groupStart(k, ps[p])
			}
			if sp := s.byTP[k]; sp != nil && !sp.revoked {
				sp.next = start // assigned again before fetching began
				continue
			}
			// Next numbers the split (groupEvents), so that Splits and
			// Position change only between two batches, as the scan
			// expects.
			sp := &split{tp: k, index: -1, next: start, stop: -1}
			g.assignedQ = append(g.assignedQ, sp)
			s.byTP[k] = sp
			names = append(names, fmt.Sprintf("%s@%s", k, offsetText(start)))
		}
	}
	s.mu.Unlock()
	if len(names) > 0 {
		s.notify.printf("group %q assigned %s", s.opts.client.group, strings.Join(names, ", "))
	}
	return offsets, nil
}

func offsetText(off int64) string {
	if off < 0 {
		return "start-mode"
	}
	return fmt.Sprint(off)
}

// groupStart is where a partition the group has no offset for starts: by
// 'scan.startup.mode' (at the first offset when the source resumes from a
// checkpoint that does not have it). It returns the offset to fetch from
// and the split's next offset (-1 when not known yet). s.mu is held.
func (s *Source) groupStart(k tp, reset kgo.Offset) (kgo.Offset, int64) {
	if s.restored != nil {
		return kgo.NewOffset().AtStart(), -1
	}
	switch s.opts.startup {
	case startLatest:
		return kgo.NewOffset().AtEnd(), -1
	case startTime:
		return kgo.NewOffset().AfterMilli(s.opts.startupTS), -1
	case startSpecific:
		if off, ok := s.opts.specific[k.partition]; ok {
			return kgo.NewOffset().At(off), off
		}
	case startGroup:
		switch s.opts.client.autoOffsetReset {
		case "earliest":
		case "latest":
			return kgo.NewOffset().AtEnd(), -1
		default:
			s.setFailure(fmt.Errorf("kafka source %q: %w: group %q has no committed offset for %s; set 'properties.auto.offset.reset' to 'earliest' or 'latest'",
				s.name, connectors.ErrBadOption, s.opts.client.group, k))
			return reset, -1
		}
	}
	return kgo.NewOffset().AtStart(), -1
}

// markRevoked takes the partitions away from the source: Next returns no
// more of their records and ends their splits. It returns the splits and
// the Position count at that moment: a checkpoint whose Position came
// later covers everything returned from them. s.mu must not be held.
func (s *Source) markRevoked(parts map[string][]int32) ([]*split, uint64) {
	g := s.group
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*split
	for _, t := range sortedKeys(parts) {
		for _, p := range parts[t] {
			k := tp{t, p}
			sp := s.byTP[k]
			if sp == nil || sp.revoked {
				continue
			}
			sp.revoked = true
			delete(s.byTP, k)
			g.revokedQ = append(g.revokedQ, sp)
			out = append(out, sp)
		}
	}
	return out, g.posSeq
}

// onRevoked hands partitions back to the group (see the file comment).
func (s *Source) onRevoked(ctx context.Context, cl *kgo.Client, parts map[string][]int32) {
	sps, seq := s.markRevoked(parts)
	if len(sps) == 0 {
		return
	}
	g := s.group
	s.mu.Lock()
	request, closing := g.request, g.closing
	s.mu.Unlock()
	if !closing && request != nil {
		request()
	}
	wait := s.revokeWait()
	timeout := time.NewTimer(wait)
	defer timeout.Stop()
	var ck *ckptOffsets
	for {
		s.mu.Lock()
		ck, closing = g.committed, g.closing
		changed := g.changed
		s.mu.Unlock()
		if closing || (ck != nil && ck.seq > seq) {
			break
		}
		select {
		case <-changed:
			continue
		case <-timeout.C:
			s.notify.printf("no checkpoint committed within %s of the group revoking %s; handing them over from the last committed checkpoint (records read since may be read again by their next owner)",
				wait, splitNames(sps))
		case <-ctx.Done():
		}
		break
	}
	offsets := map[string]map[int32]kgo.EpochOffset{}
	if ck != nil {
		for _, sp := range sps {
			if off, ok := ck.next[sp]; ok && off >= 0 {
				if offsets[sp.tp.topic] == nil {
					offsets[sp.tp.topic] = map[int32]kgo.EpochOffset{}
				}
				offsets[sp.tp.topic][sp.tp.partition] = kgo.EpochOffset{Epoch: -1, Offset: off}
			}
		}
	}
	g.commitMu.Lock()
	defer g.commitMu.Unlock()
	cctx, cancel := context.WithTimeout(context.Background(), attemptTimeout)
	defer cancel()
	if err := commitSync(cctx, cl, offsets); err != nil {
		s.notify.printf("commit the offsets of the revoked %s to group %q: %v (their next owner starts from the group's older offsets and may read some records again)",
			splitNames(sps), s.opts.client.group, err)
		return
	}
	s.notify.printf("group %q revoked %s; committed %s", s.opts.client.group, splitNames(sps), offsetsText(offsets))
}

// onLost drops partitions the group took without a rebalance (the session
// expired): nothing can be committed for them, so their next owner starts
// from the group's last committed offsets and may read again records whose
// output this source has written (at least once).
func (s *Source) onLost(_ context.Context, _ *kgo.Client, parts map[string][]int32) {
	if sps, _ := s.markRevoked(parts); len(sps) > 0 {
		s.notify.printf("lost %s (the group session ended); their next owner may read some records again", splitNames(sps))
	}
}

// groupSessionRetried reports whether err is a group session error the
// client recovers from by joining again (the member was kicked out, the
// coordinator moved) rather than one that needs the user (a bad setting,
// no authorization).
func groupSessionRetried(err error) bool {
	var gs *kgo.ErrGroupSession
	if !errors.As(err, &gs) {
		return false
	}
	for _, fatal := range []error{kerr.InvalidSessionTimeout, kerr.GroupAuthorizationFailed, kerr.InvalidGroupID,
		kerr.InconsistentGroupProtocol, kerr.GroupMaxSizeReached, kerr.TopicAuthorizationFailed} {
		if errors.Is(gs.Err, fatal) {
			return false
		}
	}
	return true
}

// commitSync commits offsets with the member's generation and waits.
func commitSync(ctx context.Context, cl *kgo.Client, offsets map[string]map[int32]kgo.EpochOffset) error {
	if len(offsets) == 0 {
		return nil
	}
	var rerr error
	cl.CommitOffsetsSync(ctx, offsets, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
		if err != nil {
			rerr = err
			return
		}
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				if err := kerr.ErrorForCode(p.ErrorCode); err != nil && rerr == nil {
					rerr = fmt.Errorf("%s: %w", tp{t.Topic, p.Partition}, err)
				}
			}
		}
	})
	return rerr
}

func splitNames(sps []*split) string {
	names := make([]string, len(sps))
	for i, sp := range sps {
		names[i] = sp.tp.String()
	}
	return strings.Join(names, ", ")
}

func offsetsText(m map[string]map[int32]kgo.EpochOffset) string {
	var parts []string
	for _, t := range sortedKeys(m) {
		ps := make([]int32, 0, len(m[t]))
		for p := range m[t] {
			ps = append(ps, p)
		}
		sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
		for _, p := range ps {
			parts = append(parts, fmt.Sprintf("%s@%d", tp{t, p}, m[t][p].Offset))
		}
	}
	if len(parts) == 0 {
		return "nothing (no record read)"
	}
	return strings.Join(parts, ", ")
}

// groupEvents applies the group's changes since the last call, on Next's
// goroutine: assigned partitions become new splits (Splits grows), and
// revoked ones end (their queued records are dropped and SplitDone is
// queued).
func (s *Source) groupEvents() {
	g := s.group
	s.mu.Lock()
	for _, sp := range g.assignedQ {
		if !sp.revoked {
			sp.index = len(s.splits)
			s.splits = append(s.splits, sp)
		}
	}
	g.assignedQ = g.assignedQ[:0]
	q := g.revokedQ
	g.revokedQ = nil
	s.mu.Unlock()
	if len(q) == 0 {
		return
	}
	for _, sp := range q {
		if !sp.done {
			sp.done = true
			if sp.index >= 0 { // else revoked before Next numbered it
				s.doneQ = append(s.doneQ, sp.index)
			}
		}
	}
	kept := s.queue[:0]
	for _, r := range s.queue {
		if !r.sp.done {
			kept = append(kept, r)
		}
	}
	for i := len(kept); i < len(s.queue); i++ {
		s.queue[i] = run{}
	}
	s.queue = kept
}

// revoked reports whether sp was taken away (group mode).
func (s *Source) revoked(sp *split) bool {
	if s.group == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return sp.revoked
}

// groupPosition records the positions of a Position call for the
// checkpoint it belongs to. s.mu is held.
func (s *Source) groupPosition() {
	g := s.group
	g.posSeq++
	ck := &ckptOffsets{seq: g.posSeq, next: make(map[*split]int64, len(s.splits))}
	for _, sp := range s.splits {
		ck.next[sp] = sp.next
	}
	g.pending = ck
}

// groupCommitLoop commits the positions of committed checkpoints to the
// group, for the partitions the source still owns, in the background.
func (s *Source) groupCommitLoop() {
	g := s.group
	defer g.commitWG.Done()
	for {
		select {
		case <-g.commitQuit:
			return
		case <-g.commitWake:
		}
		s.commitCheckpointed()
	}
}

func (s *Source) commitCheckpointed() {
	g := s.group
	g.commitMu.Lock()
	defer g.commitMu.Unlock()
	offsets := map[string]map[int32]kgo.EpochOffset{}
	s.mu.Lock()
	if ck := g.committed; ck != nil {
		for sp, off := range ck.next {
			if sp.revoked || off < 0 || g.lastSent[sp.tp] == off {
				continue
			}
			if offsets[sp.tp.topic] == nil {
				offsets[sp.tp.topic] = map[int32]kgo.EpochOffset{}
			}
			offsets[sp.tp.topic][sp.tp.partition] = kgo.EpochOffset{Epoch: -1, Offset: off}
		}
	}
	s.mu.Unlock()
	if len(offsets) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), attemptTimeout)
	defer cancel()
	if err := commitSync(ctx, s.cl, offsets); err != nil {
		s.notify.problem("commit", "commit checkpointed offsets to group %q: %v (tried again at the next checkpoint)", s.opts.client.group, err)
		return
	}
	for t, ps := range offsets {
		for p, eo := range ps {
			g.lastSent[tp{t, p}] = eo.Offset
		}
	}
}

// closeGroup stops the background commits and makes waiting revokes hand
// their partitions over from the last committed checkpoint; closing the
// client then leaves the group.
func (s *Source) closeGroup() {
	g := s.group
	s.mu.Lock()
	if !g.closing {
		g.closing = true
		g.broadcast()
	}
	s.mu.Unlock()
	if s.cl != nil {
		close(g.commitQuit)
		g.commitWG.Wait()
	}
}

// newGroupState is the state of a source in group mode.
func newGroupState() *groupState {
	return &groupState{
		restoredMax: map[tp]int64{},
		changed:     make(chan struct{}),
		commitWake:  make(chan struct{}, 1),
		commitQuit:  make(chan struct{}),
		lastSent:    map[tp]int64{},
	}
}
