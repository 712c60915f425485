package main

// `weir kafka-dev`: a Kafka-protocol broker for trying Weir's Kafka
// connector without installing Kafka. It is franz-go's kfake (the broker
// the tests use), listening on a loopback port, with a topic of Nexmark
// bids as JSON and an empty topic for results.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirsql/weir/connectors"
	"github.com/weirsql/weir/connectors/format"
	"github.com/weirsql/weir/connectors/nexmark"
	"github.com/weirsql/weir/sqltypes"
)

// devBidSchema is the Nexmark bid table, as the example queries declare it.
var devBidSchema = arrow.NewSchema([]arrow.Field{
	{Name: "auction", Type: sqltypes.BigInt, Nullable: true},
	{Name: "bidder", Type: sqltypes.BigInt, Nullable: true},
	{Name: "price", Type: sqltypes.BigInt, Nullable: true},
	{Name: "channel", Type: sqltypes.Varchar, Nullable: true},
	{Name: "url", Type: sqltypes.Varchar, Nullable: true},
	{Name: "date_time", Type: sqltypes.Timestamp, Nullable: true},
	{Name: "extra", Type: sqltypes.Varchar, Nullable: true},
}, nil)

func cmdKafkaDev(ctx context.Context, args []string, env *cliEnv) int {
	fs := newFlags("kafka-dev", "", env)
	port := fs.Int("port", 9092, "port to listen on, on 127.0.0.1 (0: any free port)")
	topic := fs.String("topic", "bids", "topic of example data: Nexmark bids as JSON, keyed by auction")
	events := fs.Int64("events", 100_000, "bids to write at start")
	rate := fs.Int("rate", 0, "then keep writing this many bids per second, with event times from now, until stopped (0: none)")
	partitions := fs.Int("partitions", 4, "partitions of each topic")
	out := fs.String("out-topics", "bid_counts,bid_totals", "empty topics to create for query results, comma-separated")
	pos, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	switch {
	case len(pos) > 0:
		fmt.Fprintf(env.stderr, "weir kafka-dev: unexpected argument %q\n", pos[0])
		return exitUsage
	case *port < 0 || *port > 65535, *events < 0, *rate < 0, *partitions < 1:
		fmt.Fprintln(env.stderr, "weir kafka-dev: --port must be 0 to 65535; --events and --rate not negative; --partitions at least 1")
		return exitUsage
	}
	topics := []string{*topic}
	for _, t := range strings.Split(*out, ",") {
		if t = strings.TrimSpace(t); t != "" && t != *topic {
			topics = append(topics, t)
		}
	}
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(*port), kfake.SeedTopics(int32(*partitions), topics...))
	if err != nil {
		fmt.Fprintf(env.stderr, "weir kafka-dev: start the broker on port %d: %v\n", *port, err)
		return exitFailure
	}
	defer c.Close()
	addr := c.ListenAddrs()[0]
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ProducerLinger(5*time.Millisecond))
	if err != nil {
		fmt.Fprintf(env.stderr, "weir kafka-dev: %v\n", err)
		return exitFailure
	}
	defer cl.Close()
	var n int64
	if *events > 0 { // the generator's 'events' counts people and auctions too: 46 of 50 are bids
		n, err = produceDevBids(ctx, cl, *topic, map[string]string{"events": strconv.FormatInt((*events*50+45)/46, 10)})
		if err != nil && ctx.Err() == nil {
			fmt.Fprintf(env.stderr, "weir kafka-dev: write example bids: %v\n", err)
			return exitFailure
		}
	}
	fmt.Fprintf(env.stdout, `weir kafka-dev: a Kafka-protocol broker (franz-go's kfake, in memory) listens on %s
  topic %s: %d Nexmark bids as JSON, keyed by auction, %d partitions
  topics for results: %s
Connect with 'properties.bootstrap.servers' = '%s', for example:
  weir run examples/kafka/bids.sql
Read a topic with any Kafka client, e.g. kcat -b %s -t %s -C -e
`, addr, *topic, n, *partitions, strings.Join(topics[1:], ", "), addr, addr, *topic)
	if *rate > 0 {
		fmt.Fprintf(env.stdout, "Writing %d more bids per second to %s.\n", *rate, *topic)
	}
	fmt.Fprintln(env.stdout, "Stop with Ctrl-C.")
	var wg sync.WaitGroup
	var liveErr error
	if *rate > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, liveErr = produceDevBids(ctx, cl, *topic, map[string]string{
				"rate": strconv.Itoa(*rate * 50 / 46), "rate.pacing": "true", "seed": "1",
				"base-time": strconv.FormatInt(time.Now().UnixMilli(), 10),
			})
		}()
	}
	<-ctx.Done()
	wg.Wait()
	if liveErr != nil && !errors.Is(liveErr, context.Canceled) {
		fmt.Fprintf(env.stderr, "weir kafka-dev: write live bids: %v\n", liveErr)
		return exitFailure
	}
	fmt.Fprintln(env.stdout, "weir kafka-dev: stopped")
	return exitOK
}

// produceDevBids writes the bids of a Nexmark generator with the given
// options to topic as JSON, keyed by auction, until the generator ends or
// ctx does. It returns how many it wrote.
func produceDevBids(ctx context.Context, cl *kgo.Client, topic string, opts map[string]string) (int64, error) {
	opts["nexmark.table"] = "bid"
	valid, err := nexmark.Spec.Validate(opts)
	if err != nil {
		return 0, err
	}
	mem := memory.NewGoAllocator()
	src, err := nexmark.Spec.NewSource(connectors.SourceConfig{Name: "bid", Schema: devBidSchema, Options: valid, BatchSize: 1024, Mem: mem})
	if err != nil {
		return 0, err
	}
	defer src.Close()
	if err := src.Open(ctx); err != nil {
		return 0, err
	}
	enc, err := format.NewMessageEncoder("json", devBidSchema, 0)
	if err != nil {
		return 0, err
	}
	var (
		n       int64
		mu      sync.Mutex
		failure error
	)
	for {
		b, err := src.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return n, err
		}
		if b.Record == nil {
			continue
		}
		if err := enc.Encode(b.Record); err != nil {
			b.Record.Release()
			return n, err
		}
		auctions := b.Record.Column(0)
		for i := 0; i < int(b.Record.NumRows()); i++ {
			key := []byte(auctions.ValueStr(i))
			cl.Produce(ctx, &kgo.Record{Topic: topic, Key: key, Value: enc.Row(i)}, func(_ *kgo.Record, err error) {
				if err != nil {
					mu.Lock()
					if failure == nil {
						failure = err
					}
					mu.Unlock()
				}
			})
			n++
		}
		b.Record.Release()
	}
	if err := cl.Flush(ctx); err != nil {
		return n, err
	}
	mu.Lock()
	defer mu.Unlock()
	return n, failure
}
