package kafka

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirsql/weir/exec"
)

// TxnSink writes a query's rows exactly once, with Kafka transactions
// committed together with Weir's checkpoints (two-phase commit, as Flink's
// KafkaSink does):
//
//   - The rows between two checkpoint barriers go into one transaction.
//   - PreCommit (the barrier reached the sink) flushes it: every record is
//     in the log, invisible to read_committed consumers. It returns the
//     transactional id, producer id and epoch, which the checkpoint stores.
//   - Commit (the checkpoint is durable) commits the transaction.
//   - Recover (a restart from checkpoint N) commits N's transaction if the
//     crash came between the checkpoint and the commit, then fences every
//     transactional id of the sink and so aborts what the crashed run wrote
//     after N, which the restarted query writes again.
//
// The crash window. A transaction's output belongs to a checkpoint that is
// durable before the transaction is committed. If Weir dies in between,
// the transaction stays open in Kafka. Kafka's coordinator commits a
// transaction for any client that presents its transactional id, producer
// id and epoch, so Recover sends that EndTxn itself (Flink does the same by
// setting the id and epoch inside its producer by reflection); franz-go
// allows it directly with a raw EndTxn request. If the commit had already
// happened, the coordinator answers the retried commit with success. The
// one loss: a query down longer than 'properties.transaction.timeout.ms'
// finds that the coordinator has aborted the transaction; Recover then
// fails with ErrTransactionLost, saying so, rather than going on silently.
//
// Transactional ids are '<prefix>-0', '<prefix>-1', ...: a transaction
// takes the lowest free one, and an id is free again once a later
// checkpoint has committed, so that Recover never finds an id reused by a
// later transaction. Two or three ids are used in the steady state.
//
// The checkpoint runtime calls Recover before Open in every run with
// checkpoints (with id 0 and no data on a fresh start, which fences the
// ids and so aborts whatever an earlier run left open), takes a final
// checkpoint at the end of input, and the sink aborts on Close the
// transaction of rows after the last checkpoint. A run without checkpoints
// (no Recover; `weir run --no-state`) writes through, as the at-least-once
// Sink does: a transaction that stayed open for a whole unbounded query
// would hide its output and hold back every read_committed consumer of the
// topic.
//
// Each transaction has a producer client of its own, made when it begins
// (its InitProducerID bumps the id's epoch) and closed once the
// transaction has ended, and the sink ends transactions with its own
// EndTxn requests (with the producer id and epoch that PreCommit records,
// as Recover does) rather than franz-go's EndTransaction. franz-go v1.22.2
// decides whether there is anything to commit from its own record of the
// partitions added to the transaction, and under load that record can
// miss a partition a client has written to in its first transaction
// (about one new client in 300 in a stress test against kfake):
// EndTransaction(TryCommit) then sends an abort, or nothing at all, and
// returns nil, so that a checkpoint's rows are lost or left in an open
// transaction that holds back read_committed consumers. The records
// themselves are in the broker's transaction (they were acknowledged), so
// an EndTxn of the sink's own commits them.
type TxnSink struct {
	name   string
	opts   *options
	notify *notifier

	admin     *kgo.Client // not transactional: fencing, resuming, metadata
	enc       *recordEncoder
	slots     []*txnSlot
	cur       *txnSlot     // holds the open transaction; nil when none
	pending   []pendingTxn // pre-committed, oldest first
	held      []pendingTxn // committed; their ids are not reused yet
	recovered bool         // Recover ran: transactions, committed with checkpoints
	plain     *Sink        // without Recover, rows are written through this
	opened    bool
	closed    bool
	deliveries
}

var (
	_ exec.Sink           = (*TxnSink)(nil)
	_ exec.CommittingSink = (*TxnSink)(nil)
)

// txnSlot is one transactional id and the producer of its transaction.
type txnSlot struct {
	index int
	id    string
	cl    *kgo.Client // nil between transactions
	busy  bool
}

// closeClient closes the slot's producer, if it has one.
func (sl *txnSlot) closeClient() {
	if sl.cl != nil {
		sl.cl.Close()
		sl.cl = nil
	}
}

