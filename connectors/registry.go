// Package connectors holds the registry of sources and sinks. Each connector
// registers a Spec naming its options (type, default, doc); the spec checks
// a WITH clause before anything runs and generates docs/connectors.md.
// Connector implementations live in sub-packages (connectors/file,
// connectors/stdout) and register themselves in init.
//
// A Spec also lists the metadata keys its sources can fill (Spec.Metadata:
// the file a row came from, a Kafka record's partition and offset). The
// planner checks a `col TYPE METADATA FROM 'key'` column against them and
// hands NewSource the metadata columns a query reads in
// SourceConfig.Metadata; the source appends them, in that order, after the
// projected physical columns of each batch. Computed columns never reach a
// connector: the engine evaluates them after the source.
package connectors

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/diag"
	"github.com/weirsql/weir/exec"
	"github.com/weirsql/weir/sqltypes"
)

// Sentinel errors, wrapped with context by the functions below.
var (
	ErrUnknownConnector = errors.New("unknown connector")
	ErrUnknownOption    = errors.New("unknown option")
	ErrBadOption        = errors.New("bad option value")
	ErrMissingOption    = errors.New("missing option")
	ErrNotASource       = errors.New("connector cannot be read from")
	ErrNotASink         = errors.New("connector cannot be written to")
	ErrUnknownMetadata  = errors.New("unknown metadata key")
	ErrMetadataType     = errors.New("metadata type mismatch")
)

// OptionType is the type of an option value.
type OptionType string

// Option types.
const (
	String   OptionType = "string"
	Int      OptionType = "int"
	Bool     OptionType = "bool"
	Duration OptionType = "duration" // Go syntax ("10s") or a number of ms
	Enum     OptionType = "enum"
)

// OptionSpec documents and validates one WITH option.
type OptionSpec struct {
	Key      string
	Type     OptionType
	Values   []string // allowed values of an Enum
	Default  string   // "" when there is none
	Required bool
	Doc      string
	// Prefix makes the spec match every key that starts with Key (for
	// example "properties."); Type applies to each.
	Prefix bool
}

// MetadataSpec declares one metadata key a connector's sources can fill:
// a value that is not part of a record's payload (Kafka's topic, partition,
// offset and timestamp; the file a row came from). A source column declared
// `col TYPE METADATA [FROM 'key'] [VIRTUAL]` reads it; the planner checks
// the key and the type against the connector's MetadataSpecs before
// anything runs, and passes the columns a query reads to the source in
// SourceConfig.Metadata.
type MetadataSpec struct {
	// Key is the name in `METADATA FROM 'key'`, matched exactly.
	Key string
	// Type is the column's SQL type (one of the sqltypes); the declared
	// type must be the same.
	Type arrow.DataType
	// Doc is a sentence for the connector reference.
	Doc string
}

// MetadataColumn is a metadata column a source must fill.
type MetadataColumn struct {
	// Key is one of the connector's MetadataSpec keys.
	Key string
	// Field is the column's name and type (the MetadataSpec's Type).
	Field arrow.Field
}

// SourceConfig is what a source constructor gets.
type SourceConfig struct {
	// Name is the source's name in the catalog, for messages.
	Name string
	// Schema holds the physical columns, in declaration order: the declared
	// columns that the format decodes from each record. Computed columns
	// (evaluated by the engine after the source) and metadata columns (see
	// Metadata) are not in it.
	Schema *arrow.Schema
	// Projection lists the indexes of Schema's columns to read, in the order
	// the batches must have them. Nil means every column.
	Projection []int
	// Metadata lists the metadata columns to fill, each with a key the
	// connector's Spec declares. A batch holds the Projection's columns
	// first, then one column per entry of Metadata, in this order, each of
	// the entry's type; the batch's schema names them after Field.Name.
	Metadata []MetadataColumn
	// Options holds the WITH clause (keys lower-cased, defaults filled in).
	Options Options
	// BaseDir resolves relative paths: the folder of the SQL file.
	BaseDir string
	// BatchSize is the maximum number of rows per batch.
	BatchSize int
	// Mem allocates the batches.
	Mem memory.Allocator
}

