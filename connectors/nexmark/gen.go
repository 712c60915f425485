package nexmark

// generator makes the event with a given event number. Every value of an
// event comes from a generator seeded with its event number (mixed with the
// 'seed' option), drawn in nexmark-rs's order, so any event can be made on
// its own and the stream is the same on every run. Columns nobody reads are
// not built, but their draws are still made, so that the other columns do
// not depend on the projection.
type generator struct {
	baseMs   int64  // event time of event 0
	rate     int64  // events per second of event time
	seedMix  uint64 // xor-ed into each event's seed; 0 for seed 0
	channels *channelTable
}

// eventTime is base + n × 1000 / rate ms, rounded half up: computed from the
// event number, so fractional delays never accumulate error.
func (g *generator) eventTime(n int64) int64 {
	q, m := n/g.rate, n%g.rate
	return g.baseMs + q*1000 + (m*2000+g.rate)/(2*g.rate)
}

func (g *generator) seedRNG(r *rng, n int64) { r.seed(uint64(n) ^ g.seedMix) }

// lastPerson is the base-0 id of the latest person at event n.
func lastPerson(n int64) int64 { return n / blockSize * personProportion }

// lastAuction is the base-0 id of the latest auction at event n (n must not
// be the person of block 0).
func lastAuction(n int64) int64 {
	epoch, off := n/blockSize, n%blockSize
	switch {
	case off < personProportion:
		epoch--
		off = auctionProportion - 1
	case off >= personProportion+auctionProportion:
		off = auctionProportion - 1
	default:
		off -= personProportion
	}
	return epoch*auctionProportion + off
}

// nextPerson draws a base-0 person id among the active people, with a lead.
func nextPerson(n int64, r *rng) int64 {
	people := lastPerson(n) + 1
	active := min(people, activePeople)
	return people - active + int64(r.intn64(uint64(active+personIDLead)))
}

// nextAuction draws a base-0 auction id among those in flight, with a lead.
func nextAuction(n int64, r *rng) int64 {
	hi := lastAuction(n)
	lo := max(hi-inFlightAuctions, 0)
	return lo + int64(r.intn64(uint64(hi-lo+1+auctionIDLead)))
}

// extraLen draws the length of the extra padding that brings an event of
// size current to avg bytes on average, ±20 %.
func extraLen(r *rng, current, avg int) int {
	if current > avg {
		return 0
	}
	a := avg - current
	delta := (a + 2) / 5
	if delta == 0 {
		return a
	}
	return a - delta + int(r.intn64(uint64(2*delta)))
}

// person writes the person of event n into w's row.
func (g *generator) person(n int64, w *writer) {
	var r rng
	g.seedRNG(&r, n)
	row := w.row
	if c := w.i64[personID]; c != nil {
		c.vals[row] = lastPerson(n) + firstPersonID
	}
	first := firstNames[r.intn32(uint32(len(firstNames)))]
	last := lastNames[r.intn32(uint32(len(lastNames)))]
	if c := w.str[personName]; c != nil {
		c.room(len(first) + 1 + len(last))
		c.data = append(c.data, first...)
		c.data = append(c.data, ' ')
		c.data = append(c.data, last...)
		c.end(row)
	}
	const emailLen = 7 + 1 + 5 + 4
	if c := w.str[personEmail]; c != nil {
		c.room(emailLen)
		c.letters(&r, 7)
		c.data = append(c.data, '@')
		c.letters(&r, 5)
		c.data = append(c.data, ".com"...)
		c.end(row)
	} else {
		r.skipLetters(12)
	}
	const cardLen = 4*4 + 3
	var card [4]uint32
	for i := range card {
		card[i] = r.intn32(10000)
	}
	if c := w.str[personCreditCard]; c != nil {
		c.room(cardLen)
		for i, v := range card {
			if i > 0 {
				c.data = append(c.data, ' ')
			}
			c.data = append(c.data, byte('0'+v/1000), byte('0'+v/100%10), byte('0'+v/10%10), byte('0'+v%10))
		}
		c.end(row)
	}
	city := usCities[r.intn32(uint32(len(usCities)))]
	state := usStates[r.intn32(uint32(len(usStates)))]
	if c := w.str[personCity]; c != nil {
		c.add(row, city)
	}
	if c := w.str[personState]; c != nil {
		c.add(row, state)
	}
	if c := w.i64[personDateTime]; c != nil {
		c.vals[row] = g.eventTime(n)
	}
	if c := w.str[personExtra]; c != nil {
		size := 8 + len(first) + 1 + len(last) + emailLen + cardLen + len(city) + len(state)
		c.letters(&r, extraLen(&r, size, avgPersonBytes))
		c.end(row)
	}
}

