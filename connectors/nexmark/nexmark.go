package nexmark

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
	"time"

	"github.com/weirsql/weir/connectors"
	"github.com/weirsql/weir/sqltypes"
)

// Spec is the nexmark connector's registry entry.
var Spec = &connectors.Spec{
	Name: "nexmark",
	Doc: "Generates the Nexmark benchmark's auction events (people, auctions and bids) as nexmark-rs, " +
		"the generator RisingWave uses, makes them: each event is drawn from a generator seeded with its " +
		"event number, so the stream is the same on every run and any column can be left out without " +
		"changing the others. Event numbers run 0, 1, 2, ...; of each 50, one is a person, three are " +
		"auctions and 46 are bids, and a source reads the events of one table. Declare the table's " +
		"columns (any subset, any order, by name): person (id BIGINT, name VARCHAR, email_address VARCHAR, " +
		"credit_card VARCHAR, city VARCHAR, state VARCHAR, date_time TIMESTAMP(3), extra VARCHAR); " +
		"auction (id BIGINT, item_name VARCHAR, description VARCHAR, initial_bid BIGINT, reserve BIGINT, " +
		"date_time TIMESTAMP(3), expires TIMESTAMP(3), seller BIGINT, category BIGINT, extra VARCHAR); " +
		"bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR, " +
		"date_time TIMESTAMP(3), extra VARCHAR). Event n happens at 'base-time' + n × 1000 / 'rate' ms. " +
		"Bounded when 'events' is set.",
	Options: []connectors.OptionSpec{
		{Key: "nexmark.table", Type: connectors.Enum, Values: []string{"person", "auction", "bid"}, Required: true,
			Doc: "Which events the source reads: 'person', 'auction' or 'bid'."},
		{Key: "events", Type: connectors.Int, Default: "0",
			Doc: "How many events of all kinds the event stream holds (event numbers 0 to events - 1): with " +
				"1000, a bid source reads the 920 bids among them. 0 makes the source unbounded."},
		{Key: "rate", Type: connectors.Int, Default: "10000",
			Doc: "Events (of all kinds) per second of event time, from 1 to 1000000000: event n happens " +
				"n × 1000 / rate ms after 'base-time'."},
		{Key: "rate.pacing", Type: connectors.Bool, Default: "false",
			Doc: "When true, emit events in real time, 'rate' per second of wall-clock time; when false, as " +
				"fast as they can be made (event times follow 'rate' either way)."},
		{Key: "base-time", Type: connectors.String, Default: "2024-01-01 00:00:00",
			Doc: "The event time of event 0: 'YYYY-MM-DD HH:MM:SS[.fff]', RFC 3339, or epoch milliseconds. " +
				"Fixed by default so that every run makes the same events."},
		{Key: "seed", Type: connectors.Int, Default: "0",
			Doc: "Mixed into every event's random seed: another seed makes other events. 0 makes exactly " +
				"the events of nexmark-rs."},
		{Key: "out-of-order.fraction", Type: connectors.String, Default: "0",
			Doc: "The fraction (0 to 1) of events emitted late, to exercise watermarks: a chosen event keeps " +
				"its event time but comes after up to 'out-of-order.delay' worth of later events."},
		{Key: "out-of-order.delay", Type: connectors.Duration, Default: "1s",
			Doc: "How late an out-of-order event may come, in event time ('2s' or milliseconds): event times " +
				"never go back by more than this."},
		{Key: "splits", Type: connectors.Int, Default: "1",
			Doc: "Split the event stream into this many splits (1 to 1024), each with its own watermark: " +
				"blocks of 50 event numbers are dealt to the splits in turn."},
	},
	NewSource: NewSource,
	Bounded: func(o connectors.Options) bool {
		n, err := o.Int("events", 0)
		return err == nil && n > 0
	},
}

func init() { connectors.Register(Spec) }

// Limits of the options.
const (
	maxRate   = 1_000_000_000
	maxSplits = 1024
	// maxDelayEvents bounds how many events an out-of-order delay spans, and
	// so the events a split may hold back at once.
	maxDelayEvents = 1 << 22
)

