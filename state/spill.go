package state

import (
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// Spill is a key-value area of a store where operators put state that does
// not fit in memory. Keys are the operator's own; Spill prefixes them with
// the query's namespace.
type Spill struct {
	s      *Store
	prefix []byte
}

// Spill returns namespace ns's spill area.
func (s *Store) Spill(ns string) *Spill {
	return &Spill{s: s, prefix: []byte("q/" + ns + "/s/")}
}

func (p *Spill) key(k []byte) []byte { return append(append([]byte(nil), p.prefix...), k...) }

// Put stores value under key.
func (p *Spill) Put(key, value []byte) error {
	wb := p.s.db.NewWriteBatch()
	defer wb.Cancel()
	if err := wb.Set(p.key(key), value); err != nil {
		return p.s.writeErr(err)
	}
	if err := wb.Flush(); err != nil {
		return p.s.writeErr(err)
	}
	return nil
}

// Scan calls fn with every key under prefix (without the area's prefix)
// and its value, in key order. The slices are valid during the call only.
func (p *Spill) Scan(prefix []byte, fn func(key, value []byte) error) error {
	err := p.s.db.View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.Prefix = p.key(prefix)
		opts.PrefetchValues = false
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			k := item.Key()[len(p.prefix):]
			err := item.Value(func(v []byte) error {
				if err := fn(k, v); err != nil {
					return callbackError{err}
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		var cb callbackError
		if errors.As(err, &cb) {
			return cb.err
		}
		return p.s.readErr(err)
	}
	return nil
}

type callbackError struct{ err error }

func (c callbackError) Error() string { return c.err.Error() }

// DeletePrefix removes every key under prefix.
func (p *Spill) DeletePrefix(prefix []byte) error {
	var keys [][]byte
	err := p.s.db.View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.Prefix = p.key(prefix)
		opts.PrefetchValues = false
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			keys = append(keys, it.Item().KeyCopy(nil))
		}
		return nil
	})
	if err != nil {
		return p.s.readErr(err)
	}
	if err := p.s.delete(keys); err != nil {
		return fmt.Errorf("delete spilled state: %w", err)
	}
	if len(keys) > 0 {
		p.s.collectGarbage()
	}
	return nil
}
