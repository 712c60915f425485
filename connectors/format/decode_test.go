package format

import (
	"errors"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/sqltypes"
)

// decodeCase decodes input and returns the rows as CSV (without header)
// and the bad records' messages, in order.
func decodeCase(t *testing.T, format, input string, schema *arrow.Schema, opts DecoderOptions) (string, []string) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	opts.Schema, opts.Mem = schema, mem
	if opts.File == "" {
		opts.File = "in." + format
	}
	var out [2]string
	var bads [2][]string
	// Read all at once and one byte at a time: the results must agree.
	for k, r := range []interface{ Read([]byte) (int, error) }{strings.NewReader(input), iotest.OneByteReader(strings.NewReader(input))} {
		dec, err := NewDecoder(format, r, opts)
		if err != nil {
			t.Fatalf("new decoder: %v", err)
		}
		got, _, bad := decodeAll(t, mem, dec)
		for _, b := range bad {
			bads[k] = append(bads[k], b.Error())
		}
		if got != nil {
			out[k] = encode(t, "csv", got.Schema(), EncoderOptions{NoHeader: true}, []arrow.Record{got}, nil)
			got.Release()
		}
	}
	if out[0] != out[1] || strings.Join(bads[0], "\n") != strings.Join(bads[1], "\n") {
		t.Fatalf("reading at once and byte by byte differ:\n%s%v\n---\n%s%v", out[0], bads[0], out[1], bads[1])
	}
	return out[0], bads[0]
}

func schemaOf(cols ...any) *arrow.Schema {
	var fields []arrow.Field
	for i := 0; i < len(cols); i += 2 {
		fields = append(fields, arrow.Field{Name: cols[i].(string), Type: cols[i+1].(arrow.DataType), Nullable: true})
	}
	return arrow.NewSchema(fields, nil)
}

func checkDecode(t *testing.T, format, input string, schema *arrow.Schema, opts DecoderOptions, want string, wantBad ...string) {
	t.Helper()
	got, bad := decodeCase(t, format, input, schema, opts)
	if got != want {
		t.Errorf("rows:\n%s\nwant:\n%s", got, want)
	}
	if strings.Join(bad, "\n") != strings.Join(wantBad, "\n") {
		t.Errorf("bad records:\n%s\nwant:\n%s", strings.Join(bad, "\n"), strings.Join(wantBad, "\n"))
	}
}

func TestJSONKeys(t *testing.T) {
	s := schemaOf("a", sqltypes.BigInt, "Name", sqltypes.Varchar)
	checkDecode(t, "json", lines(
		`{"a": 1, "Name": "x"}`,
		`{"NAME": "y", "A": 2}`,                               // case-insensitive
		`{"name": "lower", "Name": "exact", "nAmE": "other"}`, // the exact key wins
		`{"a": 1, "a": 2}`,                                    // the last duplicate wins
		`{}`,
		`{"b": {"x": [1, "}", {"y": "]"}]}, "c": [], "d": "s\"}", "e": null, "f": true, "g": -1.5e3, "a": 7}`,
		`  {"a":null,"Name":null}  `,
		"{\"a\":3}\r",
		``,
		"\t ",
	), s, DecoderOptions{}, lines(
		`1,x`,
		`2,y`,
		`,exact`,
		`2,`,
		`,`,
		`7,`,
		`,`,
		`3,`,
	))
}

