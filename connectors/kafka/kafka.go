package kafka

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/weirsql/weir/connectors"
	"github.com/weirsql/weir/sqltypes"
)

// Sentinel errors, wrapped with context.
var (
	// ErrUnknownTopic: a topic named in 'topic' (or the dead-letter topic)
	// does not exist on the cluster.
	ErrUnknownTopic = errors.New("unknown topic")
	// ErrBadRecord: a record's key or value does not decode ('bad_records'
	// = 'fail').
	ErrBadRecord = errors.New("malformed record")
	// ErrTransactionLost: the Kafka transaction holding a checkpoint's
	// output was aborted by the broker before Weir could commit it.
	ErrTransactionLost = errors.New("kafka transaction lost")
)

// Spec is the kafka connector's registry entry.
var Spec = &connectors.Spec{
	Name: "kafka",
	Doc: "Reads records from Kafka topics, or writes a query's rows to a topic, over the Kafka protocol " +
		"(franz-go). The options are Flink's. A source reads every partition of its topics itself (as Flink's " +
		"KafkaSource does), unless 'scan.partition.assignment' = 'group' shares them with the other processes of a " +
		"stateless query through the consumer group; each partition is a split with its own watermark; " +
		"the source's watermark is the minimum over the partitions, leaving out those idle for " +
		"'scan.watermark.idle-timeout'. Partitions and topics that appear later are found every " +
		"'scan.topic-partition-discovery.interval' and read from their start. The source is unbounded unless " +
		"'scan.bounded.mode' says where to stop. Its read position (the next offset of every partition) is saved " +
		"in Weir's checkpoints and, when 'properties.group.id' is set, also committed to the group for monitoring. " +
		"With 'properties.isolation.level' = 'read_committed' (the default) records of aborted transactions are never read. " +
		"A broker that cannot be reached is retried with backoff, and reported on standard error, until it answers. " +
		"A record whose value is null (a tombstone) is skipped unless the format is 'raw'. " +
		"As a sink it writes one record per row; an updating query (a changelog) is written as upserts keyed by " +
		"'key.fields', with a tombstone (null value) for each delete (-D), and for each retraction (-U) whose key " +
		"does not get its new value (+U) in the same batch (as Flink's upsert-kafka, which drops UPDATE_BEFORE). " +
		"With 'sink.delivery-guarantee' = 'exactly-once' the rows between two checkpoints go into one Kafka " +
		"transaction, committed when the checkpoint is; consumers must read with isolation level read_committed. " +
		"A query run without checkpoints ('weir run --no-state') writes through instead, at least once. " +
		"As a lookup table (usually over a compacted topic, as Flink's upsert-kafka) it holds the latest record of each " +
		"record key, read from the earliest offset of every partition; a tombstone deletes its key, and a record " +
		"without a key is a malformed record ('bad_records'). The table is read up to the end offsets when the query " +
		"starts, and every 'lookup.join.cache.ttl' what was written since is read and the join sees the new table.",
	Options:      specOptions(),
	NewSource:    NewSource,
	NewSink:      NewSink,
	NewDimension: NewDimension,
	Bounded: func(o connectors.Options) bool {
		m := strings.ToLower(o.Get("scan.bounded.mode"))
		return m != "" && m != "unbounded"
	},
	Metadata: metadataSpecs,
}

func init() { connectors.Register(Spec) }

// Metadata keys, Flink's names.
const (
	metaTopic         = "topic"
	metaPartition     = "partition"
	metaOffset        = "offset"
	metaTimestamp     = "timestamp"
	metaTimestampType = "timestamp-type"
	metaHeaders       = "headers"
	metaLeaderEpoch   = "leader-epoch"
)

