// Package nexmark is the 'nexmark' connector: a built-in source of the
// Nexmark benchmark's online-auction events, made the way nexmark-rs (the
// Rust generator RisingWave uses) makes them.
//
//	CREATE SOURCE bid (
//	  auction BIGINT, bidder BIGINT, price BIGINT, date_time TIMESTAMP(3),
//	  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND
//	) WITH ('connector' = 'nexmark', 'nexmark.table' = 'bid', 'events' = '1000000');
//
// # Event model
//
// Events are numbered 0, 1, 2, ... Within each block of 50 numbers, offset
// 0 is a person, 1–3 are auctions and 4–49 are bids; a source reads one
// kind, and skips the numbers of the others without making them. Event n
// happens at base-time + round(n × 1000 / rate) ms. The declared columns
// (any subset of the table's, in any order) are matched by name:
//
//	person  id, name, email_address, credit_card, city, state, date_time, extra
//	auction id, item_name, description, initial_bid, reserve, date_time, expires,
//	        seller, category, extra
//	bid     auction, bidder, price, channel, url, date_time, extra
//
// Ids and prices are BIGINT, times TIMESTAMP(3) and the rest VARCHAR.
//
// # Generation
//
// Every value of event n is drawn from its own random generator, seeded
// with n: SmallRng::seed_from_u64(n) of Rust's rand 0.8 (xoshiro256++
// seeded through PCG32), sampled with rand 0.8's exact algorithms, in
// nexmark-rs's order. So the events are those of nexmark-rs, any event can
// be made on its own (which is how splits and late events work), and a
// column nobody reads is not built (its draws are still made, or, for the
// trailing extra, not needed), so projecting columns never changes the
// others. A non-zero 'seed' is mixed into every event's seed (n XOR
// SplitMix64(seed)). The rules, with nexmark-rs's constants:
//
//   - person: id = n/50 + 1000; name "first last" from 11 × 9 names; email
//     of 7 and 5 letters "xxxxxxx@yyyyy.com"; credit card four groups of
//     four digits; city from 10 US cities; state from az, ca, id, or, wa, wy.
//   - auction: id counts auctions (3 a block) from 1000; item_name 20
//     letters, description 100; initial_bid a price and reserve =
//     initial_bid + another price; expires = date_time + 1 + a draw below
//     twice the event-time span of the next 1,666 events (a span of ≈ 167 ms
//     at 10,000 events/s); seller the hot seller (the first of the latest person's
//     batch of 100) with probability 3/4, else one of the last 1,000 people
//     or 10 ahead; category 10–14.
//   - bid: auction is the hot auction (the first of the latest auction's
//     batch of 100) with probability 1/2, else one of the last 100 auctions
//     or 10 ahead; bidder the hot bidder (the second of the latest person's
//     batch of 100) with probability 3/4, else a recent person as above;
//     channel one of Google, Facebook, Baidu, Apple (each with a fixed URL)
//     half the time, else channel-<i> for i < 10,000 with its fixed URL,
//     which carries &channel_id=<|reversed bits of i as int32|> in 9 of 10
//     channels. URLs are https://www.nexmark.com/<p>/<p>/<p>/item.htm?query=1,
//     each part 3 or 4 characters, a letter or one time in 13 '_'.
//   - price: round(10^(U × 6) × 100) in float32 for a uniform U in [0, 1),
//     log-uniform from 100 to 100,000,000 (median 100,000).
//   - extra: letters that bring the event to 200 (person), 500 (auction) or
//     100 (bid) bytes on average, counting 8 bytes per number and the
//     lengths of the strings: the padding is its mean ±20 %.
//
// # Splits, pacing and late events
//
// With 'splits' = k, blocks of 50 event numbers are dealt to the splits in
// turn, so each split sees every kind at the same pace and a per-split
// watermark moves with the others; Next serves the splits round robin and
// sets SplitDone on each split's last batch. 'rate.pacing' emits event n
// no earlier than n / rate seconds after Open (batches are then as large as
// what is due). 'out-of-order.fraction' holds back a fraction of events,
// chosen by a hash of the event number and the seed: a held-back event is
// emitted once its split has passed up to 'out-of-order.delay' worth of
// later events (a drawn number between 1 and delay × rate / 1000), so its
// event time trails the largest emitted so far by at most the delay.
//
// # Differences from the reference generators
//
// Weir follows nexmark-rs (risingwavelabs/nexmark-rs); its output equals
// nexmark-rs's on x86-64 Linux for the default options (checked for the
// first 200,000 events and for all 2^24 prices), except where listed:
//
//   - Event time is exact, round(n × 1000 / rate) in integers. nexmark-rs
//     computes it in float32, which is off by a millisecond now and then
//     from about event 670,000 at 10,000 events/s (much earlier at low or
//     odd rates), and so are its auction expiry horizons.
//   - The default base time is 2024-01-01 00:00:00, not the wall clock at
//     start (nexmark-rs and Flink), so runs repeat.
//   - 'seed' has no counterpart; 0 gives nexmark-rs's events.
//   - Only a constant rate: no sine or square rate shapes (nexmark-rs and
//     Flink), and no separate generators with their own timelines.
//   - Out-of-order events come from 'out-of-order.fraction' and
//     'out-of-order.delay' (an event keeps its time and is emitted later);
//     the references instead shuffle groups of out_of_order_group_size
//     events and give each the time of its new position.
//   - Splits deal blocks of 50 events round robin on one timeline; nexmark-rs
//     steps through event numbers with an offset and step, and Flink splits
//     the id range into contiguous parts with parallel timelines.
//   - Prices follow glibc's powf, which nexmark-rs calls through Rust's
//     f32::powf on Linux; on other platforms nexmark-rs may differ in the
//     last bit of a few prices.
//
// And from the Flink/Beam generator (nexmark/nexmark), through nexmark-rs:
//
//   - Flink draws from one unseeded java.util.Random per generator, so its
//     events differ on every run; here each event has its own seeded stream.
//   - Flink adds the first person id to a bid's bidder twice (bidders from
//     2000); here once, so bidders are person ids.
//   - Names, cities and states are lower case ("peter shultz", "los
//     angeles", "or"), as in nexmark-rs and RisingWave's queries; Flink
//     capitalizes them ("Peter Shultz", "Los Angeles", "OR"), so Flink's q3
//     needs state IN ('or', 'id', 'ca') here.
//   - item_name, description and the parts of an email are exactly 20, 100,
//     7 and 5 letters; Flink draws 3 to max-1 characters with spaces, trimmed.
//   - Flink's event time truncates n × delay instead of rounding, and its
//     price is computed in double precision.
//   - Flink's channel URLs and hot URLs are random per process, and which
//     channels carry a channel_id too; here they are fixed. Flink's
//     Math.abs leaves channel 1's id negative (-2147483648); here 2147483648.
//   - Flink draws an auction's seller and category before its strings and
//     prices; the order only matters for which values come out.
package nexmark
