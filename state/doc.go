// Package state keeps Weir's durable state in Badger: the checkpoints of
// running queries (operator state, source positions, sink commit state) and
// the compact binary encoding they are written in.
//
// A state directory holds one Badger database. Each query of a script has
// a namespace in it; a query's checkpoint is written as chunks under a key
// of its own id, then committed by one atomic write of the query's manifest
// (id, plan fingerprint, size and checksum of the chunks), after which the
// previous checkpoint's chunks are deleted. A crash at any moment leaves the
// last committed checkpoint whole; chunks of an uncommitted one are removed
// at the next open. Checksums catch damaged data before it is decoded.
//
// The package knows nothing of SQL or of operators: it stores and returns
// bytes.
package state
