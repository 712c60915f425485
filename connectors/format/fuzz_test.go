package format

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
	"testing/iotest"

	"github.com/apache/arrow/go/v17/arrow/memory"
)

// fuzzResult is what decoding an input yields, for comparing two runs.
type fuzzResult struct {
	rows int
	bad  []string
	text string
}

// fuzzDecode decodes all of input, skipping bad records, and checks the
// invariants every input must keep: no panic, no error but a RecordError
// whose line lies inside the input, every record released.
func fuzzDecode(t *testing.T, format string, input []byte, oneByte bool, opts DecoderOptions) fuzzResult {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	opts.Mem, opts.Schema = mem, allTypes()
	var r io.Reader = bytes.NewReader(input)
	if oneByte {
		r = iotest.OneByteReader(r)
	}
	dec, err := NewDecoder(format, r, opts)
	if err != nil {
		var he *HeaderError
		var re *RecordError
		if errors.As(err, &he) || errors.As(err, &re) {
			return fuzzResult{bad: []string{err.Error()}}
		}
		t.Fatalf("new decoder: %v", err)
	}
	maxLine := int64(bytes.Count(input, []byte{'\n'}) + 1)
	var res fuzzResult
	var text bytes.Buffer
	enc := NewCSVEncoder(&text, dec.Schema(), EncoderOptions{NoHeader: true})
	for {
		rec, err := dec.Next()
		if err == io.EOF {
			break
		}
		var re *RecordError
		if errors.As(err, &re) {
			if re.Line < 1 || re.Line > maxLine {
				t.Fatalf("error line %d outside 1..%d: %v", re.Line, maxLine, re)
			}
			res.bad = append(res.bad, re.Error())
			continue
		}
		if err != nil {
			t.Fatalf("unexpected error %T: %v", err, err)
		}
		if rec.NumRows() == 0 || rec.NumRows() > int64(opts.BatchSize) {
			t.Fatalf("batch of %d rows", rec.NumRows())
		}
		if err := enc.Write(rec, nil); err != nil {
			t.Fatal(err)
		}
		res.rows += int(rec.NumRows())
		rec.Release()
		end, err := dec.AtEnd()
		if err != nil {
			t.Fatal(err)
		}
		if end {
			if rec, err := dec.Next(); err != io.EOF {
				t.Fatalf("AtEnd, then Next returned %v, %v", rec, err)
			}
			break
		}
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	res.text = text.String()
	if got := dec.Rows(); got != int64(res.rows) {
		t.Fatalf("Rows() = %d, decoded %d", got, res.rows)
	}
	return res
}

func sameResult(t *testing.T, what string, a, b fuzzResult) {
	if a.rows != b.rows || a.text != b.text || fmt.Sprint(a.bad) != fmt.Sprint(b.bad) {
		t.Fatalf("%s differ:\n%d rows %v\n%s\n---\n%d rows %v\n%s", what, a.rows, a.bad, a.text, b.rows, b.bad, b.text)
	}
}

// jsonRecords counts the non-blank lines of input.
func jsonRecords(input []byte) int {
	n := 0
	for i, line := range bytes.Split(input, []byte{'\n'}) {
		if i == 0 {
			line = bytes.TrimPrefix(line, []byte("\xEF\xBB\xBF"))
		}
		if len(bytes.Trim(line, " \t\r")) > 0 {
			n++
		}
	}
	return n
}

func FuzzJSONDecode(f *testing.F) {
	for _, s := range []string{
		`{"b":true,"i":1,"l":2,"f":1.5,"d":2.5,"dec":"1.25","s":"x","ts":"2024-01-02 03:04:05","dt":"2024-01-02","iv":"00:00:01"}`,
		"{\"l\":1}\n\n{\"l\":\"x\"}\n{\"s\":\"\\ud83d\\ude00\"}\r\n",
		`{"s":{"a":[1,{"b":"}"}]},"L":3,"l":4}`,
		`{"dec":1e40}` + "\n" + `{"ts":1704164645123}`,
		"\xEF\xBB\xBF{}\n[]\n{\"i\":99999999999}\nnull\n",
		`{"x":"\u12"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		opts := DecoderOptions{File: "f.jsonl", BatchSize: 3}
		all := fuzzDecode(t, "json", input, false, opts)
		sameResult(t, "at once and byte by byte", all, fuzzDecode(t, "json", input, true, opts))
		if want := jsonRecords(input); all.rows+len(all.bad) != want {
			t.Fatalf("%d rows + %d bad records, want %d records", all.rows, len(all.bad), want)
		}
		opts.Projection = []int{6, 2}
		proj := fuzzDecode(t, "json", input, false, opts)
		if proj.rows+len(proj.bad) != all.rows+len(all.bad) || proj.rows < all.rows {
			t.Fatalf("projection: %d rows + %d bad, all columns: %d + %d", proj.rows, len(proj.bad), all.rows, len(all.bad))
		}
	})
}

// csvRecords counts the records of input the way RFC 4180 splits them,
// one character at a time, leaving out blank lines.
func csvRecords(b []byte, delim byte) int {
	b = bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF"))
	n := 0
	i := 0
	for i < len(b) {
		fields, blank := 0, false
	record:
		for {
			fields++
			if b[min(i, len(b)-1)] == '"' && i < len(b) {
				i++
				for i < len(b) {
					if b[i] == '"' {
						if i+1 < len(b) && b[i+1] == '"' {
							i += 2
							continue
						}
						break
					}
					i++
				}
				if i >= len(b) {
					break record // unterminated
				}
				i++ // closing quote
				switch {
				case i >= len(b):
					break record
				case b[i] == delim:
					i++
					continue
				case b[i] == '\n':
					i++
					break record
				case b[i] == '\r' && i+1 < len(b) && b[i+1] == '\n':
					i += 2
					break record
				case b[i] == '\r' && i+1 == len(b):
					i++
					break record
				}
				for i < len(b) && b[i] != '\n' {
					i++
				}
				i++
				break record
			}
			start := i
			for i < len(b) && b[i] != delim && b[i] != '\n' {
				i++
			}
			if i >= len(b) || b[i] == '\n' {
				blank = fields == 1 && (i == start || (i == start+1 && b[start] == '\r'))
				i++
				break record
			}
			i++ // delimiter
			if i == len(b) {
				break record // "a," at the end: one more empty field
			}
		}
		if !blank {
			n++
		}
	}
	return n
}

func FuzzCSVDecode(f *testing.F) {
	for _, s := range []string{
		"true,1,2,1.5,2.5,1.25,x,2024-01-02 03:04:05,2024-01-02,00:00:01\n",
		",,,,,,,,,\n\n\"\",\"\",,,,,\"a\"\"b\",,,\r\n",
		"1,2\n\"multi\nline\",3,4\n",
		"\"unterminated\n,,,",
		"a\"b,c\n\"x\"y,z\n",
		"\xEF\xBB\xBFt,1,1,1,1,1,s,0,2024-01-01,1\r",
		"x,x,x,x,x,x,x,x,x,x\n,",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, input []byte, semicolon bool) {
		opts := DecoderOptions{File: "f.csv", BatchSize: 3, NoHeader: true}
		if semicolon {
			opts.Delimiter = ';'
		}
		all := fuzzDecode(t, "csv", input, false, opts)
		sameResult(t, "at once and byte by byte", all, fuzzDecode(t, "csv", input, true, opts))
		delim := byte(',')
		if semicolon {
			delim = ';'
		}
		if want := csvRecords(input, delim); all.rows+len(all.bad) != want {
			t.Fatalf("%d rows + %d bad records, want %d records", all.rows, len(all.bad), want)
		}
		opts.Projection = []int{6, 2}
		proj := fuzzDecode(t, "csv", input, false, opts)
		if proj.rows+len(proj.bad) != all.rows+len(all.bad) || proj.rows < all.rows {
			t.Fatalf("projection: %d rows + %d bad, all columns: %d + %d", proj.rows, len(proj.bad), all.rows, len(all.bad))
		}
		// With a header: only the invariants.
		opts.NoHeader, opts.Projection = false, nil
		fuzzDecode(t, "csv", input, false, opts)
	})
}
