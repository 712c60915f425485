package kafka

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/weirsql/weir/connectors"
)

// tp names a topic-partition.
type tp struct {
	topic     string
	partition int32
}

func (t tp) String() string { return fmt.Sprintf("%s/%d", t.topic, t.partition) }

// attemptTimeout bounds one request attempt inside retry.
const attemptTimeout = 10 * time.Second

// retry runs op until it succeeds, fails with an error that waiting cannot
// fix, or ctx ends. Failures are reported (rate-limited) and retried with
// exponential backoff from 100 ms to 5 s; each attempt gets its own timeout.
func retry(ctx context.Context, n *notifier, what string, op func(ctx context.Context) error) error {
	backoff := 100 * time.Millisecond
	for {
		actx, cancel := context.WithTimeout(ctx, attemptTimeout)
		err := op(actx)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !retriable(err) {
			return err
		}
		n.problem(what, "%s: %v; retrying", what, err)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// retriable reports whether an error may go away by waiting: network
// errors and timeouts, and Kafka errors marked retriable. TLS and
// certificate errors, authentication failures, a closed client and Kafka's
// other errors are final.
func retriable(err error) bool {
	var (
		ke       *kerr.Error
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		header   tls.RecordHeaderError
	)
	switch {
	case errors.Is(err, kgo.ErrClientClosed), errors.Is(err, ErrUnknownTopic), errors.Is(err, context.Canceled),
		errors.Is(err, connectors.ErrBadOption):
		return false
	case errors.As(err, &unknown), errors.As(err, &hostname), errors.As(err, &invalid), errors.As(err, &header):
		return false
	case errors.As(err, &ke):
		return ke.Retriable || ke == kerr.CoordinatorLoadInProgress || ke == kerr.ConcurrentTransactions
	}
	return true
}

// topicPartitions lists the partitions of the named topics, or of every
// topic matching pattern (internal topics left out). missing lists named
// topics the cluster does not have; all lists every topic it has.
func topicPartitions(ctx context.Context, cl *kgo.Client, topics []string, pattern *regexp.Regexp) (parts map[string][]int32, missing, all []string, err error) {
	req := kmsg.NewPtrMetadataRequest()
	req.AllowAutoTopicCreation = false
	if pattern == nil {
		for _, t := range topics {
			rt := kmsg.NewMetadataRequestTopic()
			rt.Topic = kmsg.StringPtr(t)
			req.Topics = append(req.Topics, rt)
		}
	} else {
		req.Topics = nil // every topic
	}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("list partitions: %w", err)
	}
	parts = map[string][]int32{}
	for _, t := range resp.Topics {
		if t.Topic == nil {
			continue
		}
		name := *t.Topic
		if t.ErrorCode == kerr.UnknownTopicOrPartition.Code {
			missing = append(missing, name)
			continue
		}
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil {
			return nil, nil, nil, fmt.Errorf("list partitions of topic %q: %w", name, err)
		}
		if !t.IsInternal && !strings.HasPrefix(name, "__") {
			all = append(all, name)
		}
		if pattern != nil && (t.IsInternal || !pattern.MatchString(name)) {
			continue
		}
		ps := make([]int32, 0, len(t.Partitions))
		for _, p := range t.Partitions {
			ps = append(ps, p.Partition)
		}
		sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
		parts[name] = ps
	}
	if pattern == nil {
		for _, t := range topics {
			if _, ok := parts[t]; !ok && !contains(missing, t) {
				missing = append(missing, t)
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 && pattern == nil {
		// Name the topics the cluster has, for the error message.
		if _, _, every, err := topicPartitions(ctx, cl, nil, regexp.MustCompile(".*")); err == nil {
			all = every
		}
	}
	sort.Strings(all)
	return parts, missing, all, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// unknownTopicError says which topics are missing and which exist.
func unknownTopicError(missing, all []string, seeds []string) error {
	have := "it has no topics"
	if len(all) > 0 {
		shown := all
		if len(shown) > 20 {
			shown = shown[:20]
		}
		have = "its topics: " + strings.Join(shown, ", ")
		if len(all) > len(shown) {
			have += fmt.Sprintf(" and %d more", len(all)-len(shown))
		}
	}
	quoted := make([]string, len(missing))
	for i, m := range missing {
		quoted[i] = fmt.Sprintf("%q", m)
	}
	return fmt.Errorf("%w %s on the cluster at %s (%s); create it first", ErrUnknownTopic,
		strings.Join(quoted, ", "), strings.Join(seeds, ","), have)
}

// Special timestamps of a ListOffsets request.
const (
	tsLatest   int64 = -1
	tsEarliest int64 = -2
)

// listOffsets returns, for each partition, the offset at ts: tsEarliest,
// tsLatest (the last stable offset when committed is set), or the first
// offset whose record's timestamp is at or after ts (the end offset when
// there is none).
func listOffsets(ctx context.Context, cl *kgo.Client, tps []tp, ts int64, committed bool) (map[tp]int64, error) {
	out := make(map[tp]int64, len(tps))
	if len(tps) == 0 {
		return out, nil
	}
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID = -1
	if committed {
		req.IsolationLevel = 1
	}
	idx := map[string]int{}
	for _, p := range tps {
		i, ok := idx[p.topic]
		if !ok {
			i = len(req.Topics)
			idx[p.topic] = i
			rt := kmsg.NewListOffsetsRequestTopic()
			rt.Topic = p.topic
			req.Topics = append(req.Topics, rt)
		}
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition = p.partition
		rp.Timestamp = ts
		rp.CurrentLeaderEpoch = -1
		req.Topics[i].Partitions = append(req.Topics[i].Partitions, rp)
	}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, fmt.Errorf("list offsets: %w", err)
	}
	var atEnd []tp
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			key := tp{t.Topic, p.Partition}
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				return nil, fmt.Errorf("list offsets of %s: %w", key, err)
			}
			if p.Offset < 0 && ts >= 0 {
				atEnd = append(atEnd, key)
				continue
			}
			out[key] = p.Offset
		}
	}
	for _, p := range tps {
		if _, ok := out[p]; !ok && !containsTP(atEnd, p) {
			return nil, fmt.Errorf("list offsets: no answer for %s", p)
		}
	}
	if len(atEnd) > 0 {
		end, err := listOffsets(ctx, cl, atEnd, tsLatest, committed)
		if err != nil {
			return nil, err
		}
		for k, v := range end {
			out[k] = v
		}
	}
	return out, nil
}

func containsTP(list []tp, p tp) bool {
	for _, x := range list {
		if x == p {
			return true
		}
	}
	return false
}

// committedOffsets returns the offsets the group has committed for the
// partitions; a partition without one is left out.
func committedOffsets(ctx context.Context, cl *kgo.Client, group string, tps []tp) (map[tp]int64, error) {
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Group = group
	req.RequireStable = true
	idx := map[string]int{}
	for _, p := range tps {
		i, ok := idx[p.topic]
		if !ok {
			i = len(req.Topics)
			idx[p.topic] = i
			rt := kmsg.NewOffsetFetchRequestTopic()
			rt.Topic = p.topic
			req.Topics = append(req.Topics, rt)
		}
		req.Topics[i].Partitions = append(req.Topics[i].Partitions, p.partition)
	}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, fmt.Errorf("fetch the offsets of group %q: %w", group, err)
	}
	if resp.ErrorCode == kerr.GroupIDNotFound.Code {
		return map[tp]int64{}, nil // a group that never committed
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return nil, fmt.Errorf("fetch the offsets of group %q: %w", group, err)
	}
	out := map[tp]int64{}
	add := func(topic string, partition int32, offset int64, code int16) error {
		if err := kerr.ErrorForCode(code); err != nil {
			return fmt.Errorf("fetch the offset of group %q for %s/%d: %w", group, topic, partition, err)
		}
		if offset >= 0 {
			out[tp{topic, partition}] = offset
		}
		return nil
	}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if err := add(t.Topic, p.Partition, p.Offset, p.ErrorCode); err != nil {
				return nil, err
			}
		}
	}
	for _, g := range resp.Groups {
		if g.ErrorCode == kerr.GroupIDNotFound.Code {
			continue
		}
		if err := kerr.ErrorForCode(g.ErrorCode); err != nil {
			return nil, fmt.Errorf("fetch the offsets of group %q: %w", group, err)
		}
		for _, t := range g.Topics {
			for _, p := range t.Partitions {
				if err := add(t.Topic, p.Partition, p.Offset, p.ErrorCode); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

// commitOffsets commits offsets to group as a simple (non-member) consumer.
func commitOffsets(ctx context.Context, cl *kgo.Client, group string, offsets map[tp]int64) error {
	if len(offsets) == 0 {
		return nil
	}
	// OffsetCommit v10 names topics by id.
	mreq := kmsg.NewPtrMetadataRequest()
	for k := range offsets {
		if !slices.ContainsFunc(mreq.Topics, func(t kmsg.MetadataRequestTopic) bool { return *t.Topic == k.topic }) {
			rt := kmsg.NewMetadataRequestTopic()
			rt.Topic = kmsg.StringPtr(k.topic)
			mreq.Topics = append(mreq.Topics, rt)
		}
	}
	mresp, err := mreq.RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("commit offsets to group %q: %w", group, err)
	}
	ids := map[string][16]byte{}
	for _, t := range mresp.Topics {
		if t.Topic != nil {
			ids[*t.Topic] = t.TopicID
		}
	}
	req := kmsg.NewPtrOffsetCommitRequest()
	req.Group = group
	req.Generation = -1
	req.MemberID = ""
	idx := map[string]int{}
	keys := make([]tp, 0, len(offsets))
	for k := range offsets {
		keys = append(keys, k)
	}
	sortTPs(keys)
	for _, k := range keys {
		i, ok := idx[k.topic]
		if !ok {
			i = len(req.Topics)
			idx[k.topic] = i
			rt := kmsg.NewOffsetCommitRequestTopic()
			rt.Topic = k.topic
			rt.TopicID = ids[k.topic]
			req.Topics = append(req.Topics, rt)
		}
		rp := kmsg.NewOffsetCommitRequestTopicPartition()
		rp.Partition = k.partition
		rp.Offset = offsets[k]
		rp.LeaderEpoch = -1
		req.Topics[i].Partitions = append(req.Topics[i].Partitions, rp)
	}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("commit offsets to group %q: %w", group, err)
	}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				return fmt.Errorf("commit the offset of partition %d to group %q: %w", p.Partition, group, err)
			}
		}
	}
	return nil
}

