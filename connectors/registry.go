// Package connectors holds the registry of sources and sinks. Each connector
// registers a Spec naming its options (type, default, doc); the spec checks
// a WITH clause before anything runs and generates docs/connectors.md.
// Connector implementations live in sub-packages (connectors/file,
// connectors/stdout) and register themselves in init.
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
)

// Sentinel errors, wrapped with context by the functions below.
var (
	ErrUnknownConnector = errors.New("unknown connector")
	ErrUnknownOption    = errors.New("unknown option")
	ErrBadOption        = errors.New("bad option value")
	ErrMissingOption    = errors.New("missing option")
	ErrNotASource       = errors.New("connector cannot be read from")
	ErrNotASink         = errors.New("connector cannot be written to")
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

// SourceConfig is what a source constructor gets.
type SourceConfig struct {
	// Name is the source's name in the catalog, for messages.
	Name string
	// Schema holds every declared column, in declaration order.
	Schema *arrow.Schema
	// Projection lists the indexes of Schema's columns to read, in the order
	// the batches must have them. Nil means every column.
	Projection []int
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