func TestJSONTypes(t *testing.T) {
	s := schemaOf("i", sqltypes.Int, "l", sqltypes.BigInt, "f", sqltypes.Float, "d", sqltypes.Double,
		"dec", sqltypes.Decimal(6, 2), "b", sqltypes.Boolean, "s", sqltypes.Varchar,
		"ts", sqltypes.Timestamp, "dt", sqltypes.Date, "iv", sqltypes.Interval)
	checkDecode(t, "json", lines(
		`{"i":"12","l":" -34 ","f":"1.5","d":"NaN","dec":"1.005","b":"T","s":12.50,"ts":1704164645123,"dt":"2024-01-02","iv":"1 day 00:00:01"}`,
		`{"i":-0,"l":9223372036854775807,"f":1e3,"d":"-Infinity","dec":-1.005,"b":false,"s":true,"ts":"2024-01-02T03:04:05+01:00","dt":null,"iv":1500}`,
		`{"dec":1e2,"d":"-inf","s":{"k":[1,2]},"ts":"2024-01-02 03:04:05.1239","iv":"-00:00:00.5"}`,
		`{"dec":0.004,"s":"\u00e9\ud83d\ude00\ud800x\n\"\\\/","l":""}`,
		"{\"dec\":\"99.994\",\"s\":\"bad \xff utf8\"}",
	), s, DecoderOptions{}, lines(
		`12,-34,1.5,NaN,1.01,true,12.50,2024-01-02 03:04:05.123,2024-01-02,1 day 00:00:01`,
		`0,9223372036854775807,1000,-Infinity,-1.01,false,true,2024-01-02 02:04:05,,00:00:01.500`,
		`,,,-Infinity,100.00,,"{""k"":[1,2]}",2024-01-02 03:04:05.123,,-00:00:00.500`,
		`,,,,0.00,,"é😀`+"\uFFFD"+`x`,
		`""\/",,,`,
		`,,,,99.99,,bad `+"\uFFFD"+` utf8,,,`,
	))
}

func TestJSONBadRecords(t *testing.T) {
	s := schemaOf("price", sqltypes.BigInt, "n", sqltypes.Int, "s", sqltypes.Varchar, "dec", sqltypes.Decimal(4, 1), "ts", sqltypes.Timestamp)
	checkDecode(t, "json", lines(
		`{"price": 1, "s": "first"}`,
		`{"s": "partial", "price": "abc"}`,
		`{"price": 12.5}`,
		`{"price": {"x": 1}}`,
		`{"price": [1]}`,
		`{"n": 3000000000}`,
		`{"price": 99999999999999999999}`,
		`{"dec": 1000}`,
		`{"ts": "yesterday"}`,
		`{"price": true}`,
		`{"price": 2, "s": "second"`,
		`{"price": 2,}`,
		`[1, 2]`,
		`{"price": 01}`,
		`{"s": "unterminated}`,
		`{"s": "bad \q escape"}`,
		`{"price": 3} trailing`,
		`{"x": tru}`,
		`{"x": [1, 2}`,
		`{"price": 4, "s": "last"}`,
	), s, DecoderOptions{File: "bids.jsonl", BatchSize: 2}, lines(
		`1,,first,,`,
		`4,,last,,`,
	),
		`bids.jsonl:2: column "price": "abc" is not a BIGINT`,
		`bids.jsonl:3: column "price": 12.5 is not a BIGINT`,
		`bids.jsonl:4: column "price": an object is not a BIGINT`,
		`bids.jsonl:5: column "price": an array is not a BIGINT`,
		`bids.jsonl:6: column "n": 3000000000 is out of range for INT`,
		`bids.jsonl:7: column "price": 99999999999999999999 is out of range for BIGINT`,
		`bids.jsonl:8: column "dec": 1000 does not fit DECIMAL(4, 1)`,
		`bids.jsonl:9: column "ts": "yesterday" is not a TIMESTAMP(3)`,
		`bids.jsonl:10: column "price": true is not a BIGINT`,
		`bids.jsonl:11: invalid JSON: unexpected end of line`,
		`bids.jsonl:12: invalid JSON: unexpected '}' at byte 13`,
		`bids.jsonl:13: invalid JSON: unexpected '[' at byte 1`,
		`bids.jsonl:14: invalid JSON: unexpected '1' at byte 12`,
		`bids.jsonl:15: invalid JSON: unterminated string at byte 7`,
		`bids.jsonl:16: invalid JSON: invalid escape in string at byte 7`,
		`bids.jsonl:17: invalid JSON: unexpected 't' at byte 14`,
		`bids.jsonl:18: invalid JSON: unexpected 't' at byte 7`,
		`bids.jsonl:19: invalid JSON: unexpected '}' at byte 12`,
	)
}

