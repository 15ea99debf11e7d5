// Command replicas shows a replica group in one command: it serves a
// registry, starts three copies of itself as replica processes that join
// the group "bank", and runs 16 callers through one group stub. A third
// of the way through it kills one replica with kill -9, then prints what
// the callers saw: failed calls by method, how traffic moved to the
// survivors, how long until the call rate was back, and the p99 latency
// while it recovered.
//
//	go run ./examples/replicas [-duration 3s] [-callers 16]
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/registry"
	"github.com/objrmi/objrmi/remote"
)

const (
	roleEnv = "OBJRMI_REPLICAS_ROLE" // "replica": serve one replica
	regEnv  = "OBJRMI_REPLICAS_REGISTRY"
	nameEnv = "OBJRMI_REPLICAS_NAME"
)

func main() {
	var err error
	if os.Getenv(roleEnv) == "replica" {
		err = replica(os.Getenv(regEnv), os.Getenv(nameEnv))
	} else {
		duration := flag.Duration("duration", 3*time.Second, "how long the callers call")
		callers := flag.Int("callers", 16, "concurrent callers")
		flag.Parse()
		err = run(*duration, *callers)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "replicas:", err)
		os.Exit(1)
	}
}

// bank is one replica.
type bank struct {
	name string
	mu   sync.Mutex
	log  []string
}

func (b *bank) Rate(ctx context.Context, currency string) (Quote, error) {
	time.Sleep(200 * time.Microsecond) // some work
	return Quote{Rate: 1.08, Replica: b.name}, nil
}

func (b *bank) Audit(ctx context.Context, entry string) (string, error) {
	time.Sleep(200 * time.Microsecond)
	b.mu.Lock()
	b.log = append(b.log, entry)
	b.mu.Unlock()
	return b.name, nil
}

// replica serves one Bank, joins the group, and runs until killed or
// until its parent goes (its stdin closes).
func replica(regURL, name string) error {
	rt, err := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0", Lease: 2 * time.Second})
	if err != nil {
		return err
	}
	defer rt.Close()
	ref, err := remote.Export[Bank](rt, &bank{name: name})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	reg, err := registry.Dial(ctx, rt, regURL)
	if err != nil {
		return err
	}
	if err := reg.Join(ctx, "bank", ref); err != nil {
		return err
	}
	fmt.Printf("joined %s %d\n", name, os.Getpid())
	bufio.NewReader(os.Stdin).ReadString('\n') // EOF when the parent exits
	return nil
}

type child struct {
	name string
	cmd  *exec.Cmd
}

// start runs a replica process and waits until it has joined.
func start(regURL, name string) (*child, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), roleEnv+"=replica", regEnv+"="+regURL, nameEnv+"="+name)
	cmd.Stderr = os.Stderr
	if _, err := cmd.StdinPipe(); err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if !strings.HasPrefix(line, "joined ") {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("replica %s: %q, %v", name, line, err)
	}
	return &child{name: name, cmd: cmd}, nil
}

// sample is one call as a caller saw it.
type sample struct {
	at      time.Duration // since the start, when it ended
	took    time.Duration
	audit   bool
	replica string
	err     error
}

