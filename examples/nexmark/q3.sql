-- Nexmark q3: local item suggestion.
-- Who is selling in Oregon, Idaho or California in category 10, and for
-- what auction ids? A regular (unbounded) join of auctions with their
-- sellers, and filters, which go below the join: only category-10
-- auctions and people of those states are kept in its state. Both inputs
-- only grow, so the join's output does too: a row appears as soon as an
-- auction and its seller have both arrived, whichever came first (a
-- seller can be a person not made yet). The generator writes states in
-- lower case, as RisingWave's text has them (Flink's: 'OR', 'ID', 'CA').
-- On an endless stream the join's state grows without end: bound it with
-- SET 'table.exec.state.ttl' = '1h'; before the query.
--
-- Run it with: go run ./cmd/weir run examples/nexmark/q3.sql
-- 'events' below counts every Nexmark event (people, auctions and bids; of
-- each 50, one person, three auctions and 46 bids). The two sources read
-- one stream of events, each its own kind, so keep their counts equal:
-- raise them for a longer run, or remove them for an endless stream (Ctrl-C
-- stops it). `weir bench nexmark --query q3` measures it.

CREATE SOURCE auction (
  id          BIGINT,
  item_name   VARCHAR,
  description VARCHAR,
  initial_bid BIGINT,
  reserve     BIGINT,
  date_time   TIMESTAMP(3),
  expires     TIMESTAMP(3),
  seller      BIGINT,
  category    BIGINT,
  extra       VARCHAR,
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND
) WITH (
  'connector'     = 'nexmark',
  'nexmark.table' = 'auction',
  'events'        = '100000'   -- events of all kinds (3 in 50 are auctions); the same in every source
);

CREATE SOURCE person (
  id            BIGINT,
  name          VARCHAR,
  email_address VARCHAR,
  credit_card   VARCHAR,
  city          VARCHAR,
  state         VARCHAR,
  date_time     TIMESTAMP(3),
  extra         VARCHAR,
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND
) WITH (
  'connector'     = 'nexmark',
  'nexmark.table' = 'person',
  'events'        = '100000'   -- events of all kinds (1 in 50 is a person); the same in every source
);

SELECT
    P.name, P.city, P.state, A.id
FROM
    auction AS A INNER JOIN person AS P ON A.seller = P.id
WHERE
    A.category = 10 AND (P.state = 'or' OR P.state = 'id' OR P.state = 'ca');
