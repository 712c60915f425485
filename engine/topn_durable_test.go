package engine

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// topNScript ranks and deduplicates the generator's bids: a top 3 per
// auction with its row number, each bidder's first bid in event time
// (append-only, emitted by the watermark) and its last (updating).
const topNScript = `
CREATE SOURCE bids (auction BIGINT, bidder BIGINT, price BIGINT, date_time TIMESTAMP(3),
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND)
WITH ('connector' = 'nexmark', 'nexmark.table' = 'bid', 'events' = '100000');
SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) AS rn FROM bids) WHERE rn <= 3;
SELECT bidder, auction, date_time FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY bidder ORDER BY date_time) AS rn FROM bids) WHERE rn = 1;
SELECT bidder, price FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY bidder ORDER BY date_time DESC) AS rn FROM bids) WHERE rn = 1;
`

// TestTopNDurable: with state and a checkpoint every millisecond (each
// saving the ranked rows), the Top-N queries print what they print
// without; stopped at the first checkpoint and resumed, they print it too.
func TestTopNDurable(t *testing.T) {
	want, _, err := runScript(t, topNScript, nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(want, "\n") < 1000 || !strings.Contains(want, "op,auction,bidder,price,date_time,rn\n") {
		t.Fatalf("unexpected output:\n%.500s", want)
	}
	st := openStore(t, t.TempDir())
	got, _, err := runScript(t, topNScript, &StateOptions{Store: st, Interval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatal("with state, the output differs")
	}
	stop := make(chan struct{})
	close(stop)
	first, stderr, err := runScript(t, topNScript, &StateOptions{Store: st, Interval: time.Hour, Stop: stop})
	if !errors.Is(err, ErrStopped) {
		t.Fatalf("stopped run: %v\n%s", err, stderr)
	}
	rest, _, err := runScript(t, topNScript, &StateOptions{Store: st, Interval: 2 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if first+rest != want {
		t.Fatal("stopped then resumed, the output differs")
	}
}
