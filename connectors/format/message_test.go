package format

import (
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/sqltypes"
)

var msgSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: sqltypes.BigInt, Nullable: true},
	{Name: "name", Type: sqltypes.Varchar, Nullable: true},
	{Name: "ts", Type: sqltypes.Timestamp, Nullable: true},
}, nil)

func TestMessageDecoder(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	for _, tc := range []struct {
		format string
		msgs   []string // "!" prefix: expect this error text
		want   string   // CSV of the rows
	}{
		{"json", []string{
			`{"id":1,"name":"a","ts":"2024-01-01 00:00:00"}`,
			"{\n  \"id\": 2,\n  \"ts\": 1000\n}\n", // spread over lines
			`!{"id":"x"}`, `!{"id":3`, "!  ",
			"\xEF\xBB\xBF{\"name\":\"bom\"}",
		}, lines("id,name,ts", "1,a,2024-01-01 00:00:00", "2,,1970-01-01 00:00:01", ",bom,")},
		{"csv", []string{
			"1,a,2024-01-01 00:00:00", "2,\"x,\ny\",\r\n",
			"!1,a", "!1,a,b,c", "!1,a,t\n2,b,t", "!1,\"a,",
		}, lines("id,name,ts", "1,a,2024-01-01 00:00:00", "2,\"x,\ny\",")},
	} {
		d, err := NewMessageDecoder(tc.format, DecoderOptions{Schema: msgSchema, Mem: mem})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range tc.msgs {
			bad := d.Append([]byte(strings.TrimPrefix(m, "!")))
			if (bad != nil) != strings.HasPrefix(m, "!") {
				t.Errorf("%s %q: error %v", tc.format, m, bad)
			}
			if bad != nil && bad.Msg == "" {
				t.Errorf("%s %q: error without a message", tc.format, m)
			}
		}
		if bad := d.Append(nil); bad == nil || !strings.Contains(bad.Msg, "tombstone") {
			t.Errorf("%s: nil message: %v", tc.format, bad)
		}
		rec := d.Flush()
		if got := show(t, rec); got != tc.want {
			t.Errorf("%s:\n%s\nwant\n%s", tc.format, got, tc.want)
		}
		rec.Release()
	}

	// A bad CSV value names its column; DropLast keeps two decoders aligned.
	d, err := NewMessageDecoder("csv", DecoderOptions{Schema: msgSchema, Mem: mem, Projection: []int{2, 0}})
	if err != nil {
		t.Fatal(err)
	}
	if bad := d.Append([]byte("x,a,1")); bad == nil || bad.Column != "id" {
		t.Errorf("bad id: %v", bad)
	}
	d.Append([]byte("1,a,1000"))
	d.Append([]byte("2,b,2000"))
	d.DropLast()
	rec := d.Flush()
	if got, want := show(t, rec), lines("ts,id", "1970-01-01 00:00:01,1"); got != want {
		t.Errorf("projected:\n%s\nwant\n%s", got, want)
	}
	rec.Release()

	// 'raw': the message is the one VARCHAR column; nil is NULL.
	raw := arrow.NewSchema([]arrow.Field{{Name: "line", Type: sqltypes.Varchar, Nullable: true}}, nil)
	d, err = NewMessageDecoder("raw", DecoderOptions{Schema: raw, Mem: mem})
	if err != nil {
		t.Fatal(err)
	}
	d.Append([]byte("a,\"b\"\n"))
	d.Append(nil)
	rec = d.Flush()
	if got, want := show(t, rec), lines("line", `"a,""b""`, `"`, ""); got != want {
		t.Errorf("raw:\n%q\nwant\n%q", got, want)
	}
	rec.Release()
	if _, err := NewMessageDecoder("raw", DecoderOptions{Schema: msgSchema}); err == nil || !strings.Contains(err.Error(), "one VARCHAR column") {
		t.Errorf("raw with three columns: %v", err)
	}
}

func TestMessageEncoder(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := buildRecord(t, mem, msgSchema, [][]any{
		{int64(1), "a\"b", int64(1500)},
		{nil, "x,y\nz", nil},
	})
	defer rec.Release()
	for _, tc := range []struct {
		format string
		want   []string
	}{
		{"json", []string{`{"id":1,"name":"a\"b","ts":"1970-01-01 00:00:01.500"}`, `{"id":null,"name":"x,y\nz","ts":null}`}},
		{"csv", []string{`1,"a""b",1970-01-01 00:00:01.500`, "," + `"x,y` + "\n" + `z",`}},
	} {
		e, err := NewMessageEncoder(tc.format, msgSchema, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Encode(rec); err != nil {
			t.Fatal(err)
		}
		for i, want := range tc.want {
			if got := string(e.Row(i)); got != want {
				t.Errorf("%s row %d: %q, want %q", tc.format, i, got, want)
			}
		}
		// The rows of an Encode stay valid after the next one.
		first := e.Row(0)
		if err := e.Encode(rec); err != nil {
			t.Fatal(err)
		}
		if string(first) != tc.want[0] {
			t.Errorf("%s: a row changed under the next Encode", tc.format)
		}
	}
	names := buildRecord(t, mem, arrow.NewSchema([]arrow.Field{{Name: "n", Type: sqltypes.Varchar, Nullable: true}}, nil), [][]any{{"v1"}, {nil}})
	defer names.Release()
	e, err := NewMessageEncoder("raw", names.Schema(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Encode(names); err != nil {
		t.Fatal(err)
	}
	if string(e.Row(0)) != "v1" || e.Row(1) != nil {
		t.Errorf("raw rows %q %q", e.Row(0), e.Row(1))
	}
	if _, err := NewMessageEncoder("raw", msgSchema, 0); err == nil {
		t.Error("raw over three columns: no error")
	}
}