// defaultBaseTime is the default event time of event 0; base times lie in
// the years 1 to 9999, so event times cannot overflow.
const (
	defaultBaseTime = "2024-01-01 00:00:00"
	minBaseMs       = -62135596800000 // 0001-01-01 00:00:00
	maxBaseMs       = 253402300799999 // 9999-12-31 23:59:59.999
)

// options are the parsed WITH options.
type options struct {
	table       *table
	events      int64 // 0: unbounded
	rate        int64
	pacing      bool
	baseMs      int64
	seed        int64
	oooFraction float64
	oooEvents   int64 // the out-of-order delay in events
	splits      int
}

func badOption(key, v, why string) error {
	return fmt.Errorf("%w: '%s' = '%s' %s", connectors.ErrBadOption, key, v, why)
}

func parseOptions(o connectors.Options) (options, error) {
	var opts options
	name := strings.ToLower(o.Get("nexmark.table"))
	if name == "" {
		return opts, fmt.Errorf("%w 'nexmark.table' (person, auction or bid)", connectors.ErrMissingOption)
	}
	if opts.table = tables[name]; opts.table == nil {
		return opts, badOption("nexmark.table", o.Get("nexmark.table"), "is not one of person, auction, bid")
	}
	var err error
	if opts.events, err = o.Int("events", 0); err != nil {
		return opts, err
	}
	if opts.events < 0 {
		return opts, badOption("events", o.Get("events"), "is negative (write 0 for an unbounded source)")
	}
	if opts.rate, err = o.Int("rate", 10000); err != nil {
		return opts, err
	}
	if opts.rate < 1 || opts.rate > maxRate {
		return opts, badOption("rate", o.Get("rate"), "is not between 1 and 1000000000 events per second")
	}
	if opts.pacing, err = o.Bool("rate.pacing", false); err != nil {
		return opts, err
	}
	base := o.Get("base-time")
	if base == "" {
		base = defaultBaseTime
	}
	if opts.baseMs, err = sqltypes.ParseTimestamp(strings.TrimSpace(base)); err != nil {
		return opts, badOption("base-time", base, "is not a timestamp (write 'YYYY-MM-DD HH:MM:SS' or epoch milliseconds)")
	}
	if opts.baseMs < minBaseMs || opts.baseMs > maxBaseMs {
		return opts, badOption("base-time", base, "is outside the years 1 to 9999")
	}
	if opts.seed, err = o.Int("seed", 0); err != nil {
		return opts, err
	}
	if f := strings.TrimSpace(o.Get("out-of-order.fraction")); f != "" {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil || math.IsNaN(v) || v < 0 || v > 1 {
			return opts, badOption("out-of-order.fraction", f, "is not a number from 0 to 1")
		}
		opts.oooFraction = v
	}
	delay, err := o.Duration("out-of-order.delay", time.Second)
	if err != nil {
		return opts, err
	}
	if delay < 0 {
		return opts, badOption("out-of-order.delay", o.Get("out-of-order.delay"), "is negative")
	}
	// Whole milliseconds of event time, converted to events rounding down,
	// so a late event's time never trails by more than the delay.
	hi, lo := bits.Mul64(uint64(delay/time.Millisecond), uint64(opts.rate))
	if hi >= 1000 {
		opts.oooEvents = math.MaxInt64
	} else {
		q, _ := bits.Div64(hi, lo, 1000)
		opts.oooEvents = int64(min(q, math.MaxInt64))
	}
	if opts.oooFraction > 0 && opts.oooEvents > maxDelayEvents {
		return opts, badOption("out-of-order.delay", o.Get("out-of-order.delay"),
			fmt.Sprintf("spans more than %d events at 'rate' = %d (make it shorter)", maxDelayEvents, opts.rate))
	}
	splits, err := o.Int("splits", 1)
	if err != nil {
		return opts, err
	}
	if splits < 1 || splits > maxSplits {
		return opts, badOption("splits", o.Get("splits"), "is not between 1 and 1024")
	}
	opts.splits = int(splits)
	return opts, nil
}

// Errors about the declared columns, wrapped with the column's name.
var (
	ErrUnknownColumn = errors.New("no such nexmark column")
	ErrColumnType    = errors.New("wrong type for nexmark column")
)
