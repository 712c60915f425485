package nexmark

import (
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The rule tests read the first 100,000 events of each table.
const ruleEvents = 100000

func within(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.4f, want %.4f ± %.4f", what, got, want, tol)
	} else {
		t.Logf("%s = %.4f (want %.4f ± %.4f)", what, got, want, tol)
	}
}

func TestKindCounts(t *testing.T) {
	for name, want := range map[string]int{"person": 2000, "auction": 6000, "bid": 92000} {
		r := generate(t, opts("nexmark.table", name, "events", strconv.Itoa(ruleEvents)), 4096)
		if r.n != want {
			t.Errorf("%s: %d rows of %d events, want %d (1:3:46)", name, r.n, ruleEvents, want)
		}
	}
	// A bounded stream that ends inside a block.
	for name, want := range map[string]int{"person": 21, "auction": 63, "bid": 920 + 1} {
		r := generate(t, opts("nexmark.table", name, "events", "1005"), 100)
		if r.n != want {
			t.Errorf("%s: %d rows of 1005 events, want %d", name, r.n, want)
		}
	}
}

func TestPersonRules(t *testing.T) {
	r := generate(t, opts("nexmark.table", "person", "events", strconv.Itoa(ruleEvents)), 1000)
	email := regexp.MustCompile(`^[a-z]{7}@[a-z]{5}\.com$`)
	card := regexp.MustCompile(`^[0-9]{4} [0-9]{4} [0-9]{4} [0-9]{4}$`)
	var size, extraMin, extraMax float64
	extraMin = math.Inf(1)
	for i := 0; i < r.n; i++ {
		n := personEvent(i)
		if id := r.i64["id"][i]; id != n/50+1000 {
			t.Fatalf("person %d: id %d, want %d", i, id, n/50+1000)
		}
		if dt := r.i64["date_time"][i]; dt != timeOf(n, 10000) {
			t.Fatalf("person %d: date_time %d, want %d", i, dt, timeOf(n, 10000))
		}
		first, last, ok := strings.Cut(r.str["name"][i], " ")
		if !ok || !slices.Contains(firstNames, first) || !slices.Contains(lastNames, last) {
			t.Fatalf("person %d: name %q", i, r.str["name"][i])
		}
		if !email.MatchString(r.str["email_address"][i]) || !card.MatchString(r.str["credit_card"][i]) {
			t.Fatalf("person %d: email %q, card %q", i, r.str["email_address"][i], r.str["credit_card"][i])
		}
		city, state := r.str["city"][i], r.str["state"][i]
		if !slices.Contains(usCities, city) || !slices.Contains(usStates, state) {
			t.Fatalf("person %d: city %q, state %q", i, city, state)
		}
		fixed := 8 + len(r.str["name"][i]) + 17 + 19 + len(city) + len(state)
		extra := len(r.str["extra"][i])
		// The padding is its mean (200 - fixed) ± 20 %.
		avg := float64(avgPersonBytes - fixed)
		if e := float64(extra); e < avg*0.8-1 || e > avg*1.2+1 {
			t.Fatalf("person %d: extra of %d bytes for %d fixed", i, extra, fixed)
		}
		extraMin, extraMax = min(extraMin, float64(extra)/avg), max(extraMax, float64(extra)/avg)
		size += float64(fixed + extra)
	}
	within(t, "person mean size / 200", size/float64(r.n)/avgPersonBytes, 1, 0.05)
	within(t, "smallest person extra / its mean", extraMin, 0.8, 0.02)
	within(t, "largest person extra / its mean", extraMax, 1.2, 0.02)
}