var metadataSpecs = []connectors.MetadataSpec{
	{Key: metaTopic, Type: sqltypes.Varchar, Doc: "The topic of the record."},
	{Key: metaPartition, Type: sqltypes.Int, Doc: "The partition of the record."},
	{Key: metaOffset, Type: sqltypes.BigInt, Doc: "The offset of the record in its partition."},
	{Key: metaTimestamp, Type: sqltypes.Timestamp, Doc: "The record's timestamp (UTC); it can be the event-time column of a WATERMARK."},
	{Key: metaTimestampType, Type: sqltypes.Varchar, Doc: "'CreateTime' or 'LogAppendTime'."},
	{Key: metaHeaders, Type: sqltypes.Varchar,
		Doc: "The record's headers as the text of a JSON object, header names to values (a value that is not UTF-8 has its bad bytes replaced; a repeated name keeps its last value); NULL when there are none. Flink has a MAP here; Weir has no MAP type yet."},
	{Key: metaLeaderEpoch, Type: sqltypes.Int, Doc: "The leader epoch of the record, NULL when unknown."},
}

func specOptions() []connectors.OptionSpec {
	opts := []connectors.OptionSpec{
		{Key: "topic", Type: connectors.String,
			Doc: "The topic to read, or several separated by ';' ('bids;asks'). A sink writes to one topic. " +
				"A topic that does not exist is an error when the query is planned (if the cluster answers then) or started."},
		{Key: "topic-pattern", Type: connectors.String,
			Doc: "A source reads every topic whose whole name matches this regular expression (RE2 syntax), " +
				"instead of 'topic'; topics created later are picked up by partition discovery."},
		{Key: "format", Type: connectors.Enum, Values: []string{"json", "csv", "raw"},
			Doc: "The format of record values: 'json', one JSON object per record, keys matched to columns by name; " +
				"'csv', one CSV record per record, fields in column order, no header; 'raw', the value's bytes as the " +
				"source's one VARCHAR column (NULL for a null value). Required (or 'value.format')."},
		{Key: "value.format", Type: connectors.Enum, Values: []string{"json", "csv", "raw"},
			Doc: "Flink's other name for 'format'."},
		{Key: "key.format", Type: connectors.Enum, Values: []string{"json", "csv", "raw"},
			Doc: "The format of record keys, which hold the 'key.fields' columns. Required with 'key.fields'."},
		{Key: "key.fields", Type: connectors.String,
			Doc: "The columns that make up the record key, separated by ';' ('auction;bidder'), in the key format's field order. " +
				"A source reads them from the key (with 'value.fields-include' = 'EXCEPT_KEY'); a sink writes them as the key, " +
				"and an updating query needs them (the upsert key, normally the GROUP BY columns)."},
		{Key: "value.fields-include", Type: connectors.Enum, Values: []string{"ALL", "EXCEPT_KEY"}, Default: "ALL",
			Doc: "'ALL': the value holds every column, key fields included (a source then reads them from the value and does not read the key); " +
				"'EXCEPT_KEY': the value leaves out the key fields."},
		{Key: "csv.field-delimiter", Type: connectors.String, Default: ",",
			Doc: "The one character between CSV fields, in keys and values; write '\\t' or 'tab' for a tab."},
		{Key: "scan.startup.mode", Type: connectors.Enum,
			Values:  []string{"earliest-offset", "latest-offset", "group-offsets", "timestamp", "specific-offsets"},
			Default: "earliest-offset",
			Doc: "Where a source starts reading when it does not resume from a checkpoint: the first offset, the end, " +
				"the offsets committed by 'properties.group.id' (partitions without one follow 'properties.auto.offset.reset'), " +
				"the first record at or after 'scan.startup.timestamp-millis', or 'scan.startup.specific-offsets'. " +
				"(Flink's default is 'group-offsets'.) Partitions found later start at their first offset."},
		{Key: "scan.startup.timestamp-millis", Type: connectors.Int,
			Doc: "With 'scan.startup.mode' = 'timestamp': the epoch milliseconds to start from."},
		{Key: "scan.startup.specific-offsets", Type: connectors.String,
			Doc: "With 'scan.startup.mode' = 'specific-offsets': 'partition:0,offset:42;partition:1,offset:300' (for every topic read); " +
				"partitions not listed start at their first offset."},
		{Key: "scan.bounded.mode", Type: connectors.Enum, Values: []string{"unbounded", "latest-offset", "timestamp"}, Default: "unbounded",
			Doc: "Where a source stops: never; at the end offsets (the last stable offsets under read_committed) of its partitions " +
				"when the query starts, so it reads what is there and ends; or before the first record at or after " +
				"'scan.bounded.timestamp-millis'. A bounded source ends the query with the watermark at +infinity, like a file."},
		{Key: "scan.bounded.timestamp-millis", Type: connectors.Int,
			Doc: "With 'scan.bounded.mode' = 'timestamp': the epoch milliseconds to stop at."},
		{Key: "scan.topic-partition-discovery.interval", Type: connectors.Duration, Default: "5m",
			Doc: "How often an unbounded source looks for new partitions and topics; '0' turns discovery off."},
		{Key: "scan.partition.assignment", Type: connectors.Enum, Values: []string{"all", "group"}, Default: "all",
			Doc: "'all': the source reads every partition itself (Flink's KafkaSource). 'group': it joins the consumer group " +
				"'properties.group.id' (cooperative-sticky rebalancing), so that processes running the same query share the " +
				"partitions and take over each other's when one stops. Only for queries without state (filters, projections, " +
				"lookups: no windows, aggregations, joins, Top-N, ORDER BY or LIMIT), as the state of a moved partition would " +
				"stay behind; and only with checkpoints (not --no-state), which hand partitions over: a revoked partition's " +
				"offsets are committed to the group once a checkpoint holding everything read from it has committed, and an " +
				"assigned one starts at the group's committed offset (or the restored checkpoint's, if further on; by " +
				"'scan.startup.mode' when there is neither). " +
				"A graceful rebalance neither loses nor repeats records; a crash can make the next owner read again what was " +
				"read since the crashed process's last commit to the group (at least once). With an exactly-once Kafka sink, " +
				"give each process its own 'sink.transactional-id-prefix'."},
		{Key: "scan.watermark.idle-timeout", Type: connectors.Duration,
			Doc: "A partition that has produced nothing for this long (wall-clock time) stops holding the watermark back " +
				"until its next record; unset uses the session's 'table.exec.source.idle-timeout'."},
		{Key: "bad_records", Type: connectors.Enum, Values: []string{"fail", "skip", "dlq"}, Default: "fail",
			Doc: "What a source does with a record whose key or value does not decode: 'fail' stops the query naming its topic, " +
				"partition and offset; 'skip' counts it and goes on; 'dlq' counts it and writes it, with headers " +
				"weir.error, weir.topic, weir.partition and weir.offset added, to 'bad_records.dlq-topic'."},
		{Key: "bad_records.dlq-topic", Type: connectors.String,
			Doc: "The dead-letter topic of 'bad_records' = 'dlq', on the same cluster. It must exist."},
		{Key: "sink.delivery-guarantee", Type: connectors.Enum, Values: []string{"at-least-once", "exactly-once"}, Default: "at-least-once",
			Doc: "'at-least-once': records are flushed at every checkpoint, so a restart may write some again; " +
				"'exactly-once': Kafka transactions committed with Weir's checkpoints."},
		{Key: "sink.transactional-id-prefix", Type: connectors.String,
			Doc: "The prefix of the transactional ids of an exactly-once sink ('<prefix>-0', '<prefix>-1', ...; usually two or three). " +
				"A restarted query must use the same prefix, so that it fences its earlier producers and settles their " +
				"transactions; two queries must not share one. Default: 'weir-' and the sink's name."},
	}
	opts = append(opts,
		connectors.OptionSpec{Key: connectors.LookupReloadOption, Type: connectors.Duration,
			Doc: "For a lookup table: how often a join reads what was written to the topics since it last looked and, " +
				"if a row was added, changed or deleted, joins with the new table; '0' reads the table once. " +
				"Unset, the engine's default applies (10s)."},
		connectors.OptionSpec{Key: lookupTimeoutOption, Type: connectors.Duration, Default: "30s",
			Doc: "For a lookup table: how long reading the table may go without a record (or a request without an answer) " +
				"before it has reached the end offsets; then the query fails, as when a broker has gone away."},
	)
	for _, p := range clientProps {
		opts = append(opts, connectors.OptionSpec{Key: "properties." + p.key, Type: p.typ, Values: p.values, Default: p.def,
			Required: p.key == "bootstrap.servers", Doc: p.doc})
	}
	return opts
}

