package main

import (
	"context"
	"fmt"

	"github.com/weirsql/weir/internal/slt"
)

func cmdTest(ctx context.Context, args []string, env *cliEnv) int {
	fs := newFlags("test", "[PATH...]", env)
	update := fs.Bool("update", false, "rewrite the expected output of every record with the actual output")
	pos, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	if len(pos) == 0 {
		pos = []string{"testdata/queries"}
	}
	files, err := slt.Files(pos)
	if err != nil {
		fmt.Fprintf(env.stderr, "weir test: %v\n", err)
		return exitUsage
	}
	if len(files) == 0 {
		fmt.Fprintf(env.stderr, "weir test: no .slt files under %v\n", pos)
		return exitUsage
	}
	passed, failed := 0, 0
	for _, f := range files {
		failures, err := slt.RunFile(ctx, f, *update, nil)
		if err != nil {
			fmt.Fprintf(env.stderr, "FAIL %s\n  %v\n", f, err)
			failed++
			continue
		}
		if len(failures) == 0 {
			if *update {
				fmt.Fprintf(env.stdout, "updated %s\n", f)
			} else {
				fmt.Fprintf(env.stdout, "ok   %s\n", f)
			}
			passed++
			continue
		}
		failed++
		fmt.Fprintf(env.stdout, "FAIL %s\n", f)
		for _, fl := range failures {
			fmt.Fprintf(env.stdout, "%s\n", fl.Error())
		}
	}
	fmt.Fprintf(env.stdout, "%d passed, %d failed\n", passed, failed)
	if failed > 0 {
		return exitFailure
	}
	return exitOK
}