func TestAuctionRules(t *testing.T) {
	r := generate(t, opts("nexmark.table", "auction", "events", strconv.Itoa(ruleEvents)), 1000)
	var size float64
	hotSellers, categories := 0, map[int64]int{}
	for i := 0; i < r.n; i++ {
		n := auctionEvent(i)
		if id := r.i64["id"][i]; id != int64(i)+1000 {
			t.Fatalf("auction %d: id %d", i, id)
		}
		dt, exp := r.i64["date_time"][i], r.i64["expires"][i]
		if dt != timeOf(n, 10000) {
			t.Fatalf("auction %d: date_time %d, want %d", i, dt, timeOf(n, 10000))
		}
		// expires = date_time + 1 + [0, 2 × horizon), horizon ≈ 167 ms.
		horizon := timeOf(n+1666, 10000) - dt
		if exp <= dt || exp > dt+2*horizon {
			t.Fatalf("auction %d: expires %d for date_time %d (horizon %d)", i, exp, dt, horizon)
		}
		ib, res := r.i64["initial_bid"][i], r.i64["reserve"][i]
		if ib < 100 || ib > 100_000_000 || res <= ib || res > ib+100_000_000 {
			t.Fatalf("auction %d: initial_bid %d, reserve %d", i, ib, res)
		}
		c := r.i64["category"][i]
		if c < 10 || c > 14 {
			t.Fatalf("auction %d: category %d", i, c)
		}
		categories[c]++
		seller := r.i64["seller"][i] - 1000
		if seller == n/50/100*100 {
			hotSellers++
		}
		if seller < 0 || seller > n/50+10 {
			t.Fatalf("auction %d: seller %d of %d people", i, seller+1000, n/50+1)
		}
		if len(r.str["item_name"][i]) != 20 || len(r.str["description"][i]) != 100 {
			t.Fatalf("auction %d: item_name %q, description %q", i, r.str["item_name"][i], r.str["description"][i])
		}
		extra := len(r.str["extra"][i])
		if extra < 332-67 || extra > 332+66 {
			t.Fatalf("auction %d: extra of %d bytes", i, extra)
		}
		size += float64(8 + 20 + 100 + 5*8 + extra)
	}
	within(t, "auction mean size / 500", size/float64(r.n)/avgAuctionBytes, 1, 0.05)
	// A random seller is the hot one now and then too, mostly early on.
	within(t, "hot sellers", float64(hotSellers)/float64(r.n), 0.75, 0.02)
	for c := int64(10); c <= 14; c++ {
		within(t, "category "+strconv.FormatInt(c, 10), float64(categories[c])/float64(r.n), 0.2, 0.02)
	}
}

