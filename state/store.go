package state

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
	"github.com/zeebo/xxh3"
)

// Errors of a state directory, wrapped with the directory and what to do.
var (
	// ErrLocked: another process has the directory open.
	ErrLocked = errors.New("state directory in use")
	// ErrMismatch: the directory holds a checkpoint of a different query.
	ErrMismatch = errors.New("state directory holds another query")
)

// chunkSize is the most bytes of a checkpoint stored under one key.
const chunkSize = 512 << 10

// pidFile names the file where the process holding the directory writes
// its pid, so that a second one can say who holds it.
const pidFile = "weir.pid"

// Store is an open state directory.
type Store struct {
	dir string
	db  *badger.DB

	gcMu      sync.Mutex
	gcRunning bool
	gcWG      sync.WaitGroup
	closed    bool

	// failWrite, when set (by tests), is called before each write; an error
	// it returns fails the write as a full disk would.
	failWrite func() error
}

// Open opens (creating if need be) the state directory dir. Errors name
// the directory and say what to do: ErrLocked when another weir holds it.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("state directory %s cannot be created: %w (choose another with --state-dir)", dir, unwrapPath(err))
	}
	opts := badger.DefaultOptions(dir).
		WithLogger(nil).
		WithSyncWrites(true).
		WithMemTableSize(16 << 20).
		WithNumMemtables(2).
		WithNumLevelZeroTables(2).
		WithNumLevelZeroTablesStall(8).
		WithBlockCacheSize(8 << 20).
		WithValueThreshold(1 << 20).
		WithValueLogFileSize(32 << 20).
		WithNumCompactors(2).
		WithCompression(options.None).
		WithMetricsEnabled(false).
		WithDetectConflicts(false).
		WithVerifyValueChecksum(true)
	db, err := badger.Open(opts)
	if err != nil {
		msg := err.Error()
		switch {
		case strings.Contains(msg, "Cannot acquire directory lock"):
			holder := ""
			if b, rerr := os.ReadFile(filepath.Join(dir, pidFile)); rerr == nil {
				if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil {
					holder = fmt.Sprintf(" (process %d)", pid)
				}
			}
			return nil, fmt.Errorf("%w: %s is open in another weir%s; stop that one, or give this query another --state-dir", ErrLocked, dir, holder)
		case errors.Is(err, os.ErrPermission) || strings.Contains(msg, "permission denied"):
			return nil, fmt.Errorf("state directory %s is not writable: %w (fix its permissions or choose another --state-dir)", dir, err)
		case errors.Is(err, syscall.ENOSPC):
			return nil, fmt.Errorf("state directory %s: the disk is full: %w", dir, err)
		}
		return nil, fmt.Errorf("%w: state directory %s cannot be opened: %v (it may be damaged; move it away or delete it to start the query afresh)", ErrCorrupt, dir, err)
	}
	s := &Store{dir: dir, db: db}
	if err := os.WriteFile(filepath.Join(dir, pidFile), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		db.Close()
		return nil, fmt.Errorf("state directory %s is not writable: %w", dir, err)
	}
	return s, nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Dir is the directory of the store.
func (s *Store) Dir() string { return s.dir }

// Close waits for a running garbage collection and closes the database.
func (s *Store) Close() error {
	s.gcMu.Lock()
	s.closed = true
	s.gcMu.Unlock()
	s.gcWG.Wait()
	os.Remove(filepath.Join(s.dir, pidFile))
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close state directory %s: %w", s.dir, err)
	}
	return nil
}

// Manifest describes a query's committed checkpoint.
type Manifest struct {
	// ID is the checkpoint's id (1, 2, ...).
	ID uint64
	// Final says the query had run to its end.
	Final bool
	// Fingerprint identifies the query's plan; Query is its text, for
	// messages.
	Fingerprint string
	Query       string
	// Time is when the checkpoint was committed.
	Time time.Time
	// Size is the checkpoint's size in bytes; Sum its checksum.
	Size int
	Sum  uint64
}

func manifestKey(ns string) []byte { return []byte("q/" + ns + "/m") }

func chunkPrefix(ns string) []byte { return []byte("q/" + ns + "/c/") }