// SinkConfig is what a sink constructor gets.
type SinkConfig struct {
	Name    string
	Options Options
	BaseDir string
	// Stdout is where the stdout sink writes (os.Stdout in the CLI).
	Stdout io.Writer
	// Format is the output format of the stdout sink: "csv", "json" or "table".
	Format string
	// Mem allocates any batches the sink builds.
	Mem memory.Allocator
}

// Spec describes a connector.
type Spec struct {
	// Name is the value of 'connector' that selects it.
	Name string
	// Doc is a paragraph for the connector reference.
	Doc     string
	Options []OptionSpec
	// NewSource opens a source; nil if the connector cannot be read.
	NewSource func(cfg SourceConfig) (exec.Source, error)
	// NewSink opens a sink; nil if the connector cannot be written.
	NewSink func(cfg SinkConfig) (exec.Sink, error)
	// Bounded reports whether a source with these options ends by itself;
	// nil means always bounded.
	Bounded func(opts Options) bool
	// Metadata lists the metadata keys NewSource can fill (see
	// SourceConfig.Metadata); nil when the connector has none.
	Metadata []MetadataSpec
	// NewDimension makes a lookup table of a source, the table side of a
	// lookup join (`JOIN dim FOR SYSTEM_TIME AS OF s.proc_time AS d ON
	// ...`): a bounded relation read whole at the join's Open and read
	// again when it changes. It gets the config NewSource would, and its
	// table's schema is that of the batches NewSource would return. Errors
	// it can see without reading (no file matches, a bad option) it
	// returns at once. Nil when the connector cannot serve as a lookup
	// table. A connector that has it declares LookupReloadOption, how often
	// a join checks the table for changes (LookupJoinSpec.Reload).
	NewDimension func(cfg SourceConfig) (exec.DimensionTable, error)
}

// LookupReloadOption is the WITH option of a lookup table (a source whose
// connector has NewDimension) that sets how often a lookup join checks the
// table for changes and reloads it if it changed: the table's
// LookupJoinSpec.Reload, 0 for never. It has no default, so that an unset
// option leaves the engine's default in force. (The name is Flink's, from
// its Hive lookup tables.)
const LookupReloadOption = "lookup.join.cache.ttl"

// MetadataKey returns the spec of a metadata key, matched exactly.
func (s *Spec) MetadataKey(key string) (MetadataSpec, bool) {
	for _, m := range s.Metadata {
		if m.Key == key {
			return m, true
		}
	}
	return MetadataSpec{}, false
}

// CheckMetadata checks a metadata column declared with type t against the
// spec: the key must be one the connector declares (ErrUnknownMetadata,
// naming the keys it has) and t its type (ErrMetadataType).
func (s *Spec) CheckMetadata(key string, t arrow.DataType) error {
	m, ok := s.MetadataKey(key)
	if !ok {
		if len(s.Metadata) == 0 {
			return fmt.Errorf("%w '%s': connector '%s' has no metadata", ErrUnknownMetadata, key, s.Name)
		}
		keys := make([]string, len(s.Metadata))
		for i, m := range s.Metadata {
			keys[i] = fmt.Sprintf("'%s' %s", m.Key, sqltypes.Name(m.Type))
		}
		hint := ""
		names := make([]string, len(s.Metadata))
		for i, m := range s.Metadata {
			names[i] = m.Key
		}
		if best, ok := diag.Closest(key, names); ok {
			hint = fmt.Sprintf(" (did you mean '%s'?)", best)
		}
		return fmt.Errorf("%w '%s' for connector '%s'%s; its keys are %s", ErrUnknownMetadata, key, s.Name, hint, strings.Join(keys, ", "))
	}
	if !arrow.TypeEqual(m.Type, t) {
		return fmt.Errorf("%w: '%s' of connector '%s' is %s, not %s", ErrMetadataType, key, s.Name, sqltypes.Name(m.Type), sqltypes.Name(t))
	}
	return nil
}

var registry = map[string]*Spec{}

// Register adds a connector; it panics on a duplicate name (a programming
// error caught at init).
func Register(s *Spec) {
	if _, dup := registry[s.Name]; dup {
		panic(fmt.Sprintf("connectors: %q registered twice", s.Name))
	}
	registry[s.Name] = s
}

