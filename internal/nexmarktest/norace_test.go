//go:build !race

package nexmarktest

// raceEnabled is set when the race detector is on.
const raceEnabled = false
