package main

import (
	"bufio"
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// javaSources are the Java RMI server and client (bench/java), compiled
// with javac at the start of each run.
//
//go:embed java/*.java
var javaSources embed.FS

// javaClassesEnv tells a client child where the compiled classes are.
const javaClassesEnv = "BENCH_JAVA_CLASSES"

// javaSkip is the table's row when the machine has no JDK.
const javaSkip = "skipped, no JDK: install openjdk-17-jdk-headless"

// javaSystem is Java RMI, in JVMs of its own: the server exports Bench
// and binds it in a registry on one loopback port; the client looks it
// up there, so it holds a DGC lease (30 s, objrmi's default lease, set by
// java.rmi.dgc.leaseValue), and its callers share the one stub. Java
// RMI opens a connection per concurrent call (a thread per connection on
// the server) and reuses them. The JVMs run with their default settings,
// and warm up for at least sizes.jitWarm (3 s) as well as the workload's
// own warm-up, since the JIT compiles the call path only after many
// calls: in two trials on the 2-vCPU dev VM, W1's p50 after only the
// 2,000 warm-up calls the Go systems get was 1.24× and 1.30× that after
// 3 s.
var javaSystem = system{
	name:  "java-rmi",
	about: "Java RMI, registry lookup, DGC lease 30 s, one shared stub, JVM defaults",
	ext: &external{
		prepare: prepareJava,
		server: func() []string {
			return []string{"java", "-cp", javaClasses, "-Djava.rmi.server.hostname=127.0.0.1",
				"-Djava.rmi.dgc.leaseValue=30000", "BenchServer"}
		},
		run: runJava,
	},
}

// javaClasses is where this run compiled the classes, in the parent.
var javaClasses string

// prepareJava compiles the sources into dir with javac, or says why Java
// RMI cannot run here: no JDK is not an error, the table says so.
func prepareJava(dir string) (prepared, error) {
	for _, tool := range []string{"javac", "java"} {
		if _, err := exec.LookPath(tool); err != nil {
			return prepared{skip: javaSkip + " (" + tool + " is not in PATH)"}, nil
		}
	}
	src, classes := filepath.Join(dir, "src"), filepath.Join(dir, "classes")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return prepared{}, err
	}
	names, err := javaSources.ReadDir("java")
	if err != nil {
		return prepared{}, err
	}
	args := []string{"-d", classes, "-encoding", "UTF-8"}
	for _, n := range names {
		b, err := javaSources.ReadFile("java/" + n.Name())
		if err != nil {
			return prepared{}, err
		}
		p := filepath.Join(src, n.Name())
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return prepared{}, err
		}
		args = append(args, p)
	}
	if out, err := exec.Command("javac", args...).CombinedOutput(); err != nil {
		return prepared{}, fmt.Errorf("javac: %w: %s", err, out)
	}
	javaClasses = classes
	ver, _ := exec.Command("java", "-version").CombinedOutput() // it prints to stderr
	first, _, _ := strings.Cut(string(ver), "\n")
	return prepared{env: []string{javaClassesEnv + "=" + classes}, note: strings.TrimSpace(first)}, nil
}

// javaArgs are BenchClient's arguments for workload w: the JIT's
// warm-up, then the workload's.
func javaArgs(w workload, sz sizes) []string {
	n := strconv.Itoa
	ms := func(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }
	args := []string{ms(sz.jitWarm)}
	switch {
	case w.size > 64<<10:
		return append(args, "echo", n(w.size), n(sz.largeWarm), n(sz.largeN))
	case w.size > 0:
		return append(args, "echo", n(w.size), n(sz.smallWarm), n(sz.smallN))
	case w.callers > 1:
		return append(args, "concurrent", n(w.callers), ms(sz.w2Warm), ms(sz.w2Run))
	default:
		return append(args, "add", n(sz.addWarm), n(sz.addN))
	}
}

// runJava runs workload w in a JVM client (this client child's own
// child, so it shares its CPU pinning), reading the client JVM's and the
// server's CPU clocks when the client says START and STOP, and computing
// the result from its latencies as the Go workloads do.
func runJava(ctx context.Context, addr string, w workload, sz sizes, m *meter) (result, error) {
	classes := os.Getenv(javaClassesEnv)
	if classes == "" {
		return result{}, errors.New(javaClassesEnv + " is not set: the bench program compiles the classes and sets it")
	}
	cmd := exec.CommandContext(ctx, "java", append([]string{"-cp", classes, "BenchClient", addr}, javaArgs(w, sz)...)...)
	cmd.Stderr = os.Stderr
	cmd.WaitDelay = 5 * time.Second
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return result{}, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return result{}, err
	}
	if err := cmd.Start(); err != nil {
		return result{}, err
	}
	r, err := meterJava(bufio.NewReader(stdout), stdin, cmd.Process.Pid, w, m)
	stdin.Close()
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return result{}, fmt.Errorf("java client: %w", err)
	}
	if err := cmd.Wait(); err != nil {
		return result{}, fmt.Errorf("java client: %w", err)
	}
	return r, nil
}

// meterJava follows the client's protocol: START and STOP, each answered
// once the clocks are read, then "LATS n" and n latencies in ns.
func meterJava(out *bufio.Reader, in io.Writer, pid int, w workload, m *meter) (result, error) {
	m.client = pid
	for _, mark := range []struct {
		say  string
		read func() error
	}{{"START", m.start}, {"STOP", m.stop}} {
		if _, err := readLine(out, mark.say); err != nil {
			return result{}, err
		}
		if err := mark.read(); err != nil {
			return result{}, err
		}
		if _, err := io.WriteString(in, "go\n"); err != nil {
			return result{}, err
		}
	}
	count, err := readLine(out, "LATS")
	if err != nil {
		return result{}, err
	}
	n, err := strconv.Atoi(count)
	if err != nil || n <= 0 {
		return result{}, fmt.Errorf("java client measured %q calls", count)
	}
	lats := make([]time.Duration, n)
	for i := range lats {
		line, err := out.ReadString('\n')
		if err != nil {
			return result{}, fmt.Errorf("latency %d of %d: %w", i, n, err)
		}
		ns, err := strconv.ParseInt(strings.TrimSpace(line), 10, 64)
		if err != nil {
			return result{}, fmt.Errorf("latency %d of %d: %w", i, n, err)
		}
		lats[i] = time.Duration(ns)
	}
	var r result
	m.fill(&r, n, lats)
	if w.size > 0 {
		r.MBps = float64(2*w.size*n) / r.Seconds / 1e6
	}
	return r, nil
}