func TestBidRules(t *testing.T) {
	r := generate(t, opts("nexmark.table", "bid", "events", strconv.Itoa(ruleEvents)), 1024)
	url := regexp.MustCompile(`^https://www\.nexmark\.com/[a-z_]{3,4}/[a-z_]{3,4}/[a-z_]{3,4}/item\.htm\?query=1(&channel_id=([0-9]+))?$`)
	chanURL := map[string]string{}
	hotAuctions, hotBidders, hotChans, withID, plain := 0, 0, 0, 0, 0
	var size float64
	prices := make([]float64, 0, r.n)
	for i := 0; i < r.n; i++ {
		n := bidEvent(i)
		if dt := r.i64["date_time"][i]; dt != timeOf(n, 10000) {
			t.Fatalf("bid %d: date_time %d, want %d", i, dt, timeOf(n, 10000))
		}
		auction, bidder := r.i64["auction"][i]-1000, r.i64["bidder"][i]-1000
		lastA, lastP := lastAuction(n), n/50
		if auction == lastA/100*100 {
			hotAuctions++
		}
		if auction < max(lastA-100, 0) || auction > lastA+10 {
			t.Fatalf("bid %d: auction %d, latest %d", i, auction, lastA)
		}
		if bidder == lastP/100*100+1 {
			hotBidders++
		}
		if bidder < 0 || bidder > lastP+10 {
			t.Fatalf("bid %d: bidder %d, latest person %d", i, bidder, lastP)
		}
		p := r.i64["price"][i]
		if p < 100 || p > 100_000_000 {
			t.Fatalf("bid %d: price %d", i, p)
		}
		prices = append(prices, float64(p))
		ch, u := r.str["channel"][i], r.str["url"][i]
		m := url.FindStringSubmatch(u)
		if m == nil {
			t.Fatalf("bid %d: url %q", i, u)
		}
		if prev, ok := chanURL[ch]; ok && prev != u {
			t.Fatalf("channel %q has urls %q and %q", ch, prev, u)
		}
		chanURL[ch] = u
		if slices.Contains(hotChannels, ch) {
			hotChans++
			if m[1] != "" {
				t.Fatalf("hot channel %q with a channel id: %q", ch, u)
			}
		} else {
			num, ok := strings.CutPrefix(ch, "channel-")
			k, err := strconv.Atoi(num)
			if !ok || err != nil || k < 0 || k >= 10000 {
				t.Fatalf("bid %d: channel %q", i, ch)
			}
			if m[1] != "" {
				withID++
				want := int64(int32(reverse32(uint32(k))))
				if want < 0 {
					want = -want
				}
				if m[2] != strconv.FormatInt(want, 10) {
					t.Fatalf("channel %q: url %q, want channel_id %d", ch, u, want)
				}
			} else {
				plain++
			}
		}
		extra := len(r.str["extra"][i])
		if extra < 54 || extra > 81 {
			t.Fatalf("bid %d: extra of %d bytes, want 68 ± 20 %%", i, extra)
		}
		size += float64(32 + extra)
	}
	within(t, "bid mean size / 100", size/float64(r.n)/avgBidBytes, 1, 0.05)
	within(t, "hot auctions", float64(hotAuctions)/float64(r.n), 0.5, 0.02)
	within(t, "hot bidders", float64(hotBidders)/float64(r.n), 0.75, 0.02)
	within(t, "hot channels", float64(hotChans)/float64(r.n), 0.5, 0.01)
	within(t, "channel ids", float64(withID)/float64(withID+plain), 0.9, 0.02)
	if len(chanURL) < 4000 {
		t.Errorf("only %d channels", len(chanURL))
	}
	// Prices are log-uniform: log10(price / 100) is uniform on [0, 6).
	slices.Sort(prices)
	for _, q := range []float64{0.1, 0.25, 0.5, 0.75, 0.9} {
		got := math.Log10(prices[int(q*float64(len(prices)))] / 100)
		within(t, "log10(price/100) at quantile "+strconv.FormatFloat(q, 'f', -1, 64), got, 6*q, 0.05)
	}
}

func reverse32(v uint32) uint32 {
	var out uint32
	for range 32 {
		out = out<<1 | v&1
		v >>= 1
	}
	return out
}

// TestEventTimeRates checks base + n × 1000 / rate at a fractional delay.
func TestEventTimeRates(t *testing.T) {
	for _, rate := range []int64{3, 7, 10000, 123456} {
		r := generate(t, opts("nexmark.table", "bid", "events", "5000", "rate", strconv.FormatInt(rate, 10),
			"base-time", "2024-01-01 00:00:00"), 512)
		for i, dt := range r.i64["date_time"] {
			if want := timeOf(bidEvent(i), rate); dt != want {
				t.Fatalf("rate %d: bid %d at %d, want %d", rate, i, dt, want)
			}
		}
	}
	r := generate(t, opts("nexmark.table", "person", "events", "100", "base-time", "1000"), 10)
	if r.i64["date_time"][1] != 1005 {
		t.Errorf("base-time in epoch ms: second person at %d, want 1005", r.i64["date_time"][1])
	}
	r = generate(t, opts("nexmark.table", "person", "events", "1", "base-time", "2020-02-02T10:00:00Z"), 10)
	if r.i64["date_time"][0] != 1580637600000 {
		t.Errorf("base-time in RFC 3339: first person at %d", r.i64["date_time"][0])
	}
}
