-- Bids from a bundled JSON-lines file: filter, project, convert.
-- Run it with: go run ./cmd/weir run examples/bids_file.sql

CREATE SOURCE bids (
  auction   BIGINT,
  bidder    BIGINT,
  price     BIGINT,      -- in cents
  channel   VARCHAR,
  url       VARCHAR,
  date_time TIMESTAMP(3),
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND
) WITH (
  'connector' = 'file',
  'path'      = 'data/bids.jsonl',   -- relative to this file
  'format'    = 'json'
);

-- Large bids from the big four channels, in dollars, with the minute they fell in.
SELECT auction,
       bidder,
       CAST(price / 100.0 AS DECIMAL(10, 2)) AS dollars,
       UPPER(channel) AS channel,
       DATE_TRUNC('minute', date_time) AS minute
FROM bids
WHERE price > 50000 AND channel IN ('Google', 'Facebook', 'Baidu', 'Apple');
