package nexmark

import (
	"math/bits"
	"strconv"
	"strings"
	"sync"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/weirsql/weir/sqltypes"
)

// The generator's constants, as nexmark-rs's default NexmarkConfig has them.
const (
	// Each block of blockSize consecutive event numbers holds one person,
	// then three auctions, then 46 bids.
	blockSize         = personProportion + auctionProportion + bidProportion
	personProportion  = 1
	auctionProportion = 3
	bidProportion     = 46

	firstPersonID   = 1000
	firstAuctionID  = 1000
	firstCategoryID = 10
	numCategories   = 5

	activePeople     = 1000 // people a random seller or bidder is drawn from
	inFlightAuctions = 100  // auctions a random bid is drawn from
	personIDLead     = 10   // ids of people not yet created that may be drawn
	auctionIDLead    = 10   // likewise for auctions

	// A seller is hot unless a draw in [0, hotSellerRatio) is 0; likewise
	// for auctions and bidders of bids and the channel of a bid.
	hotSellerRatio  = 4
	hotAuctionRatio = 2
	hotBidderRatio  = 4
	hotChannelRatio = 2
	// The hot seller, auction or bidder is the first (the second for a
	// bidder) of the batch of hotBatch ids that the latest one is in.
	hotBatch = 100

	avgPersonBytes  = 200
	avgAuctionBytes = 500
	avgBidBytes     = 100

	numChannels = 10000
	// An auction's expiry horizon is the event-time span of the events that
	// produce inFlightAuctions more auctions.
	eventsForAuctions = inFlightAuctions * blockSize / auctionProportion
)

// The value lists of nexmark-rs (lower case; the Flink generator
// capitalizes names, cities and states).
var (
	firstNames  = []string{"peter", "paul", "luke", "john", "saul", "vicky", "kate", "julie", "sarah", "deiter", "walter"}
	lastNames   = []string{"shultz", "abrams", "spencer", "white", "bartels", "walton", "smith", "jones", "noris"}
	usCities    = []string{"phoenix", "los angeles", "san francisco", "boise", "portland", "bend", "redmond", "seattle", "kent", "cheyenne"}
	usStates    = []string{"az", "ca", "id", "or", "wa", "wy"}
	hotChannels = []string{"Google", "Facebook", "Baidu", "Apple"}
)

// hotChannelBytes is hotChannels as byte slices.
var hotChannelBytes = func() [][]byte {
	out := make([][]byte, len(hotChannels))
	for i, c := range hotChannels {
		out[i] = []byte(c)
	}
	return out
}()

// Column indexes of the person table.
const (
	personID = iota
	personName
	personEmail
	personCreditCard
	personCity
	personState
	personDateTime
	personExtra
)

// Column indexes of the auction table.
const (
	auctionID = iota
	auctionItemName
	auctionDescription
	auctionInitialBid
	auctionReserve
	auctionDateTime
	auctionExpires
	auctionSeller
	auctionCategory
	auctionExtra
)

// Column indexes of the bid table.
const (
	bidAuction = iota
	bidBidder
	bidPrice
	bidChannel
	bidURL
	bidDateTime
	bidExtra
)

// maxColumns is the width of the widest table (auction).
const maxColumns = 10

// column is one column of a Nexmark table. bytes is the most a VARCHAR
// value takes, so that a batch's buffer is sized once.
type column struct {
	name  string
	typ   arrow.DataType
	bytes int
}

// table is one of the three tables: its columns, and which offsets of a
// block of event numbers hold its events (first..last, inclusive).
type table struct {
	name        string
	columns     []column
	first, last int64
}