// Startup and bounded modes.
const (
	startEarliest = "earliest-offset"
	startLatest   = "latest-offset"
	startGroup    = "group-offsets"
	startTime     = "timestamp"
	startSpecific = "specific-offsets"

	boundNone   = "unbounded"
	boundLatest = "latest-offset"
	boundTime   = "timestamp"
)

// options are the parsed WITH options shared by sources and sinks.
type options struct {
	topics       []string
	pattern      *regexp.Regexp
	valueFormat  string
	keyFormat    string
	keyFields    []string
	exceptKey    bool
	delim        byte
	startup      string
	startupTS    int64
	specific     map[int32]int64
	bounded      string
	boundedTS    int64
	discovery    time.Duration
	idleTimeout  time.Duration
	badRecords   string
	dlqTopic     string
	exactlyOnce  bool
	txnPrefix    string
	client       clientConfig
	bootstrapRaw string
}

func badOption(key, v, why string) error {
	return fmt.Errorf("%w: '%s' = '%s' %s", connectors.ErrBadOption, key, v, why)
}

// parseOptions reads the options common to sources and sinks.
func parseOptions(o connectors.Options) (*options, error) {
	opts := &options{}
	if t := o.Get("topic"); t != "" {
		for _, name := range strings.Split(t, ";") {
			if name = strings.TrimSpace(name); name != "" {
				opts.topics = append(opts.topics, name)
			}
		}
		if len(opts.topics) == 0 {
			return nil, badOption("topic", t, "names no topic")
		}
	}
	if p := o.Get("topic-pattern"); p != "" {
		if len(opts.topics) > 0 {
			return nil, fmt.Errorf("%w: set 'topic' or 'topic-pattern', not both", connectors.ErrBadOption)
		}
		re, err := regexp.Compile("^(?:" + p + ")$")
		if err != nil {
			return nil, badOption("topic-pattern", p, "is not a regular expression: "+err.Error())
		}
		opts.pattern = re
	}
	if len(opts.topics) == 0 && opts.pattern == nil {
		return nil, fmt.Errorf("%w 'topic': name the topic (or set 'topic-pattern' on a source)", connectors.ErrMissingOption)
	}
	opts.valueFormat = strings.ToLower(o.Get("format"))
	if vf := strings.ToLower(o.Get("value.format")); vf != "" {
		if opts.valueFormat != "" && opts.valueFormat != vf {
			return nil, fmt.Errorf("%w: 'format' and 'value.format' differ; set one", connectors.ErrBadOption)
		}
		opts.valueFormat = vf
	}
	if opts.valueFormat == "" {
		return nil, fmt.Errorf("%w 'format': the format of record values, json, csv or raw", connectors.ErrMissingOption)
	}
	opts.keyFormat = strings.ToLower(o.Get("key.format"))
	if kf := o.Get("key.fields"); kf != "" {
		for _, f := range strings.Split(kf, ";") {
			if f = strings.TrimSpace(f); f != "" {
				opts.keyFields = append(opts.keyFields, f)
			}
		}
	}
	switch {
	case len(opts.keyFields) > 0 && opts.keyFormat == "":
		return nil, fmt.Errorf("%w 'key.format': 'key.fields' needs the format of the key", connectors.ErrMissingOption)
	case len(opts.keyFields) == 0 && opts.keyFormat != "":
		return nil, fmt.Errorf("%w 'key.fields': 'key.format' needs the columns that make up the key", connectors.ErrMissingOption)
	}
	opts.exceptKey = strings.EqualFold(o.Get("value.fields-include"), "EXCEPT_KEY")
	switch d := o.Get("csv.field-delimiter"); d {
	case "":
		opts.delim = ','
	case `\t`, "tab", "TAB":
		opts.delim = '\t'
	default:
		if len(d) != 1 || d[0] == '"' || d[0] == '\n' || d[0] == '\r' {
			return nil, badOption("csv.field-delimiter", d, "must be one character other than a quote or line end")
		}
		opts.delim = d[0]
	}
	opts.startup = strings.ToLower(o.Get("scan.startup.mode"))
	if opts.startup == "" {
		opts.startup = startEarliest
	}
	var err error
	if opts.startupTS, err = o.Int("scan.startup.timestamp-millis", -1); err != nil {
		return nil, err
	}
	switch opts.startup {
	case startTime:
		if opts.startupTS < 0 {
			return nil, fmt.Errorf("%w 'scan.startup.timestamp-millis': 'scan.startup.mode' = 'timestamp' needs it", connectors.ErrMissingOption)
		}
	case startSpecific:
		spec := o.Get("scan.startup.specific-offsets")
		if spec == "" {
			return nil, fmt.Errorf("%w 'scan.startup.specific-offsets': 'scan.startup.mode' = 'specific-offsets' needs it", connectors.ErrMissingOption)
		}
		if opts.specific, err = parseSpecificOffsets(spec); err != nil {
			return nil, err
		}
	}
	opts.bounded = strings.ToLower(o.Get("scan.bounded.mode"))
	if opts.bounded == "" {
		opts.bounded = boundNone
	}
	if opts.boundedTS, err = o.Int("scan.bounded.timestamp-millis", -1); err != nil {
		return nil, err
	}
	if opts.bounded == boundTime && opts.boundedTS < 0 {
		return nil, fmt.Errorf("%w 'scan.bounded.timestamp-millis': 'scan.bounded.mode' = 'timestamp' needs it", connectors.ErrMissingOption)
	}
	if opts.discovery, err = o.Duration("scan.topic-partition-discovery.interval", 5*time.Minute); err != nil {
		return nil, err
	}
	if opts.idleTimeout, err = o.Duration("scan.watermark.idle-timeout", 0); err != nil {
		return nil, err
	}
	opts.badRecords = strings.ToLower(o.Get("bad_records"))
	if opts.badRecords == "" {
		opts.badRecords = "fail"
	}
	opts.dlqTopic = o.Get("bad_records.dlq-topic")
	if opts.badRecords == "dlq" && opts.dlqTopic == "" {
		return nil, fmt.Errorf("%w 'bad_records.dlq-topic': 'bad_records' = 'dlq' needs the dead-letter topic", connectors.ErrMissingOption)
	}
	opts.exactlyOnce = strings.EqualFold(o.Get("sink.delivery-guarantee"), "exactly-once")
	opts.txnPrefix = o.Get("sink.transactional-id-prefix")
	opts.bootstrapRaw = o.Get("properties.bootstrap.servers")
	if opts.client, err = parseClientProps(o); err != nil {
		return nil, err
	}
	if opts.startup == startGroup && opts.client.group == "" {
		return nil, fmt.Errorf("%w 'properties.group.id': 'scan.startup.mode' = 'group-offsets' reads the group's committed offsets", connectors.ErrMissingOption)
	}
	return opts, nil
}

// parseSpecificOffsets reads 'partition:0,offset:42;partition:1,offset:300'.
func parseSpecificOffsets(s string) (map[int32]int64, error) {
	out := map[int32]int64{}
	bad := func(why string) error { return badOption("scan.startup.specific-offsets", s, why) }
	for _, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		var p, off int64 = -1, -1
		for _, kv := range strings.Split(part, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(kv), ":")
			if !ok {
				return nil, bad("must look like 'partition:0,offset:42;partition:1,offset:300'")
			}
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil || n < 0 {
				return nil, bad(fmt.Sprintf("has %q where a non-negative number belongs", v))
			}
			switch strings.TrimSpace(strings.ToLower(k)) {
			case "partition":
				p = n
			case "offset":
				off = n
			default:
				return nil, bad(fmt.Sprintf("has %q; the keys are partition and offset", k))
			}
		}
		if p < 0 || off < 0 || p > 1<<31-1 {
			return nil, bad("needs a partition and an offset in each ';'-separated part")
		}
		out[int32(p)] = off
	}
	if len(out) == 0 {
		return nil, bad("lists no partition")
	}
	return out, nil
}

// sortedKeys returns the keys of m, sorted.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
