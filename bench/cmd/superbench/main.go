// Command superbench runs super's side-by-side benchmark against
// Supervisor 4.2 and prints the table; `make bench` runs it.
//
//	superbench [-mode full|quick] [-cases spawn,rpc,...] [-bin DIR] [-json FILE]
//
// BENCH=quick and BENCH_CASES=... set the defaults of -mode and -cases.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"super/bench"
)

func main() {
	mode := flag.String("mode", envOr("BENCH", "full"), "full, or quick for a smoke run")
	cases := flag.String("cases", os.Getenv("BENCH_CASES"), "comma-separated case families ("+strings.Join(bench.Cases, ",")+"); empty: all")
	binDir := flag.String("bin", "bin", "directory holding super's supervisord and supervisorctl")
	jsonPath := flag.String("json", "", "where to write the raw numbers (default: BIN/bench.json)")
	budget := flag.Duration("budget", 12*time.Minute, "bound on the whole run (the scale family, last, is what a shorter one loses first)")
	keep := flag.Bool("keep", false, "keep the work dir (configs, daemon logs)")
	noOracle := flag.Bool("no-oracle", false, "measure super only")
	report := flag.String("report", "", "print the table and targets of an earlier run's JSON instead of running")
	flag.Parse()

	if *report != "" {
		rep, err := bench.ReadReport(*report)
		if err != nil {
			fmt.Fprintln(os.Stderr, "superbench:", err)
			os.Exit(1)
		}
		rep.WriteTable(os.Stdout)
		return
	}

	opts := bench.Options{
		Mode:        *mode,
		Ours:        bench.OursImpl(*binDir),
		Oracle:      bench.OracleImpl(),
		Budget:      *budget,
		KeepWorkDir: *keep,
		Progress:    os.Stderr,
	}
	if *noOracle {
		opts.Oracle.Unavailable = "skipped: -no-oracle"
	}
	if *cases != "" {
		opts.Cases = strings.Split(*cases, ",")
	}
	if *jsonPath == "" {
		*jsonPath = filepath.Join(*binDir, "bench.json")
	}
	// ^C or SIGTERM cancels the run; Run still stops every daemon and
	// sweeps every process it started before returning.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := bench.Run(ctx, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "superbench:", err)
		os.Exit(2)
	}
	fmt.Println()
	rep.WriteTable(os.Stdout)
	if err := rep.WriteJSON(*jsonPath); err != nil {
		fmt.Fprintln(os.Stderr, "superbench:", err)
		os.Exit(1)
	}
	fmt.Println("raw numbers:", *jsonPath)
	if ctx.Err() != nil {
		os.Exit(130)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