var tables = map[string]*table{
	"person": {
		name:  "person",
		first: 0, last: personProportion - 1,
		columns: []column{
			{"id", sqltypes.BigInt, 0},
			{"name", sqltypes.Varchar, 14},
			{"email_address", sqltypes.Varchar, 17},
			{"credit_card", sqltypes.Varchar, 19},
			{"city", sqltypes.Varchar, 13},
			{"state", sqltypes.Varchar, 2},
			{"date_time", sqltypes.Timestamp, 0},
			{"extra", sqltypes.Varchar, 167},
		},
	},
	"auction": {
		name:  "auction",
		first: personProportion, last: personProportion + auctionProportion - 1,
		columns: []column{
			{"id", sqltypes.BigInt, 0},
			{"item_name", sqltypes.Varchar, 20},
			{"description", sqltypes.Varchar, 100},
			{"initial_bid", sqltypes.BigInt, 0},
			{"reserve", sqltypes.BigInt, 0},
			{"date_time", sqltypes.Timestamp, 0},
			{"expires", sqltypes.Timestamp, 0},
			{"seller", sqltypes.BigInt, 0},
			{"category", sqltypes.BigInt, 0},
			{"extra", sqltypes.Varchar, 397},
		},
	},
	"bid": {
		name:  "bid",
		first: personProportion + auctionProportion, last: blockSize - 1,
		columns: []column{
			{"auction", sqltypes.BigInt, 0},
			{"bidder", sqltypes.BigInt, 0},
			{"price", sqltypes.BigInt, 0},
			{"channel", sqltypes.Varchar, 12},
			{"url", sqltypes.Varchar, 77},
			{"date_time", sqltypes.Timestamp, 0},
			{"extra", sqltypes.Varchar, 81},
		},
	},
}

// ddl lists a table's columns as a CREATE SOURCE would declare them.
func (t *table) ddl() string {
	parts := make([]string, len(t.columns))
	for i, c := range t.columns {
		parts[i] = c.name + " " + sqltypes.Name(c.typ)
	}
	return strings.Join(parts, ", ")
}

// lookup returns the index of the column called name (any case), or -1.
func (t *table) lookup(name string) int {
	for i, c := range t.columns {
		if strings.EqualFold(c.name, name) {
			return i
		}
	}
	return -1
}

// channelTable holds the 10,000 ordinary channels and their URLs, then the
// URLs of the hot channels, all fixed as nexmark-rs builds them. The text
// sits in one byte slice, so the garbage collector has nothing to scan.
type channelTable struct {
	text []byte
	// Channel i's name is text[name[i]:url[i]] and its URL
	// text[url[i]:name[i+1]]; hot URL h is text[hot[h]:hot[h+1]].
	name, url []uint32
	hot       []uint32
}

func (ct *channelTable) channel(i uint32) (name, url []byte) {
	return ct.text[ct.name[i]:ct.url[i]], ct.text[ct.url[i]:ct.name[i+1]]
}

func (ct *channelTable) hotURL(h uint64) []byte { return ct.text[ct.hot[h]:ct.hot[h+1]] }

// channels builds the channel table once, when a bid source first needs it.
var channels = sync.OnceValue(func() *channelTable {
	ct := &channelTable{
		text: make([]byte, 0, 90*numChannels),
		name: make([]uint32, numChannels+1),
		url:  make([]uint32, numChannels),
		hot:  make([]uint32, len(hotChannels)+1),
	}
	b := ct.text
	for i := range numChannels {
		ct.name[i] = uint32(len(b))
		b = append(b, "channel-"...)
		b = strconv.AppendInt(b, int64(i), 10)
		ct.url[i] = uint32(len(b))
		b = appendBaseURL(b, uint64(i))
		// The channel id suffix uses a fresh generator with the same seed.
		var r rng
		r.seed(uint64(i))
		if r.intn32(10) > 0 {
			b = append(b, "&channel_id="...)
			// abs(i32::reverse_bits(i)) widened to i64 first, so channel 1's
			// id is 2147483648 (Java's Math.abs leaves it negative).
			rev := int64(int32(bits.Reverse32(uint32(i))))
			if rev < 0 {
				rev = -rev
			}
			b = strconv.AppendInt(b, rev, 10)
		}
	}
	ct.name[numChannels] = uint32(len(b))
	for h := range hotChannels {
		ct.hot[h] = uint32(len(b))
		b = appendBaseURL(b, uint64(h))
	}
	ct.hot[len(hotChannels)] = uint32(len(b))
	ct.text = b
	return ct
})

// appendBaseURL appends nexmark-rs's get_base_url(seed): three path parts
// of 3 or 4 characters, each a letter or, one time in 13, '_'.
func appendBaseURL(b []byte, seed uint64) []byte {
	var r rng
	r.seed(seed)
	b = append(b, "https://www.nexmark.com/"...)
	for range 3 {
		n := 3 + r.intn64(2)
		for range n {
			if r.intn32(13) == 0 {
				b = append(b, '_')
			} else {
				var c [1]byte
				r.fillLetters(c[:])
				b = append(b, c[0])
			}
		}
		b = append(b, '/')
	}
	return append(b, "item.htm?query=1"...)
}