func chunkKey(ns string, id uint64, i int) []byte {
	k := chunkPrefix(ns)
	k = binary.BigEndian.AppendUint64(k, id)
	return binary.BigEndian.AppendUint32(k, uint32(i))
}

func chunks(size int) int { return (size + chunkSize - 1) / chunkSize }

func (m *Manifest) encode() []byte {
	e := NewEncoder(nil)
	e.Uvarint(1) // version
	e.Uvarint(m.ID)
	e.Bool(m.Final)
	e.String(m.Fingerprint)
	e.String(m.Query)
	e.Varint(m.Time.UnixMilli())
	e.Count(m.Size)
	e.Uint64(m.Sum)
	return e.Bytes()
}

func decodeManifest(b []byte) (*Manifest, error) {
	d := NewDecoder(b)
	if v := d.Uvarint(); v != 1 && d.Err() == nil {
		return nil, fmt.Errorf("%w: manifest version %d", ErrCorrupt, v)
	}
	m := &Manifest{ID: d.Uvarint(), Final: d.Bool(), Fingerprint: d.String(), Query: d.String()}
	m.Time = time.UnixMilli(d.Varint())
	m.Size = int(d.Uvarint())
	m.Sum = d.Uint64()
	if err := d.Err(); err != nil {
		return nil, err
	}
	return m, nil
}