func TestJSONProjection(t *testing.T) {
	s := schemaOf("a", sqltypes.BigInt, "b", sqltypes.Varchar, "c", sqltypes.Double)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	// b is not projected, so its bad value is never looked at.
	dec, err := NewJSONDecoder(strings.NewReader(lines(`{"a":1,"b":2,"c":1.5}`, `{"c":2.5,"b":{"x":1},"a":2}`)),
		DecoderOptions{Schema: s, Projection: []int{2, 0}, Mem: mem})
	if err != nil {
		t.Fatal(err)
	}
	if f := dec.Schema().Fields(); len(f) != 2 || f[0].Name != "c" || f[1].Name != "a" || f[0].Type != sqltypes.Double {
		t.Fatalf("schema %s", dec.Schema())
	}
	got, _, bad := decodeAll(t, mem, dec)
	defer got.Release()
	if len(bad) > 0 {
		t.Fatal(bad)
	}
	if s := show(t, got); s != lines("c,a", "1.5,1", "2.5,2") {
		t.Fatalf("got\n%s", s)
	}
}

func TestBOM(t *testing.T) {
	s := schemaOf("a", sqltypes.BigInt)
	checkDecode(t, "json", "\xEF\xBB\xBF{\"a\":1}\n", s, DecoderOptions{}, "1\n")
	checkDecode(t, "csv", "\xEF\xBB\xBFa\n1\n", s, DecoderOptions{}, "1\n")
}

func TestCSVHeader(t *testing.T) {
	s := schemaOf("a", sqltypes.BigInt, "B", sqltypes.Varchar, "c", sqltypes.Boolean)
	checkDecode(t, "csv", lines(
		`extra,C,b,a,"B"`,
		`x,true,lower,1,exact`,
		`y,F,,2,`,
		`z,0,,3,""`,
	), s, DecoderOptions{}, lines(
		`1,exact,true`,
		`2,,false`,
		`3,"",false`,
	))
	_, err := NewCSVDecoder(strings.NewReader("a,c\n1,2\n"), DecoderOptions{File: "f.csv", Schema: s})
	var he *HeaderError
	if !errors.As(err, &he) || err.Error() != `column "B" not in header of f.csv (header: a, c)` {
		t.Fatalf("got %v", err)
	}
}

func TestCSVNoHeader(t *testing.T) {
	s := schemaOf("a", sqltypes.BigInt, "b", sqltypes.Varchar, "c", sqltypes.Double)
	checkDecode(t, "csv", lines(
		`1,x,1.5`,
		`2,"multi`,
		`line",2.5`,
		`3,y`,
		`4,"a""b",`,
		``,
		`5,"bad"x,1`,
		`6,ba"d,1`,
		"7,crlf,7\r",
		`8,abc,nope`,
		`9,"",9`,
	), s, DecoderOptions{NoHeader: true, Projection: []int{1, 0}, File: "f.csv"}, lines(
		`x,1`,
		`"multi`,
		`line",2`,
		`"a""b",4`,
		`crlf,7`,
		`abc,8`, // c is not projected: its bad value is never read
		`"",9`,
	),
		`f.csv:4: 2 fields, expected 3`,
		`f.csv:7: unexpected 'x' after a closing quote (field 2)`,
		`f.csv:8: quote in unquoted field 2 (quote the whole field and double the quote)`,
	)
}

func TestCSVDelimiterAndEOF(t *testing.T) {
	s := schemaOf("a", sqltypes.BigInt, "b", sqltypes.Varchar)
	checkDecode(t, "csv", "a;b\r\n1;\"x;y\"\r\n2;z", s, DecoderOptions{Delimiter: ';'}, lines(`1,x;y`, `2,z`))
	checkDecode(t, "csv", "a,b\n1,\"unterminated\n2,z\n", s, DecoderOptions{File: "u.csv"}, "",
		`u.csv:2: unterminated quoted field`)
	checkDecode(t, "csv", "", s, DecoderOptions{}, "")
	checkDecode(t, "csv", "a,b\n", s, DecoderOptions{}, "")
	checkDecode(t, "csv", "a,b", s, DecoderOptions{}, "")
	checkDecode(t, "csv", "\n\n", s, DecoderOptions{NoHeader: true}, "")
	checkDecode(t, "json", "", s, DecoderOptions{}, "")
	checkDecode(t, "json", "\n \n", s, DecoderOptions{}, "")
	checkDecode(t, "csv", "a,b\n1,x\n\"2\",\"y\"", s, DecoderOptions{}, lines(`1,x`, `2,y`))
}