type pendingTxn struct {
	checkpoint uint64
	slot       *txnSlot // nil: nothing was written since the last checkpoint
	producerID int64
	epoch      int16
}

// txnState is what PreCommit returns and Recover reads.
type txnState struct {
	V               int    `json:"v"`
	Checkpoint      uint64 `json:"checkpoint"`
	TransactionalID string `json:"transactional_id,omitempty"`
	ProducerID      int64  `json:"producer_id,omitempty"`
	ProducerEpoch   int16  `json:"producer_epoch,omitempty"`
}

func newTxnSink(name string, opts *options, notices io.Writer) *TxnSink {
	return &TxnSink{name: name, opts: opts, notify: newNotifier(notices, fmt.Sprintf("kafka sink %q", name))}
}

func (s *TxnSink) txnID(i int) string { return s.opts.txnPrefix + "-" + strconv.Itoa(i) }

func (s *TxnSink) connect() error {
	if s.admin != nil {
		return nil
	}
	cl, err := kgo.NewClient(append(append([]kgo.Opt{}, s.opts.client.common...), kgo.WithHooks(connHook{s.notify}))...)
	if err != nil {
		return fmt.Errorf("kafka sink %q: kafka client: %w", s.name, err)
	}
	s.admin = cl
	return nil
}

// Open makes the encoders and connects, waiting while the cluster cannot
// Check implements exec.SinkChecker, as Sink's.
func (s *TxnSink) Check(schema *arrow.Schema, updating bool) error {
	_, err := newRecordEncoder(schema, updating, s.opts)
	return err
}

// be reached. Without Recover it opens a write-through producer instead.
func (s *TxnSink) Open(ctx context.Context, schema *arrow.Schema, updating bool) error {
	if s.opened {
		return fmt.Errorf("kafka sink %q: opened twice", s.name)
	}
	s.opened = true
	if !s.recovered {
		s.plain = newSink(s.name, s.opts, s.notify.w)
		return s.plain.Open(ctx, schema, updating)
	}
	enc, err := newRecordEncoder(schema, updating, s.opts)
	if err != nil {
		return fmt.Errorf("kafka sink %q: %w", s.name, err)
	}
	s.enc = enc
	if err := s.connect(); err != nil {
		return err
	}
	if err := retry(ctx, s.notify, "find the topic", func(ctx context.Context) error { return checkTopic(ctx, s.admin, s.opts) }); err != nil {
		return fmt.Errorf("kafka sink %q: %w", s.name, err)
	}
	return nil
}

// fence initializes the sink's transactional ids from '<prefix>-0' up to
// the first one never used before: each initialization aborts the
// transaction left open under that id and fences the producer that opened
// it.
func (s *TxnSink) fence(ctx context.Context) error {
	for i := 0; ; i++ {
		id := s.txnID(i)
		var epoch int16
		err := retry(ctx, s.notify, "fence earlier producers", func(ctx context.Context) error {
			var err error
			epoch, err = initProducerID(ctx, s.admin, id, s.opts.client.txnTimeout)
			return err
		})
		if err != nil {
			return fmt.Errorf("kafka sink %q: %w", s.name, err)
		}
		if epoch == 0 {
			return nil
		}
	}
}

// acquire returns the lowest free slot with a transaction begun by a new
// producer client.
func (s *TxnSink) acquire() (*txnSlot, error) {
	var slot *txnSlot
	for _, sl := range s.slots {
		if !sl.busy {
			slot = sl
			break
		}
	}
	if slot == nil {
		slot = &txnSlot{index: len(s.slots), id: s.txnID(len(s.slots))}
		s.slots = append(s.slots, slot)
	}
	slot.closeClient()
	kopts := append(producerOpts(s.opts, s.notify), kgo.TransactionalID(slot.id), kgo.TransactionTimeout(s.opts.client.txnTimeout))
	cl, err := kgo.NewClient(kopts...)
	if err != nil {
		return nil, fmt.Errorf("kafka sink %q: kafka client: %w", s.name, err)
	}
	slot.cl = cl
	if err := cl.BeginTransaction(); err != nil {
		slot.closeClient()
		return nil, fmt.Errorf("kafka sink %q: begin transaction %q: %w", s.name, slot.id, err)
	}
	slot.busy = true
	return slot, nil
}