// auction writes the auction of event n into w's row.
func (g *generator) auction(n int64, w *writer) {
	var r rng
	g.seedRNG(&r, n)
	row := w.row
	if c := w.i64[auctionID]; c != nil {
		c.vals[row] = lastAuction(n) + firstAuctionID
	}
	const nameLen, descLen = 20, 100
	if c := w.str[auctionItemName]; c != nil {
		c.letters(&r, nameLen)
		c.end(row)
	} else {
		r.skipLetters(nameLen)
	}
	if c := w.str[auctionDescription]; c != nil {
		c.letters(&r, descLen)
		c.end(row)
	} else {
		r.skipLetters(descLen)
	}
	u1, u2 := r.priceDraw(), r.priceDraw()
	ci, cr := w.i64[auctionInitialBid], w.i64[auctionReserve]
	if ci != nil || cr != nil {
		initial := priceOf(u1)
		if ci != nil {
			ci.vals[row] = initial
		}
		if cr != nil {
			cr.vals[row] = initial + priceOf(u2)
		}
	}
	// The expiry draw's range depends on the horizon, so it is computed
	// whether or not anyone reads the times.
	t := g.eventTime(n)
	horizon := g.eventTime(n+eventsForAuctions) - t
	length := 1 + int64(r.intn64(uint64(max(2*horizon, 1))))
	if c := w.i64[auctionDateTime]; c != nil {
		c.vals[row] = t
	}
	if c := w.i64[auctionExpires]; c != nil {
		c.vals[row] = t + length
	}
	var seller int64
	if r.intn64(hotSellerRatio) > 0 {
		seller = lastPerson(n) / hotBatch * hotBatch
	} else {
		seller = nextPerson(n, &r)
	}
	if c := w.i64[auctionSeller]; c != nil {
		c.vals[row] = seller + firstPersonID
	}
	category := firstCategoryID + int64(r.intn64(numCategories))
	if c := w.i64[auctionCategory]; c != nil {
		c.vals[row] = category
	}
	if c := w.str[auctionExtra]; c != nil {
		const size = 8 + nameLen + descLen + 8 + 8 + 8 + 8 + 8
		c.letters(&r, extraLen(&r, size, avgAuctionBytes))
		c.end(row)
	}
}

// bid writes the bid of event n into w's row.
func (g *generator) bid(n int64, w *writer) {
	var r rng
	g.seedRNG(&r, n)
	row := w.row
	var auction int64
	if r.intn64(hotAuctionRatio) > 0 {
		auction = lastAuction(n) / hotBatch * hotBatch
	} else {
		auction = nextAuction(n, &r)
	}
	if c := w.i64[bidAuction]; c != nil {
		c.vals[row] = auction + firstAuctionID
	}
	var bidder int64
	if r.intn64(hotBidderRatio) > 0 {
		bidder = lastPerson(n)/hotBatch*hotBatch + 1
	} else {
		bidder = nextPerson(n, &r)
	}
	if c := w.i64[bidBidder]; c != nil {
		c.vals[row] = bidder + firstPersonID
	}
	u := r.priceDraw()
	if c := w.i64[bidPrice]; c != nil {
		c.vals[row] = priceOf(u)
	}
	// The channel's draws are made whether or not anyone reads it; its
	// name and URL are looked up only when someone does.
	cc, cu := w.str[bidChannel], w.str[bidURL]
	var channel, url []byte
	if r.intn64(hotChannelRatio) > 0 {
		h := r.intn64(uint64(len(hotChannels)))
		if cc != nil || cu != nil {
			channel, url = hotChannelBytes[h], g.channels.hotURL(h)
		}
	} else if i := r.intn32(numChannels); cc != nil || cu != nil {
		channel, url = g.channels.channel(i)
	}
	if cc != nil {
		cc.addBytes(row, channel)
	}
	if cu != nil {
		cu.addBytes(row, url)
	}
	if c := w.i64[bidDateTime]; c != nil {
		c.vals[row] = g.eventTime(n)
	}
	if c := w.str[bidExtra]; c != nil {
		const size = 8 + 8 + 8 + 8
		c.letters(&r, extraLen(&r, size, avgBidBytes))
		c.end(row)
	}
}