func run(duration time.Duration, callers int) error {
	rt, err := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	if err != nil {
		return err
	}
	defer rt.Close()
	reg, err := registry.Serve(rt, registry.Options{})
	if err != nil {
		return err
	}
	defer reg.Close()

	var children []*child
	defer func() {
		for _, c := range children {
			c.cmd.Process.Kill()
			c.cmd.Wait()
		}
	}()
	for _, name := range []string{"r1", "r2", "r3"} {
		c, err := start(reg.URL(), name)
		if err != nil {
			return err
		}
		children = append(children, c)
		fmt.Printf("replica %s joined group bank (pid %d)\n", name, c.cmd.Process.Pid)
	}

	cli, err := remote.NewRuntime(remote.Options{})
	if err != nil {
		return err
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), duration+30*time.Second)
	defer cancel()
	bank, err := registry.LookupGroup[Bank](ctx, cli, reg.URL()+"/bank",
		remote.GroupOptions{EjectAfter: 2, EjectFor: time.Second})
	if err != nil {
		return err
	}
	defer remote.Release(bank)

	var (
		mu      sync.Mutex
		samples []sample
		wg      sync.WaitGroup
	)
	begin := time.Now()
	stop := make(chan struct{})
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				s := sample{audit: i%4 == 0} // a quarter of the callers audit
				t0 := time.Now()
				cctx, ccancel := context.WithTimeout(ctx, 5*time.Second)
				if s.audit {
					s.replica, s.err = bank.Audit(cctx, fmt.Sprintf("caller %d entry %d", i, n))
				} else {
					var q Quote
					q, s.err = bank.Rate(cctx, "EUR")
					s.replica = q.Replica
				}
				ccancel()
				s.took, s.at = time.Since(t0), time.Since(begin)
				mu.Lock()
				samples = append(samples, s)
				mu.Unlock()
			}
		}()
	}
	time.Sleep(duration / 3)
	victim := children[1]
	killAt := time.Since(begin)
	victim.cmd.Process.Signal(syscall.SIGKILL)
	fmt.Printf("kill -9 %s (pid %d) at %s, under load\n", victim.name, victim.cmd.Process.Pid, killAt.Round(time.Millisecond))
	time.Sleep(duration - duration/3)
	close(stop)
	wg.Wait()
	report(samples, killAt, victim.name)
	return nil
}

// report prints what the callers saw.
func report(samples []sample, killAt time.Duration, victim string) {
	var readFailed, auditFailed []error
	before, after := map[string]int{}, map[string]int{}
	for _, s := range samples {
		if s.err != nil {
			if s.audit {
				auditFailed = append(auditFailed, s.err)
			} else {
				readFailed = append(readFailed, s.err)
			}
			continue
		}
		if s.at < killAt {
			before[s.replica]++
		} else if s.at > killAt+s.took { // started after the kill
			after[s.replica]++
		}
	}
	fmt.Printf("calls: %d\n", len(samples))
	fmt.Printf("readonly calls failed: %d\n", len(readFailed))
	unknown := 0
	for _, err := range auditFailed {
		if errors.Is(err, objerr.ErrOutcomeUnknown) {
			unknown++
		}
	}
	fmt.Printf("unmarked calls failed: %d (%d outcome unknown: in flight on %s at the kill)\n", len(auditFailed), unknown, victim)
	for _, err := range append(readFailed, auditFailed...)[:min(3, len(readFailed)+len(auditFailed))] {
		fmt.Printf("  e.g. %v\n", err)
	}
	fmt.Printf("before the kill: %s\n", spread(before))
	fmt.Printf("after the kill:  %s\n", spread(after))
	fmt.Printf("calls to %s started after the kill: %d\n", victim, after[victim])

	// The rate in 50 ms windows: recovered once a window after the kill
	// reaches 90 % of the mean rate before it.
	const win = 50 * time.Millisecond
	counts := map[int]int{}
	for _, s := range samples {
		if s.err == nil {
			counts[int(s.at/win)]++
		}
	}
	first, k := 2, int(killAt/win) // skip the first windows: connections warm up
	sum := 0
	for w := first; w < k; w++ {
		sum += counts[w]
	}
	mean := float64(sum) / float64(max(k-first, 1))
	recovered := time.Duration(-1)
	for w := k; w < k+1000; w++ {
		if float64(counts[w]) >= 0.9*mean {
			recovered = time.Duration(w+1)*win - killAt
			break
		}
	}
	var lats, base []time.Duration
	for _, s := range samples {
		switch {
		case s.at >= killAt && s.at < killAt+max(recovered, 0)+win:
			lats = append(lats, s.took)
		case s.at < killAt:
			base = append(base, s.took)
		}
	}
	fmt.Printf("rate before the kill: %.0f calls/s; back to 90%% of it %s after the kill\n",
		mean/win.Seconds(), recovered.Round(time.Millisecond))
	fmt.Printf("p99 latency: %s before the kill, %s while recovering (%d calls)\n",
		p99(base).Round(10*time.Microsecond), p99(lats).Round(10*time.Microsecond), len(lats))
}

func spread(m map[string]int) string {
	var names []string
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "%s %d  ", n, m[n])
	}
	return strings.TrimSpace(b.String())
}

func p99(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[len(d)*99/100]
}