// initProducerID initializes the transactional id txnID: the coordinator
// aborts a transaction still open under it and bumps its epoch, fencing
// every producer that used it. It returns the new epoch (0 for an id never
// used before).
func initProducerID(ctx context.Context, cl *kgo.Client, txnID string, timeout time.Duration) (int16, error) {
	req := kmsg.NewPtrInitProducerIDRequest()
	req.TransactionalID = kmsg.StringPtr(txnID)
	req.TransactionTimeoutMillis = int32(timeout / time.Millisecond)
	req.ProducerID = -1
	req.ProducerEpoch = -1
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return 0, fmt.Errorf("init transactional id %q: %w", txnID, err)
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return 0, fmt.Errorf("init transactional id %q: %w", txnID, err)
	}
	return resp.ProducerEpoch, nil
}

// endTxn ends the transaction of producer (id, epoch) under txnID, as the
// producer itself would: this is how a restarted query commits a
// transaction its crashed predecessor had pre-committed.
func endTxn(ctx context.Context, cl *kgo.Client, txnID string, id int64, epoch int16, commit bool) error {
	req := kmsg.NewPtrEndTxnRequest()
	req.TransactionalID = txnID
	req.ProducerID = id
	req.ProducerEpoch = epoch
	req.Commit = commit
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("end transaction %q: %w", txnID, err)
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return fmt.Errorf("end transaction %q: %w", txnID, err)
	}
	return nil
}

// sortTPs sorts topic-partitions by topic, then partition.
func sortTPs(list []tp) {
	sort.Slice(list, func(i, j int) bool {
		if list[i].topic != list[j].topic {
			return list[i].topic < list[j].topic
		}
		return list[i].partition < list[j].partition
	})
}