// Lookup returns the connector registered under name.
func Lookup(name string) (*Spec, error) {
	s, ok := registry[strings.ToLower(name)]
	if !ok {
		return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownConnector, name, strings.Join(Names(), ", "))
	}
	return s, nil
}

// Names lists the registered connectors, sorted.
func Names() []string {
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Options is a validated WITH clause: lower-cased keys to values.
type Options map[string]string

// Get returns the value of key ("" when unset).
func (o Options) Get(key string) string { return o[key] }

// Int returns the value of key as an integer, or def when unset.
func (o Options) Int(key string, def int64) (int64, error) {
	v, ok := o[key]
	if !ok || v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: '%s' = '%s' is not an integer", ErrBadOption, key, v)
	}
	return n, nil
}

// Bool returns the value of key as a boolean, or def when unset.
func (o Options) Bool(key string, def bool) (bool, error) {
	v, ok := o[key]
	if !ok || v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%w: '%s' = '%s' is not true or false", ErrBadOption, key, v)
	}
	return b, nil
}

// Duration returns the value of key as a duration ("10s", "1m", or a number
// of milliseconds), or def when unset.
func (o Options) Duration(key string, def time.Duration) (time.Duration, error) {
	v, ok := o[key]
	if !ok || v == "" {
		return def, nil
	}
	return parseDuration(key, v)
}

func parseDuration(key, v string) (time.Duration, error) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Duration(n) * time.Millisecond, nil
	}
	d, err := time.ParseDuration(strings.ReplaceAll(v, " ", ""))
	if err != nil {
		return 0, fmt.Errorf("%w: '%s' = '%s' is not a duration (write '10s' or a number of milliseconds)", ErrBadOption, key, v)
	}
	return d, nil
}

// Validate checks raw WITH options against the spec and returns them with
// keys lower-cased and defaults filled in. The 'connector' key itself is
// accepted and kept. Errors name the offending key.
func (s *Spec) Validate(raw map[string]string) (Options, error) {
	out := Options{}
	for k, v := range raw {
		k = strings.ToLower(k)
		if k == "connector" {
			out[k] = v
			continue
		}
		spec := s.option(k)
		if spec == nil {
			return nil, fmt.Errorf("%w '%s' for connector '%s'%s", ErrUnknownOption, k, s.Name, s.suggest(k))
		}
		if err := spec.check(k, v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	for i := range s.Options {
		spec := &s.Options[i]
		if spec.Prefix {
			continue
		}
		if _, ok := out[spec.Key]; ok {
			continue
		}
		if spec.Required {
			return nil, fmt.Errorf("%w '%s' for connector '%s': %s", ErrMissingOption, spec.Key, s.Name, spec.Doc)
		}
		if spec.Default != "" {
			out[spec.Key] = spec.Default
		}
	}
	return out, nil
}

func (s *Spec) option(key string) *OptionSpec {
	for i := range s.Options {
		o := &s.Options[i]
		if o.Key == key || (o.Prefix && strings.HasPrefix(key, o.Key)) {
			return o
		}
	}
	return nil
}

func (s *Spec) suggest(key string) string {
	keys := make([]string, 0, len(s.Options))
	for _, o := range s.Options {
		keys = append(keys, o.Key)
	}
	best, ok := diag.Closest(key, keys)
	if !ok {
		keys := make([]string, 0, len(s.Options))
		for _, o := range s.Options {
			keys = append(keys, "'"+o.Key+"'")
		}
		return " (options: " + strings.Join(keys, ", ") + ")"
	}
	return fmt.Sprintf(" (did you mean '%s'?)", best)
}

func (o *OptionSpec) check(key, v string) error {
	switch o.Type {
	case Int:
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return fmt.Errorf("%w: '%s' = '%s' is not an integer", ErrBadOption, key, v)
		}
	case Bool:
		if _, err := strconv.ParseBool(v); err != nil {
			return fmt.Errorf("%w: '%s' = '%s' is not true or false", ErrBadOption, key, v)
		}
	case Duration:
		if _, err := parseDuration(key, v); err != nil {
			return err
		}
	case Enum:
		for _, a := range o.Values {
			if strings.EqualFold(a, v) {
				return nil
			}
		}
		return fmt.Errorf("%w: '%s' = '%s' is not one of %s", ErrBadOption, key, v, strings.Join(o.Values, ", "))
	}
	return nil
}