// Write produces a batch's rows into the open transaction, beginning one
// if needed. It releases the message.
func (s *TxnSink) Write(ctx context.Context, msg exec.Message) error {
	if s.plain != nil {
		return s.plain.Write(ctx, msg)
	}
	defer msg.Release()
	if err := s.failure(); err != nil {
		return err
	}
	if s.enc == nil {
		return fmt.Errorf("kafka sink %q: write before open", s.name)
	}
	if msg.Kind != exec.MsgBatch || msg.NumRows() == 0 {
		return nil
	}
	if s.cur == nil {
		slot, err := s.acquire()
		if err != nil {
			return err
		}
		s.cur = slot
	}
	cl := s.cur.cl
	// A record outlives this call, so not Write's context: a full buffer
	// waits, bounded by the delivery timeout.
	return s.enc.records(msg, func(r *kgo.Record) { cl.Produce(context.Background(), r, s.delivered) })
}

func (s *TxnSink) delivered(r *kgo.Record, err error) {
	if errors.Is(err, kgo.ErrAborting) {
		return // Close aborts the transaction on purpose
	}
	s.deliveries.delivered(s.name, r, err)
}

// Written is the number of records the brokers have acknowledged (written
// to the log; visible to read_committed consumers once committed).
func (s *TxnSink) Written() int64 {
	if s.plain != nil {
		return s.plain.Written()
	}
	return s.written.Load()
}

// PreCommit flushes the open transaction and returns what Recover needs to
// commit it: its transactional id, producer id and epoch.
func (s *TxnSink) PreCommit(ctx context.Context, id uint64) ([]byte, error) {
	st := txnState{V: 1, Checkpoint: id}
	if s.plain != nil { // no Recover: no transactions, only a flush
		if err := s.plain.Write(ctx, exec.Message{Kind: exec.MsgBarrier, Barrier: id}); err != nil {
			return nil, err
		}
		return json.Marshal(st)
	}
	if s.cur != nil {
		if err := s.cur.cl.Flush(ctx); err != nil {
			return nil, fmt.Errorf("kafka sink %q: flush at checkpoint %d: %w", s.name, id, err)
		}
		if err := s.failure(); err != nil {
			return nil, err
		}
		pid, epoch, err := s.cur.cl.ProducerID(ctx)
		if err != nil {
			return nil, fmt.Errorf("kafka sink %q: producer id of transaction %q: %w", s.name, s.cur.id, err)
		}
		st.TransactionalID, st.ProducerID, st.ProducerEpoch = s.cur.id, pid, epoch
	}
	s.pending = append(s.pending, pendingTxn{checkpoint: id, slot: s.cur, producerID: st.ProducerID, epoch: st.ProducerEpoch})
	s.cur = nil
	b, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("kafka sink %q: encode checkpoint state: %w", s.name, err)
	}
	return b, nil
}

// Commit commits the transactions pre-committed for checkpoints up to id,
// each with an EndTxn request of the sink's own (see TxnSink), retried
// while the cluster cannot be reached, and closes their producers.
// Calling it again for the same id does nothing.
func (s *TxnSink) Commit(ctx context.Context, id uint64) error {
	for len(s.pending) > 0 && s.pending[0].checkpoint <= id {
		p := s.pending[0]
		if p.slot != nil {
			err := retry(ctx, s.notify, "commit a transaction", func(ctx context.Context) error {
				return endTxn(ctx, s.admin, p.slot.id, p.producerID, p.epoch, true)
			})
			if err != nil {
				return fmt.Errorf("kafka sink %q: commit transaction %q of checkpoint %d: %w", s.name, p.slot.id, p.checkpoint, err)
			}
			p.slot.closeClient()
			s.held = append(s.held, p)
		}
		s.pending = s.pending[1:]
	}
	// A transaction's id is free once a later checkpoint is durable: no
	// Recover can then ask for the transaction by its id and epoch.
	keep := s.held[:0]
	for _, h := range s.held {
		if h.checkpoint < id {
			h.slot.busy = false
		} else {
			keep = append(keep, h)
		}
	}
	s.held = keep
	return nil
}

