package expr

import "testing"

func TestRequiredLiteral(t *testing.T) {
	cases := map[string]string{
		`(&|^)channel_id=([^&]*)`: "channel_id=",
		`abc`:                     "abc",
		`a+b`:                     "b",
		`(?i)channel`:             "",
		`x|y`:                     "",
		`[0-9]+`:                  "",
		`foo.*barbaz`:             "barbaz",
		`(`:                       "",
	}
	for pat, want := range cases {
		if got := requiredLiteral(pat); got != want {
			t.Errorf("requiredLiteral(%q) = %q, want %q", pat, got, want)
		}
	}
}
