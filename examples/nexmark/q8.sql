-- Nexmark q8: monitor new users.
-- The people who registered and created an auction in the same 10-second
-- window: a window join of two TUMBLE aggregations, people per window and
-- sellers per window, on the id and the window bounds. A window's rows
-- join when the watermark of both inputs passes its end, and then its
-- state is dropped, so the state stays bounded on an endless stream.
--
-- Run it with: go run ./cmd/weir run examples/nexmark/q8.sql
-- 'events' below counts every Nexmark event (people, auctions and bids; of
-- each 50, one person, three auctions and 46 bids). The two sources read
-- one stream of events, each its own kind, so keep their counts equal:
-- raise them for a longer run, or remove them for an endless stream (Ctrl-C
-- stops it). `weir bench nexmark --query q8` measures it.

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

SELECT P.id, P.name, P.starttime
FROM (
  SELECT id, name,
         window_start AS starttime,
         window_end AS endtime
  FROM TABLE(
         TUMBLE(TABLE person, DESCRIPTOR(date_time), INTERVAL '10' SECOND))
  GROUP BY id, name, window_start, window_end
) P
JOIN (
  SELECT seller,
         window_start AS starttime,
         window_end AS endtime
  FROM TABLE(
         TUMBLE(TABLE auction, DESCRIPTOR(date_time), INTERVAL '10' SECOND))
  GROUP BY seller, window_start, window_end
) A
ON P.id = A.seller AND P.starttime = A.starttime AND P.endtime = A.endtime;
