package engine_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weirsql/weir/exec/expr"
	"github.com/weirsql/weir/internal/slt"
)

// functionsDoc renders docs/functions.md from the function registry.
func functionsDoc() string {
	var b strings.Builder
	b.WriteString("# Weir scalar functions\n\n")
	b.WriteString("Generated from the function registry by `WEIR_UPDATE=1 go test ./engine/`; do not edit.\n")
	b.WriteString("`SHOW FUNCTIONS` prints the same list. NULL arguments give NULL unless a function says otherwise.\n\n")
	b.WriteString("| function | description |\n| --- | --- |\n")
	for _, f := range expr.Funcs() {
		doc := strings.ReplaceAll(f.Doc, "|", "\\|")
		b.WriteString("| `" + f.Name + "` | " + doc + " |\n")
	}
	return b.String()
}

func TestFunctionsDocInSync(t *testing.T) {
	path := filepath.Join("..", "docs", "functions.md")
	want := functionsDoc()
	if os.Getenv("WEIR_UPDATE") == "1" {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (generate it with WEIR_UPDATE=1 go test ./engine/)", err)
	}
	if string(got) != want {
		t.Errorf("docs/functions.md is out of date; regenerate with WEIR_UPDATE=1 go test ./engine/\n%s", slt.Diff(string(got), want))
	}
}
