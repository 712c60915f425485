package format

import (
	"encoding/binary"
	"math/bits"
)

// Scanning eight bytes at a time ("SIMD within a register").

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// zeroBytes has the high bit set in the lowest zero byte of x (and maybe
// in higher bytes, after a borrow): enough to find the first one.
func zeroBytes(x uint64) uint64 { return (x - lsb) &^ x & msb }

// exactZero has the high bit set in exactly the zero bytes of x.
func exactZero(x uint64) uint64 {
	const lo7 = 0x7f7f7f7f7f7f7f7f
	y := (x & lo7) + lo7
	return ^(y | x | lo7)
}

// load8 reads b[i:i+8] as a little-endian word.
func load8(b []byte, i int) uint64 { return binary.LittleEndian.Uint64(b[i : i+8]) }

// firstByte is the index within a word of the first byte flagged in m.
func firstByte(m uint64) int { return bits.TrailingZeros64(m) >> 3 }

// scanString finds the closing quote of a JSON string whose contents start
// at b[i]; end is -1 when there is none. esc says the contents hold
// backslashes, ascii that they are all ASCII.
func scanString(b []byte, i int) (end int, esc, ascii bool) {
	var high uint64
	for {
		for i+8 <= len(b) {
			x := load8(b, i)
			m := zeroBytes(x^(lsb*'"')) | zeroBytes(x^(lsb*'\\'))
			if m != 0 {
				k := firstByte(m)
				high |= x & (1<<(8*k) - 1) // the bytes before the match
				i += k
				goto found
			}
			high |= x
			i += 8
		}
		for ; i < len(b); i++ {
			c := b[i]
			if c == '"' || c == '\\' {
				goto found
			}
			high |= uint64(c)
		}
		return -1, esc, false
	found:
		if b[i] == '"' {
			return i, esc, high&msb == 0
		}
		esc = true
		if i+1 < len(b) {
			high |= uint64(b[i+1])
		}
		i += 2
	}
}