func TestAtEnd(t *testing.T) {
	for _, tc := range []struct {
		format, input string
		batches       []bool // AtEnd after each batch
	}{
		{"json", "{\"a\":1}\n{\"a\":2}\n", []bool{false, true}},
		{"json", "{\"a\":1}\n{\"a\":2}\n\n  \n", []bool{false, true}},
		{"csv", "a\n1\n2", []bool{false, true}},
		{"csv", "a\n1\n2\n\n", []bool{false, false}}, // one column: a blank line is a NULL row
		{"csv", "a,b\n1,\n2,\r\n\r\n\n", []bool{false, true}},
		{"csv", "a,b\n1,\n2,\n  \n", []bool{false, false}}, // "  " is a bad record
		{"csv", "a,b\n1,\n2,\n\r\r\n", []bool{false, false}},
	} {
		s := schemaOf("a", sqltypes.BigInt)
		if strings.HasPrefix(tc.input, "a,b") {
			s = schemaOf("a", sqltypes.BigInt, "b", sqltypes.Varchar)
		}
		dec, err := NewDecoder(tc.format, strings.NewReader(tc.input), DecoderOptions{Schema: s, BatchSize: 1})
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range tc.batches {
			rec, err := dec.Next()
			if err != nil {
				t.Fatalf("%q batch %d: %v", tc.input, i, err)
			}
			rec.Release()
			if end, err := dec.AtEnd(); err != nil || end != want {
				t.Errorf("%q: AtEnd after batch %d = %v, %v; want %v", tc.input, i, end, err, want)
			}
		}
	}
}

func TestParseDecimal(t *testing.T) {
	for _, tc := range []struct {
		in       string
		prec, sc int32
		want     string
		ok, fits bool
	}{
		{"12.5", 10, 2, "12.50", true, true},
		{"-12.345", 10, 2, "-12.35", true, true},
		{"12.344", 10, 2, "12.34", true, true},
		{".5", 10, 0, "1", true, true},
		{"5.", 10, 0, "5", true, true},
		{"1.5e-1", 10, 2, "0.15", true, true},
		{"1E+3", 10, 2, "1000.00", true, true},
		{"0e999999", 10, 2, "0.00", true, true},
		{"1e999999", 10, 2, "", true, false},
		{"1e-999999", 10, 2, "0.00", true, true},
		{"123456789012345678901234567890.123", 38, 3, "123456789012345678901234567890.123", true, true},
		{"99999999999999999999999999999999999999", 38, 0, "99999999999999999999999999999999999999", true, true},
		{"999999999999999999999999999999999999999", 38, 0, "", true, false},
		{"999.995", 5, 2, "", true, false},
		{"", 10, 2, "", false, false},
		{".", 10, 2, "", false, false},
		{"1e", 10, 2, "", false, false},
		{"1.2.3", 10, 2, "", false, false},
		{"+7", 10, 2, "7.00", true, true},
	} {
		n, ok, fits := parseDecimal([]byte(tc.in), tc.prec, tc.sc)
		if ok != tc.ok || fits != tc.fits {
			t.Errorf("%q: ok %v fits %v, want %v %v", tc.in, ok, fits, tc.ok, tc.fits)
			continue
		}
		if ok && fits {
			if got := string(appendDecimal(nil, n, tc.sc)); got != tc.want {
				t.Errorf("%q: got %s, want %s", tc.in, got, tc.want)
			}
			if got := n.ToString(tc.sc); got != tc.want {
				t.Errorf("%q: ToString %s, want %s", tc.in, got, tc.want)
			}
		}
	}
}