// Recover puts the sink in transactional mode and settles the
// transactions of earlier runs before Open: it commits the transaction of
// checkpoint id (data is PreCommit's answer; id 0 and no data on a fresh
// start) if that had not happened, then fences the sink's transactional
// ids, which aborts anything written after the checkpoint.
func (s *TxnSink) Recover(ctx context.Context, id uint64, data []byte) error {
	if s.opened {
		return fmt.Errorf("kafka sink %q: recover after open", s.name)
	}
	st := txnState{V: 1}
	if len(data) > 0 {
		if err := json.Unmarshal(data, &st); err != nil {
			return fmt.Errorf("kafka sink %q: recover checkpoint %d: %w", s.name, id, err)
		}
	}
	if st.V != 1 {
		return fmt.Errorf("kafka sink %q: recover checkpoint %d: unknown state version %d", s.name, id, st.V)
	}
	if err := s.connect(); err != nil {
		return err
	}
	if st.TransactionalID != "" {
		err := retry(ctx, s.notify, "commit the transaction of the last checkpoint", func(ctx context.Context) error {
			return endTxn(ctx, s.admin, st.TransactionalID, st.ProducerID, st.ProducerEpoch, true)
		})
		switch {
		case errors.Is(err, kerr.ProducerFenced), errors.Is(err, kerr.InvalidProducerEpoch),
			errors.Is(err, kerr.InvalidTxnState), errors.Is(err, kerr.InvalidProducerIDMapping):
			return fmt.Errorf("kafka sink %q: %w: transaction %q holding the output of checkpoint %d was aborted by the broker "+
				"before it could be committed (most likely the query was down longer than 'properties.transaction.timeout.ms'); "+
				"that output is not in topic %q (%v)", s.name, ErrTransactionLost, st.TransactionalID, id, s.opts.topics[0], err)
		case err != nil:
			return fmt.Errorf("kafka sink %q: recover checkpoint %d: %w", s.name, id, err)
		}
	}
	if err := s.fence(ctx); err != nil {
		return err
	}
	s.recovered = true
	return nil
}

// abort drops what sl's producer has not sent and aborts its transaction
// with an EndTxn of the sink's own (see TxnSink). A transaction the broker
// never saw (nothing reached it) has nothing to abort.
func (s *TxnSink) abort(ctx context.Context, sl *txnSlot) error {
	if err := sl.cl.AbortBufferedRecords(ctx); err != nil {
		return fmt.Errorf("kafka sink %q: abort transaction %q: %w", s.name, sl.id, err)
	}
	pid, epoch, err := sl.cl.ProducerID(ctx)
	if err != nil {
		return fmt.Errorf("kafka sink %q: abort transaction %q: producer id: %w", s.name, sl.id, err)
	}
	err = endTxn(ctx, s.admin, sl.id, pid, epoch, false)
	if err != nil && !errors.Is(err, kerr.InvalidTxnState) {
		return fmt.Errorf("kafka sink %q: abort transaction %q: %w", s.name, sl.id, err)
	}
	return nil
}

// Close aborts the open transaction: its rows come after the last
// checkpoint, and a restart writes them again (the runtime takes a final
// checkpoint at the end of input, so a query that ends leaves none).
// Transactions pre-committed but not committed stay open for the next
// run's Recover. Without Recover it flushes the write-through producer.
// It is safe to call twice and without Open.
func (s *TxnSink) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	var err error
	if s.plain != nil {
		err = s.plain.Close()
	}
	if s.cur != nil {
		ctx, cancel := context.WithTimeout(context.Background(), s.opts.client.deliveryTimeout)
		err = s.abort(ctx, s.cur)
		cancel()
		s.cur = nil
	}
	for _, sl := range s.slots {
		sl.closeClient()
	}
	s.slots = nil
	if s.admin != nil {
		s.admin.Close()
		s.admin = nil
	}
	if err == nil {
		err = s.failure()
	}
	return err
}
