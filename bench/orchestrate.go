package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// The default output files, in the working directory (bench/ when run
// through make): the repository's .gitignore lists both, so a run leaves
// the tree clean.
const (
	resultsFile = "bench-results.jsonl"
	scaleFile   = "bench-scale.jsonl"
)

// run is the main job: every workload, every system, round after round.
func run(args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	sz := fullSizes
	quick := os.Getenv("QUICK") == "1"
	if quick {
		sz = quickSizes
	}
	rounds := fs.Int("rounds", sz.rounds, "rounds of interleaved cells; the table shows medians")
	only := fs.String("systems", "", "comma-separated systems to run (default all)")
	onlyW := fs.String("workloads", "", "comma-separated workloads to run (default all)")
	out := fs.String("json", resultsFile, "file for the JSON lines")
	cpu := fs.String("cpu", "0", "the CPU that pinned workloads share")
	if err := fs.Parse(args); err != nil {
		return err
	}
	pin := *cpu
	if _, err := exec.LookPath("taskset"); err != nil {
		fmt.Fprintln(os.Stderr, "bench: taskset not found: W1 and W3 run unpinned, and measure the scheduler too")
		pin = ""
	}
	syss, err := pick(*only, systems, systemNamed)
	if err != nil {
		return err
	}
	wls, err := pick(*onlyW, workloads, workloadNamed)
	if err != nil {
		return err
	}
	jf, err := os.Create(*out)
	if err != nil {
		return err
	}
	defer jf.Close()
	jw := json.NewEncoder(jf)

	host, _ := os.Hostname()
	fmt.Printf("objrmi bench, %s, %s: %d CPUs (%s), %d rounds%s\n",
		time.Now().Format(time.DateOnly), host, runtime.NumCPU(), cpuModel(), *rounds, map[bool]string{true: ", QUICK"}[quick])
	tmp, err := os.MkdirTemp("", "objrmi-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	runnable, env, notes, skipped, err := prepareSystems(syss, tmp)
	if err != nil {
		return err
	}
	for _, s := range syss {
		if why, ok := skipped[s.name]; ok {
			fmt.Fprintf(os.Stderr, "bench: %s: %s\n", s.name, why)
			if err := jw.Encode(result{System: s.name, Skipped: why}); err != nil {
				return err
			}
		}
	}
	began := time.Now()
	var all []result
	for round := 1; round <= *rounds && len(runnable) > 0; round++ {
		for _, w := range wls {
			// Rotate the order each round, so no system always runs first
			// after a change of workload.
			for i := range runnable {
				sys := runnable[(i+round)%len(runnable)]
				if !sys.runs(w) {
					continue
				}
				r, err := runCell(sys, w, round, quick, pinFor(w, pin), env)
				if err != nil {
					return err
				}
				fmt.Fprintf(os.Stderr, "round %d %-9s %-18s %9.0f calls/s  p50 %7.1f µs\n", round, w.name, sys.name, r.CallsPerSec, r.P50us)
				all = append(all, r)
				if err := jw.Encode(r); err != nil {
					return err
				}
			}
		}
	}
	med := medians(all)
	for _, r := range med {
		if err := jw.Encode(r); err != nil {
			return err
		}
	}
	fmt.Println()
	report(os.Stdout, table{med: med, syss: syss, wls: wls, pin: pin, quick: quick, notes: notes, skipped: skipped})
	fmt.Printf("\n%d cells in %s; JSON lines in %s\n", len(all), time.Since(began).Round(time.Second), *out)
	return nil
}

// prepareSystems readies the external systems in dir: it returns the
// systems that can run, the environment their children need, a note on
// each (a version), and why each of the others cannot run here.
func prepareSystems(syss []system, dir string) (runnable []system, env []string, notes, skipped map[string]string, err error) {
	notes, skipped = map[string]string{}, map[string]string{}
	for _, s := range syss {
		if s.ext == nil {
			runnable = append(runnable, s)
			continue
		}
		sub := filepath.Join(dir, strings.ReplaceAll(s.name, "/", "_"))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return nil, nil, nil, nil, err
		}
		p, err := s.ext.prepare(sub)
		if err != nil {
			return nil, nil, nil, nil, fmt.Errorf("%s: %w", s.name, err)
		}
		if p.skip != "" {
			skipped[s.name] = p.skip
			continue
		}
		runnable, env = append(runnable, s), append(env, p.env...)
		if p.note != "" {
			notes[s.name] = p.note
		}
	}
	return runnable, env, notes, skipped, nil
}

