package all

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weirsql/weir/connectors"
)

// TestReference checks that docs/connectors.md is what connectors.Reference
// renders. WEIR_UPDATE=1 go test ./connectors/... rewrites it.
func TestReference(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "connectors.md")
	want := connectors.Reference()
	if os.Getenv("WEIR_UPDATE") != "" {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run WEIR_UPDATE=1 go test ./connectors/... to create it)", err)
	}
	if string(got) != want {
		t.Errorf("%s is out of date; run WEIR_UPDATE=1 go test ./connectors/...\n%s", path, diff(string(got), want))
	}
}

func TestRegistered(t *testing.T) {
	for _, name := range []string{"file", "stdout", "print", "blackhole"} {
		if _, err := connectors.Lookup(name); err != nil {
			t.Error(err)
		}
	}
}

// diff shows the first lines that differ.
func diff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return "line " + itoa(i+1) + ":\n- " + gl + "\n+ " + wl
		}
	}
	return ""
}

func itoa(i int) string {
	s := ""
	for ; i > 0; i /= 10 {
		s = string(rune('0'+i%10)) + s
	}
	return s
}
