// Package format holds the text codecs shared by the file connector and the
// stdout sink: CSV and JSON-lines decoders that fill Arrow batches, and CSV,
// JSON-lines and table encoders that print them.
//
// Every text form of a TIMESTAMP, DATE, INTERVAL or floating-point value
// comes from package sqltypes, so a value prints the same way in every
// format and reads back as the same value.
//
// Decoding. A Decoder reads one input (a file) into records of the projected
// columns of a declared schema:
//
//	dec, err := format.NewDecoder("json", f, format.DecoderOptions{
//		File: "bids.jsonl", Schema: schema, Projection: []int{0, 2},
//		BatchSize: 1024, Mem: mem,
//	})
//	for {
//		rec, err := dec.Next()
//		var bad *format.RecordError
//		if errors.As(err, &bad) {
//			continue // or stop: bids.jsonl:17: column "price": "abc" is not a BIGINT
//		}
//		if err == io.EOF {
//			break
//		}
//		...
//		rec.Release()
//	}
//
// A bad record leaves nothing behind in the batch being built, so a caller
// that skips it just calls Next again.
//
// Encoding. An Encoder prints batches as CSV (a header line, RFC 4180
// quoting, NULL as an empty field and an empty string as ""), JSON lines
// (one object per row, keys in column order) or a psql-like table. For an
// updating stream each row starts with its changelog op (+I, -U, +U, -D).
package format