func pinFor(w workload, cpu string) string {
	if w.pinned {
		return cpu
	}
	return ""
}

// child is a process of this same program, optionally pinned to a CPU.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
}

func startChild(pin string, env []string, args ...string) (*child, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	return startProgram(pin, env, append([]string{self}, args...))
}

// startProgram starts argv as a child, optionally pinned to a CPU.
func startProgram(pin string, env []string, argv []string) (*child, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	if pin != "" {
		cmd = exec.Command("taskset", append([]string{"-c", pin}, argv...)...)
	}
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &child{cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout)}, nil
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// stop closes the child's stdin, which tells it to exit, and waits.
func (c *child) stop() error {
	c.stdin.Close()
	return c.cmd.Wait()
}

// runCell runs one workload against a fresh server of one system; env is
// for every child.
func runCell(sys system, w workload, round int, quick bool, pin string, env []string) (result, error) {
	var srv *child
	var err error
	if sys.ext != nil {
		srv, err = startProgram(pin, env, sys.ext.server())
	} else {
		srv, err = startChild(pin, append(slices.Clip(env), workloadEnv+"="+w.name), "serve", "-system", sys.name)
	}
	if err != nil {
		return result{}, err
	}
	defer srv.stop()
	addr, err := readLine(srv.out, "ADDR")
	if err != nil {
		return result{}, fmt.Errorf("%s server: %w", sys.name, err)
	}
	args := []string{"client", "-system", sys.name, "-addr", addr, "-server-pid", fmt.Sprint(srv.pid()), "-workload", w.name}
	if quick {
		args = append(args, "-quick")
	}
	cli, err := startChild(pin, env, args...)
	if err != nil {
		return result{}, err
	}
	var r result
	line, err := cli.out.ReadBytes('\n')
	if err == nil {
		err = json.Unmarshal(line, &r)
	}
	if werr := cli.stop(); err == nil && werr != nil {
		err = werr
	}
	if err != nil {
		return result{}, fmt.Errorf("%s %s client: %w", sys.name, w.name, err)
	}
	hwm, err := memKiB(srv.pid(), "VmHWM")
	if err != nil {
		return result{}, err
	}
	r.Round, r.System, r.Workload, r.Pinned = round, sys.name, w.name, pin != ""
	r.ServerRSS = float64(hwm) / 1024
	return r, nil
}

// medians reduces the rounds to one result per system and workload, each
// field its own median; Round is 0 in them.
func medians(all []result) []result {
	type key struct{ sys, w string }
	groups := map[key][]result{}
	var order []key
	for _, r := range all {
		k := key{r.System, r.Workload}
		if groups[k] == nil {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
	}
	var out []result
	for _, k := range order {
		g := groups[k]
		m := g[0]
		m.Round = 0
		field := func(get func(*result) *float64) {
			v := make([]float64, len(g))
			for i := range g {
				v[i] = *get(&g[i])
			}
			slices.Sort(v)
			*get(&m) = v[len(v)/2]
		}
		field(func(r *result) *float64 { return &r.Seconds })
		field(func(r *result) *float64 { return &r.CallsPerSec })
		field(func(r *result) *float64 { return &r.P50us })
		field(func(r *result) *float64 { return &r.P99us })
		field(func(r *result) *float64 { return &r.MBps })
		field(func(r *result) *float64 { return &r.ClientCPUus })
		field(func(r *result) *float64 { return &r.ServerCPUus })
		field(func(r *result) *float64 { return &r.ServerRSS })
		out = append(out, m)
	}
	return out
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if name, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}
