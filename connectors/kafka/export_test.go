package kafka

import "testing"

// ProduceNexmarkBids is produceBids for the tests of package kafka_test.
func ProduceNexmarkBids(tb testing.TB, addr, topic string, partitions int32, n int64) (int64, int64) {
	return produceBids(tb, addr, topic, partitions, n)
}

// CPUTime is the process's user and system CPU time.
var CPUTime = cpuTime
