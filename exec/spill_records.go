package exec

import (
	byteorder "encoding/binary"
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/state"
)

// recordSpill is an operator's spill area and budget for stored Arrow
// records (a join's two sides, a Top-N's segments): each spilled record is
// one key, its Arrow IPC encoding, under the operator's prefix.
type recordSpill struct {
	what   string // the operator, for errors: "join", "top-n"
	budget int64
	open   func() (SpillStore, error)
	store  SpillStore
	prefix []byte
	mem    memory.Allocator

	nextID uint64 // ids of spilled records, from 1 in each run
	tick   uint64 // the use clock: raised for each input batch

	spilled, bytes, reads int64 // records written and their bytes; records read back
}

// area opens the spill area on first use and deletes what an earlier run
// of the query left in the join's part of it.
func (sp *recordSpill) area() (SpillStore, error) {
	if sp.store != nil {
		return sp.store, nil
	}
	st, err := sp.open()
	if err != nil {
		return nil, fmt.Errorf("%s: open spill area: %w", sp.what, err)
	}
	if err := st.DeletePrefix(sp.prefix); err != nil {
		return nil, fmt.Errorf("%s: clear spill area: %w", sp.what, err)
	}
	sp.store = st
	return st, nil
}

func (sp *recordSpill) key(id uint64) []byte {
	return byteorder.BigEndian.AppendUint64(append([]byte(nil), sp.prefix...), id)
}

// write spills rec and returns its id.
func (sp *recordSpill) write(rec arrow.Record) (uint64, error) {
	st, err := sp.area()
	if err != nil {
		return 0, err
	}
	e := state.NewEncoder(nil)
	if err := e.Record(rec); err != nil {
		return 0, fmt.Errorf("%s: spill rows: %w", sp.what, err)
	}
	sp.nextID++
	id := sp.nextID
	if err := st.Put(sp.key(id), e.Bytes()); err != nil {
		return 0, fmt.Errorf("%s: spill rows: %w", sp.what, err)
	}
	sp.spilled++
	sp.bytes += int64(e.Len())
	return id, nil
}

// read reads spilled record id back; the caller releases it.
func (sp *recordSpill) read(id uint64) (arrow.Record, error) {
	st, err := sp.area()
	if err != nil {
		return nil, err
	}
	var buf []byte
	key := sp.key(id)
	err = st.Scan(key, func(k, v []byte) error {
		if len(k) == len(key) {
			buf = append([]byte(nil), v...)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: read spilled rows: %w", sp.what, err)
	}
	if buf == nil {
		return nil, fmt.Errorf("%s: read spilled rows: record %d is missing from the spill area", sp.what, id)
	}
	d := state.NewDecoder(buf)
	rec := d.Record(sp.mem)
	if err := d.Err(); err != nil {
		if rec != nil {
			rec.Release()
		}
		return nil, fmt.Errorf("%s: read spilled rows: %w", sp.what, err)
	}
	sp.reads++
	return rec, nil
}

// remove deletes spilled record id.
func (sp *recordSpill) remove(id uint64) error {
	st, err := sp.area()
	if err != nil {
		return err
	}
	if err := st.DeletePrefix(sp.key(id)); err != nil {
		return fmt.Errorf("%s: delete spilled rows: %w", sp.what, err)
	}
	return nil
}
