package kafka

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirsql/weir/connectors"
	"github.com/weirsql/weir/connectors/format"
)

// RecordError is a Kafka record whose key or value does not decode.
type RecordError struct {
	Topic     string
	Partition int32
	Offset    int64
	// Part is "key" or "value".
	Part string
	// Column is the column whose value is bad; "" when the message as a
	// whole is malformed.
	Column string
	// Msg says what is wrong.
	Msg string
}

// Error reads like `topic "bids" partition 0 offset 17: value: column
// "price": "abc" is not a BIGINT`.
func (e *RecordError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "topic %q partition %d offset %d: %s: ", e.Topic, e.Partition, e.Offset, e.Part)
	if e.Column != "" {
		b.WriteString("column ")
		b.WriteString(strconv.Quote(e.Column))
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap makes errors.Is(err, ErrBadRecord) true.
func (e *RecordError) Unwrap() error { return ErrBadRecord }

// Where an output column comes from.
const (
	fromValue = iota
	fromKey
	fromMeta
)

type colFrom struct {
	kind int
	idx  int // column of the value or key decoder's output, or metadata entry
}

// rowBuilder turns Kafka records into rows of the source's batches: the
// value (and, with 'value.fields-include' = 'EXCEPT_KEY', the key) decoded
// by the format package straight into column buffers, and metadata columns
// appended to Arrow builders. Bad records leave nothing behind.
type rowBuilder struct {
	schema   *arrow.Schema
	val      *format.MessageDecoder
	key      *format.MessageDecoder // nil: the key is not read
	rawValue bool
	meta     []metaCol
	out      []colFrom
	n        int
	hdr      []byte
}

// metaCol fills one metadata column.
type metaCol struct {
	key string
	str *array.StringBuilder
	i32 *array.Int32Builder
	i64 *array.Int64Builder
	ts  *array.TimestampBuilder
}

// newRowBuilder works out which declared column comes from where.
func newRowBuilder(cfg connectors.SourceConfig, opts *options) (*rowBuilder, error) {
	if cfg.Schema == nil {
		return nil, fmt.Errorf("no schema")
	}
	mem := cfg.Mem
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	phys := cfg.Schema.Fields()
	isKey := make([]int, len(phys)) // position in key.fields + 1, or 0
	for ki, name := range opts.keyFields {
		found, err := keyField(phys, name, "source")
		if err != nil {
			return nil, err
		}
		if isKey[found] != 0 {
			return nil, fmt.Errorf("%w: 'key.fields' names %q twice", connectors.ErrBadOption, name)
		}
		isKey[found] = ki + 1
	}
	readKey := opts.exceptKey && len(opts.keyFields) > 0
	var valFields []arrow.Field
	valPos := make([]int, len(phys)) // position among the value fields, or -1
	for i, f := range phys {
		valPos[i] = -1
		if readKey && isKey[i] != 0 {
			continue
		}
		valPos[i] = len(valFields)
		valFields = append(valFields, f)
	}
	proj := cfg.Projection
	if proj == nil {
		proj = make([]int, len(phys))
		for i := range proj {
			proj[i] = i
		}
	}
	b := &rowBuilder{rawValue: opts.valueFormat == "raw"}
	fields := make([]arrow.Field, 0, len(proj)+len(cfg.Metadata))
	valProj, keyProj := []int{}, []int{}
	for _, p := range proj {
		if p < 0 || p >= len(phys) {
			return nil, fmt.Errorf("projection index %d out of range", p)
		}
		fields = append(fields, phys[p])
		if readKey && isKey[p] != 0 {
			b.out = append(b.out, colFrom{fromKey, len(keyProj)})
			keyProj = append(keyProj, isKey[p]-1)
		} else {
			b.out = append(b.out, colFrom{fromValue, len(valProj)})
			valProj = append(valProj, valPos[p])
		}
	}
	var err error
	b.val, err = format.NewMessageDecoder(opts.valueFormat, format.DecoderOptions{
		Schema: arrow.NewSchema(valFields, nil), Projection: valProj, Mem: mem, Delimiter: opts.delim,
	})
	if err != nil {
		return nil, fmt.Errorf("value: %w", err)
	}
	if readKey {
		keyFields := make([]arrow.Field, len(opts.keyFields))
		for i, k := range isKey {
			if k != 0 {
				keyFields[k-1] = phys[i]
			}
		}
		b.key, err = format.NewMessageDecoder(opts.keyFormat, format.DecoderOptions{
			Schema: arrow.NewSchema(keyFields, nil), Projection: keyProj, Mem: mem, Delimiter: opts.delim,
		})
		if err != nil {
			return nil, fmt.Errorf("key: %w", err)
		}
	}
	for i, m := range cfg.Metadata {
		var spec connectors.MetadataSpec
		for _, ms := range metadataSpecs {
			if ms.Key == m.Key {
				spec = ms
			}
		}
		if spec.Key == "" {
			return nil, fmt.Errorf("%w '%s'", connectors.ErrUnknownMetadata, m.Key)
		}
		if !arrow.TypeEqual(spec.Type, m.Field.Type) {
			return nil, fmt.Errorf("%w: metadata '%s' is %s", connectors.ErrMetadataType, m.Key, spec.Type)
		}
		mc := metaCol{key: m.Key}
		switch spec.Type.ID() {
		case arrow.STRING:
			mc.str = array.NewStringBuilder(mem)
		case arrow.INT32:
			mc.i32 = array.NewInt32Builder(mem)
		case arrow.INT64:
			mc.i64 = array.NewInt64Builder(mem)
		case arrow.TIMESTAMP:
			mc.ts = array.NewTimestampBuilder(mem, spec.Type.(*arrow.TimestampType))
		}
		b.meta = append(b.meta, mc)
		b.out = append(b.out, colFrom{fromMeta, i})
		f := m.Field
		f.Nullable = true
		fields = append(fields, f)
	}
	b.schema = arrow.NewSchema(fields, nil)
	return b, nil
}

// add decodes one record into a row. For a bad key or value it returns
// which part was bad and why, and the row is not added.
func (b *rowBuilder) add(r *kgo.Record) (string, *format.RecordError) {
	if b.key != nil {
		if bad := b.key.Append(r.Key); bad != nil {
			return "key", bad
		}
	}
	if bad := b.val.Append(r.Value); bad != nil {
		if b.key != nil {
			b.key.DropLast()
		}
		return "value", bad
	}
	for i := range b.meta {
		b.appendMeta(&b.meta[i], r)
	}
	b.n++
	return "", nil
}

func (b *rowBuilder) appendMeta(m *metaCol, r *kgo.Record) {
	switch m.key {
	case metaTopic:
		m.str.Append(r.Topic)
	case metaPartition:
		m.i32.Append(r.Partition)
	case metaOffset:
		m.i64.Append(r.Offset)
	case metaTimestamp:
		m.ts.Append(arrow.Timestamp(r.Timestamp.UnixMilli()))
	case metaTimestampType:
		switch r.Attrs.TimestampType() {
		case 0:
			m.str.Append("CreateTime")
		case 1:
			m.str.Append("LogAppendTime")
		default:
			m.str.Append("NoTimestampType")
		}
	case metaHeaders:
		if len(r.Headers) == 0 {
			m.str.AppendNull()
			return
		}
		h := append(b.hdr[:0], '{')
		first := true
		for i, kv := range r.Headers {
			dup := false
			for _, later := range r.Headers[i+1:] {
				if later.Key == kv.Key {
					dup = true
					break
				}
			}
			if dup {
				continue
			}
			if !first {
				h = append(h, ',')
			}
			first = false
			h = format.AppendJSONString(h, kv.Key)
			h = append(h, ':')
			h = format.AppendJSONString(h, string(kv.Value))
		}
		h = append(h, '}')
		b.hdr = h
		m.str.BinaryBuilder.Append(h)
	case metaLeaderEpoch:
		if r.LeaderEpoch < 0 {
			m.i32.AppendNull()
		} else {
			m.i32.Append(r.LeaderEpoch)
		}
	}
}

// len is the number of rows added since the last flush.
func (b *rowBuilder) len() int { return b.n }

// flush returns the rows added since the last flush as a record.
func (b *rowBuilder) flush() arrow.Record {
	val := b.val.Flush()
	defer val.Release()
	var key arrow.Record
	if b.key != nil {
		key = b.key.Flush()
		defer key.Release()
	}
	metas := make([]arrow.Array, len(b.meta))
	for i := range b.meta {
		m := &b.meta[i]
		switch {
		case m.str != nil:
			metas[i] = m.str.NewArray()
		case m.i32 != nil:
			metas[i] = m.i32.NewArray()
		case m.i64 != nil:
			metas[i] = m.i64.NewArray()
		default:
			metas[i] = m.ts.NewArray()
		}
		defer metas[i].Release()
	}
	cols := make([]arrow.Array, len(b.out))
	for i, o := range b.out {
		switch o.kind {
		case fromValue:
			cols[i] = val.Column(o.idx)
		case fromKey:
			cols[i] = key.Column(o.idx)
		default:
			cols[i] = metas[o.idx]
		}
	}
	rec := array.NewRecord(b.schema, cols, int64(b.n))
	b.n = 0
	return rec
}

// release frees the metadata builders (rows not flushed are dropped).
func (b *rowBuilder) release() {
	if b.n > 0 {
		b.flush().Release()
	}
	for i := range b.meta {
		m := &b.meta[i]
		switch {
		case m.str != nil:
			m.str.Release()
		case m.i32 != nil:
			m.i32.Release()
		case m.i64 != nil:
			m.i64.Release()
		case m.ts != nil:
			m.ts.Release()
		}
	}
	b.meta = nil
}

// keyField finds a 'key.fields' name among fields: exactly, else ignoring
// case. what says whose columns they are, for the error.
func keyField(fields []arrow.Field, name, what string) (int, error) {
	for i, f := range fields {
		if f.Name == name {
			return i, nil
		}
	}
	for i, f := range fields {
		if strings.EqualFold(f.Name, name) {
			return i, nil
		}
	}
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.Name
	}
	return -1, fmt.Errorf("%w: 'key.fields' names %q, which is not a column of the %s (columns: %s)",
		connectors.ErrBadOption, name, what, strings.Join(names, ", "))
}
