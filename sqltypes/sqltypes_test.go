package sqltypes

import (
	"testing"
)

func TestTimestampRoundTrip(t *testing.T) {
	cases := []struct {
		in   string
		want string
	}{
		{"2024-01-01 00:00:00", "2024-01-01 00:00:00"},
		{"2024-01-01T10:20:30.5", "2024-01-01 10:20:30.500"},
		{"2024-01-01 10:20:30.123456", "2024-01-01 10:20:30.123"},
		{"2024-01-01T10:20:30Z", "2024-01-01 10:20:30"},
		{"2024-01-01T12:20:30+02:00", "2024-01-01 10:20:30"},
		{"2024-02-29", "2024-02-29 00:00:00"},
		{"1704067200001", "2024-01-01 00:00:00.001"},
		{"-1", "1969-12-31 23:59:59.999"},
	}
	for _, c := range cases {
		ms, err := ParseTimestamp(c.in)
		if err != nil {
			t.Errorf("ParseTimestamp(%q): %v", c.in, err)
			continue
		}
		if got := FormatTimestamp(ms); got != c.want {
			t.Errorf("ParseTimestamp(%q) = %s, want %s", c.in, got, c.want)
		}
	}
	for _, bad := range []string{"", "yesterday", "2023-02-30", "2024-13-01", "2024-01-01 25:00:00", "2024-01-01 10:00:00.", "2024-01-01x"} {
		if _, err := ParseTimestamp(bad); err == nil {
			t.Errorf("ParseTimestamp(%q) succeeded, want error", bad)
		}
	}
}

func TestAppendFloat(t *testing.T) {
	cases := map[float64]string{
		0: "0", 1.5: "1.5", 100: "100", 1234567: "1234567", 0.1: "0.1",
		1e21: "1e+21", 1e-7: "1e-07", -2.25: "-2.25",
	}
	for f, want := range cases {
		if got := string(AppendFloat(nil, f, 64)); got != want {
			t.Errorf("AppendFloat(%v) = %s, want %s", f, got, want)
		}
	}
	if got := string(AppendFloat(nil, float64(float32(0.1)), 32)); got != "0.1" {
		t.Errorf("float32 0.1 = %s", got)
	}
}

func TestIntervalAndDate(t *testing.T) {
	if got := string(AppendInterval(nil, 10_000)); got != "00:00:10" {
		t.Errorf("10s = %s", got)
	}
	if got := string(AppendInterval(nil, -(2*86_400_000 + 3_723_004))); got != "-2 days 01:02:03.004" {
		t.Errorf("interval = %s", got)
	}
	d, err := ParseDate("2024-03-01")
	if err != nil {
		t.Fatal(err)
	}
	if got := string(AppendDate(nil, d)); got != "2024-03-01" {
		t.Errorf("date = %s", got)
	}
}

func TestParseIntervalRoundTrip(t *testing.T) {
	for _, ms := range []int64{0, 999, 10_000, 86_400_000, -(2*86_400_000 + 3_723_004), 90 * 86_400_000} {
		text := string(AppendInterval(nil, ms))
		got, ok := ParseInterval(text)
		if !ok || got != ms {
			t.Errorf("ParseInterval(%q) = %d, %v; want %d", text, got, ok, ms)
		}
	}
	if got, ok := ParseInterval("1500"); !ok || got != 1500 {
		t.Errorf("ParseInterval(1500) = %d, %v", got, ok)
	}
	for _, bad := range []string{"", "-", "1 day", "00:61:00", "1:2", "x", "1 days 00:00:00x"} {
		if _, ok := ParseInterval(bad); ok {
			t.Errorf("ParseInterval(%q) succeeded", bad)
		}
	}
}

func TestParseTimestampDoesNotAllocate(t *testing.T) {
	n := testing.AllocsPerRun(100, func() {
		if _, err := ParseTimestamp("2024-01-01 10:20:30.123"); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Errorf("ParseTimestamp allocates %.0f times per call", n)
	}
}
