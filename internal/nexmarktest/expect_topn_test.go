package nexmarktest

// The independent checks of the ROW_NUMBER() queries: q9 (the winning bid
// of each auction, a top 1 over a join), q18 (each bidder's last bid on
// each auction, a deduplication) and q19 (each auction's ten highest bids,
// with their ranks). Each is the final table the engine's changelog must
// leave, computed in one pass over the generator's rows.

import (
	"fmt"
	"slices"
)

func init() {
	expectations["q9"] = expectation{
		header: []string{"id", "item_name", "description", "initial_bid", "reserve", "date_time", "expires", "seller", "category", "extra",
			"auction", "bidder", "price", "bid_date_time", "bid_extra"},
		mode: updatingJoin,
		rows: final(q9),
	}
	expectations["q18"] = expectation{
		header: []string{"auction", "bidder", "price", "channel", "url", "date_time", "extra"},
		mode:   changelog,
		rows:   final(q18),
	}
	expectations["q19"] = expectation{
		header: []string{"auction", "bidder", "price", "channel", "url", "date_time", "extra", "rank_number"},
		mode:   changelog,
		rows:   final(q19),
	}
}

func bidColumns(b *bid) []string {
	return []string{itoa(b.auction), itoa(b.bidder), itoa(b.price), b.channel, b.url, timestamp(b.ms), b.extra}
}

// q9: each auction with its winning bid: the highest of its bids made
// within [date_time, expires] (both ends inclusive), the earliest of equal
// ones. Auctions without such a bid have no row. Two bids equal in both
// price and time would rank in the join's output order, which depends on
// how its inputs interleave; the check refuses such an input rather than
// guess.
func q9(events int64) ([][]string, error) {
	as, err := auctions(events)
	if err != nil {
		return nil, err
	}
	byID := map[int64]*auction{}
	for _, a := range as {
		byID[a.id] = a
	}
	best := map[int64]*bid{}
	tied := map[int64]bool{}
	for b, err := range bids(events) {
		if err != nil {
			return nil, err
		}
		a := byID[b.auction]
		if a == nil || b.ms < a.ms || b.ms > a.expires {
			continue
		}
		switch cur := best[a.id]; {
		case cur == nil || b.price > cur.price || (b.price == cur.price && b.ms < cur.ms):
			best[a.id], tied[a.id] = b, false
		case b.price == cur.price && b.ms == cur.ms:
			tied[a.id] = true
		}
	}
	var rows [][]string
	for _, a := range as {
		b := best[a.id]
		if b == nil {
			continue
		}
		if tied[a.id] {
			return nil, fmt.Errorf("q9: auction %d has two winning bids of equal price and time", a.id)
		}
		rows = append(rows, []string{itoa(a.id), a.itemName, a.description, itoa(a.initialBid), itoa(a.reserve),
			timestamp(a.ms), timestamp(a.expires), itoa(a.seller), itoa(a.category), a.extra,
			itoa(b.auction), itoa(b.bidder), itoa(b.price), timestamp(b.ms), b.extra})
	}
	return rows, nil
}

// q18: for each bidder and auction, its last bid: the latest date_time,
// the later of bids at the same time.
func q18(events int64) ([][]string, error) {
	type pair struct{ bidder, auction int64 }
	last := map[pair]*bid{}
	var order []pair
	for b, err := range bids(events) {
		if err != nil {
			return nil, err
		}
		k := pair{b.bidder, b.auction}
		cur, ok := last[k]
		if !ok {
			order = append(order, k)
		}
		if !ok || b.ms >= cur.ms {
			last[k] = b
		}
	}
	rows := make([][]string, len(order))
	for i, k := range order {
		rows[i] = bidColumns(last[k])
	}
	return rows, nil
}

// q19: for each auction, its ten highest bids, equal prices in arrival
// order, with their ranks from 1.
func q19(events int64) ([][]string, error) {
	top := map[int64][]*bid{}
	var order []int64
	for b, err := range bids(events) {
		if err != nil {
			return nil, err
		}
		list, ok := top[b.auction]
		if !ok {
			order = append(order, b.auction)
		}
		// After the bids of a higher or equal price.
		at := len(list)
		for i, x := range list {
			if x.price < b.price {
				at = i
				break
			}
		}
		if at < 10 {
			list = slices.Insert(list, at, b)
			top[b.auction] = list[:min(10, len(list))]
		}
	}
	var rows [][]string
	for _, a := range order {
		for i, b := range top[a] {
			rows = append(rows, append(bidColumns(b), itoa(int64(i+1))))
		}
	}
	return rows, nil
}
