package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
)

// profileEnv names a directory: when set, every child process writes a
// CPU profile and, on exit, an allocation profile there, named after its
// role, system and workload.
const profileEnv = "BENCH_PROFILE"

// startProfile begins a CPU profile if profileEnv asks for one; the
// function it returns ends it and writes the allocation profile.
func startProfile(parts ...string) (stop func(), err error) {
	dir := os.Getenv(profileEnv)
	if dir == "" {
		return func() {}, nil
	}
	base := filepath.Join(dir, strings.ReplaceAll(strings.Join(parts, "-"), "/", ""))
	f, err := os.Create(base + ".cpu.pprof")
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
		runtime.GC()
		if af, err := os.Create(base + ".alloc.pprof"); err == nil {
			pprof.Lookup("allocs").WriteTo(af, 0)
			af.Close()
		} else {
			fmt.Fprintln(os.Stderr, "bench: allocation profile:", err)
		}
	}, nil
}