func TestParseInterval(t *testing.T) {
	for _, ms := range []int64{0, 1, -1, 999, 1000, 86_399_999, 86_400_000, -86_400_001, 2 * 86_400_000, 123456789012} {
		text := sqltypes.AppendInterval(nil, ms)
		got, ok := sqltypes.ParseInterval(string(text))
		if !ok || got != ms {
			t.Errorf("%s: got %d %v, want %d", text, got, ok, ms)
		}
	}
	for _, bad := range []string{"", "1:2", "01:60:00", "1 days", "x", "00:00:00.", "1 day 00:00"} {
		if _, ok := sqltypes.ParseInterval(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

// TestScanString compares the word-at-a-time scan with a byte loop.
func TestScanString(t *testing.T) {
	naive := func(b []byte, i int) (int, bool, bool) {
		esc, ascii := false, true
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				return i, esc, ascii
			case '\\':
				esc = true
				if i+1 < len(b) && b[i+1] >= 0x80 {
					ascii = false
				}
				i++
				continue
			}
			if b[i] >= 0x80 {
				ascii = false
			}
		}
		return -1, esc, false
	}
	alphabet := []byte{'a', '"', '\\', 0xC3, 0xA9, ' ', 0}
	seed := uint64(1)
	for n := 0; n < 20000; n++ {
		size := n % 40
		b := make([]byte, size)
		for i := range b {
			seed = seed*6364136223846793005 + 1442695040888963407
			b[i] = alphabet[(seed>>33)%uint64(len(alphabet))]
		}
		for start := 0; start <= size && start < 3; start++ {
			e1, s1, a1 := scanString(b, start)
			e2, s2, a2 := naive(b, start)
			if e1 != e2 || (e1 >= 0 && (s1 != s2 || a1 != a2)) {
				t.Fatalf("%q from %d: got %d %v %v, want %d %v %v", b, start, e1, s1, a1, e2, s2, a2)
			}
		}
	}
}

// TestTimestampMemo checks that the memo of the last second agrees with
// sqltypes.ParseTimestamp, value after value.
func TestTimestampMemo(t *testing.T) {
	inputs := []string{
		"2024-01-02 03:04:05", "2024-01-02 03:04:05.1", "2024-01-02 03:04:05.12", "2024-01-02 03:04:05.123",
		"2024-01-02 03:04:05.1239", "2024-01-02 03:04:05.", "2024-01-02 03:04:05.x", "2024-01-02 03:04:05.1Z",
		"2024-01-02T03:04:05.5", "2024-01-02 03:04:05Z", "2024-01-02T03:04:05.5+01:00", "2024-01-02 03:04:05.5",
		"2016-12-31 23:59:60.5", "2016-12-31 23:59:60", "2023-02-30 00:00:00.5", "2023-02-30 00:00:00",
		"2024-01-02 03:04:06.001", "1969-12-31 23:59:59.999", "1969-12-31 23:59:59", "0001-01-01 00:00:00.5",
		"1234567890123456789", "1234567890123456789.5", "2024-01-02 24:00:00.5", " 2024-01-02 03:04:05.5",
		"2024-01-02 03:04:05.5 ", "1704067200000",
	}
	c := &column{name: "ts", typ: sqltypes.Timestamp, kind: kTimestamp}
	for round := 0; round < 2; round++ {
		for _, s := range inputs {
			got, ok := c.parseTimestamp([]byte(s))
			want, err := sqltypes.ParseTimestamp(s)
			if ok != (err == nil) || (ok && got != want) {
				t.Errorf("%q: got %d %v, want %d %v", s, got, ok, want, err)
			}
		}
	}
}

// TestEmptyProjection counts rows without decoding any column, as for
// SELECT COUNT(*).
func TestEmptyProjection(t *testing.T) {
	s := schemaOf("a", sqltypes.BigInt, "b", sqltypes.Varchar)
	for format, input := range map[string]string{
		"json": lines(`{"a":1}`, `{"a":"bad"}`, ``, `{}`),
		"csv":  lines(`a,b`, `1,x`, `bad,y`, ``, `,`),
	} {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		dec, err := NewDecoder(format, strings.NewReader(input), DecoderOptions{Schema: s, Projection: []int{}, Mem: mem})
		if err != nil {
			t.Fatal(err)
		}
		rec, err := dec.Next()
		if err != nil || rec.NumRows() != 3 || rec.NumCols() != 0 {
			t.Fatalf("%s: %v %v", format, rec, err)
		}
		rec.Release()
		mem.AssertSize(t, 0)
	}
}