// Load returns the committed checkpoint of namespace ns and its data, or
// nil when there is none. It first removes the chunks of checkpoints that
// were written but never committed.
func (s *Store) Load(ns string) (*Manifest, []byte, error) {
	m, err := s.manifest(ns)
	if err != nil {
		return nil, nil, err
	}
	if err := s.dropChunksExcept(ns, m); err != nil {
		return nil, nil, err
	}
	if m == nil {
		return nil, nil, nil
	}
	data := make([]byte, 0, m.Size)
	err = s.db.View(func(txn *badger.Txn) error {
		for i := 0; i < chunks(m.Size); i++ {
			it, err := txn.Get(chunkKey(ns, m.ID, i))
			if err != nil {
				return fmt.Errorf("%w: chunk %d of checkpoint %d: %v", ErrCorrupt, i, m.ID, err)
			}
			if err := it.Value(func(v []byte) error { data = append(data, v...); return nil }); err != nil {
				return fmt.Errorf("%w: chunk %d of checkpoint %d: %v", ErrCorrupt, i, m.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, s.readErr(err)
	}
	if len(data) != m.Size || xxh3.Hash(data) != m.Sum {
		return nil, nil, fmt.Errorf("%w: checkpoint %d in state directory %s fails its checksum (move the directory away or delete it to start the query afresh)", ErrCorrupt, m.ID, s.dir)
	}
	return m, data, nil
}

func (s *Store) readErr(err error) error {
	if errors.Is(err, ErrCorrupt) {
		return fmt.Errorf("state directory %s: %w (move it away or delete it to start the query afresh)", s.dir, err)
	}
	return fmt.Errorf("read state directory %s: %w", s.dir, err)
}

// dropChunksExcept deletes every chunk of ns that does not belong to m.
func (s *Store) dropChunksExcept(ns string, m *Manifest) error {
	var stale [][]byte
	err := s.db.View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.PrefetchValues = false
		opts.Prefix = chunkPrefix(ns)
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			k := it.Item().KeyCopy(nil)
			id := binary.BigEndian.Uint64(k[len(opts.Prefix):])
			if m == nil || id != m.ID {
				stale = append(stale, k)
			}
		}
		return nil
	})
	if err != nil {
		return s.readErr(err)
	}
	return s.delete(stale)
}

func (s *Store) delete(keys [][]byte) error {
	if len(keys) == 0 {
		return nil
	}
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	for _, k := range keys {
		if err := wb.Delete(k); err != nil {
			return s.writeErr(err)
		}
	}
	if err := wb.Flush(); err != nil {
		return s.writeErr(err)
	}
	return nil
}

func (s *Store) writeErr(err error) error {
	if errors.Is(err, syscall.ENOSPC) {
		return fmt.Errorf("write state directory %s: the disk is full: %w", s.dir, err)
	}
	return fmt.Errorf("write state directory %s: %w", s.dir, err)
}

// Save commits data as checkpoint m.ID of namespace ns, replacing the
// previous one. m.Size and m.Sum are filled in here. If Save fails, the
// previous checkpoint stays the committed one.
func (s *Store) Save(ns string, m Manifest, data []byte) error {
	prev, err := s.manifest(ns)
	if err != nil {
		return err
	}
	if prev != nil && prev.ID == m.ID {
		return fmt.Errorf("checkpoint %d of query %s is already committed", m.ID, ns)
	}
	m.Size, m.Sum = len(data), xxh3.Hash(data)
	if s.failWrite != nil {
		if err := s.failWrite(); err != nil {
			return s.writeErr(err)
		}
	}
	wb := s.db.NewWriteBatch()
	for i := 0; i < chunks(len(data)); i++ {
		end := min(len(data), (i+1)*chunkSize)
		if err := wb.Set(chunkKey(ns, m.ID, i), data[i*chunkSize:end]); err != nil {
			wb.Cancel()
			return s.writeErr(err)
		}
	}
	if err := wb.Flush(); err != nil {
		return s.writeErr(err)
	}
	if s.failWrite != nil {
		if err := s.failWrite(); err != nil {
			return s.writeErr(err)
		}
	}
	if m.Time.IsZero() {
		m.Time = time.Now()
	}
	if err := s.db.Update(func(txn *badger.Txn) error { return txn.Set(manifestKey(ns), m.encode()) }); err != nil {
		return s.writeErr(err)
	}
	// Committed. The previous checkpoint's chunks are garbage now.
	if prev != nil {
		old := make([][]byte, chunks(prev.Size))
		for i := range old {
			old[i] = chunkKey(ns, prev.ID, i)
		}
		if err := s.delete(old); err != nil {
			return err
		}
	}
	s.collectGarbage()
	return nil
}

// manifest reads ns's manifest, nil when there is none.
func (s *Store) manifest(ns string) (*Manifest, error) {
	var m *Manifest
	err := s.db.View(func(txn *badger.Txn) error {
		it, err := txn.Get(manifestKey(ns))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return it.Value(func(v []byte) error {
			m, err = decodeManifest(v)
			return err
		})
	})
	if err != nil {
		return nil, s.readErr(err)
	}
	return m, nil
}

// Drop deletes everything of namespace ns: the query starts afresh.
func (s *Store) Drop(ns string) error {
	// DropPrefix removes the keys from the tables themselves (rewriting
	// them), so the space comes back now rather than at some later
	// compaction.
	if err := s.db.DropPrefix([]byte("q/" + ns + "/")); err != nil {
		return s.writeErr(err)
	}
	s.collectGarbage()
	return nil
}

// collectGarbage runs Badger's value-log GC in the background (one run at
// a time), so that the space of deleted checkpoints is given back.
func (s *Store) collectGarbage() {
	s.gcMu.Lock()
	defer s.gcMu.Unlock()
	if s.gcRunning || s.closed {
		return
	}
	s.gcRunning = true
	s.gcWG.Add(1)
	go func() {
		defer s.gcWG.Done()
		for i := 0; i < 8; i++ {
			if s.db.RunValueLogGC(0.5) != nil {
				break
			}
		}
		s.gcMu.Lock()
		s.gcRunning = false
		s.gcMu.Unlock()
	}()
}

// Flatten compacts the database and collects value-log garbage now, until
// nothing is left to reclaim; tests and benchmarks use it to see the floor
// of disk use.
func (s *Store) Flatten() error {
	s.gcWG.Wait()
	if err := s.db.Flatten(2); err != nil {
		return fmt.Errorf("compact state directory %s: %w", s.dir, err)
	}
	for s.db.RunValueLogGC(0.01) == nil {
	}
	return nil
}

// DiskUsage returns the bytes the directory's files take on disk (Badger
// preallocates sparse files, so their sizes overstate it).
func DiskUsage(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			n += allocated(info)
		}
		return nil
	})
	return n, err
}

// allocated is the disk space of a file: its blocks where the platform
// tells them, else its size.
func allocated(info os.FileInfo) int64 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return st.Blocks * 512
	}
	return info.Size()
}
