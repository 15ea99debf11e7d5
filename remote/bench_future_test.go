package remote_test

import (
	"context"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/remote"
	"github.com/objrmi/objrmi/stub"
)

// The call styles side by side, each in one run over loopback TCP, with
// the client and the server in this process (allocations count both).

// mallocs reports the heap allocations so far.
func mallocs() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.Mallocs
}

// cpuTime is the CPU time this process has used, user and system: on a
// loaded machine, a measure of the work a call costs that waiting for a
// CPU does not inflate, as it does wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// meter measures a benchmark's calls: wall time, CPU time and
// allocations per call.
type meter struct {
	start  time.Time
	cpu    time.Duration
	allocs uint64
}

func startMeter() meter { return meter{allocs: mallocs(), cpu: cpuTime(), start: time.Now()} }

// report reports per call, for ops of calls calls.
func (m meter) report(b *testing.B, calls int) {
	n := float64(b.N) * float64(calls)
	b.ReportMetric(float64(time.Since(m.start).Nanoseconds())/n, "ns/call")
	b.ReportMetric(float64((cpuTime()-m.cpu).Nanoseconds())/n, "cpu-ns/call")
	b.ReportMetric(float64(mallocs()-m.allocs)/n, "allocs/call")
}

// BenchmarkAdd1000 makes 1,000 Adds per op: sequential (each waits for
// its reply) against async (all written, then awaited together).
func BenchmarkAdd1000(b *testing.B) {
	const calls = 1000
	b.Run("sequential", func(b *testing.B) {
		calc := benchPair(b)
		ctx := context.Background()
		m := startMeter()
		for b.Loop() {
			for i := range calls {
				if _, err := calc.Add(ctx, int64(i), 1); err != nil {
					b.Fatal(err)
				}
			}
		}
		m.report(b, calls)
	})
	b.Run("async", func(b *testing.B) {
		ac := testsvc.AsyncCalculator(benchPair(b))
		ctx := context.Background()
		fs := make([]*remote.Future[int64], calls)
		m := startMeter()
		for b.Loop() {
			for i := range fs {
				fs[i] = ac.Add(ctx, int64(i), 1)
			}
			if _, err := remote.AwaitAll(ctx, fs...); err != nil {
				b.Fatal(err)
			}
		}
		m.report(b, calls)
	})
}

// BenchmarkBatch100 makes 100 Adds per op, sequentially or as one
// batch, through a relay that counts the frames each way.
func BenchmarkBatch100(b *testing.B) {
	const calls = 100
	dial := func(b *testing.B) (testsvc.Calculator, *frameCounter) {
		srv, err := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { srv.Close() })
		if _, err := remote.Export[testsvc.Calculator](srv, testsvc.NewCalc(), remote.WithID(calcID)); err != nil {
			b.Fatal(err)
		}
		fc := newFrameCounter(b, srv.Endpoint())
		cli, err := remote.NewRuntime(remote.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { cli.Close() })
		calc, err := remote.Dial[testsvc.Calculator](context.Background(), cli, fc.addr(), calcID)
		if err != nil {
			b.Fatal(err)
		}
		fc.counts()
		return calc, fc
	}
	frames := func(b *testing.B, fc *frameCounter) {
		up, down := fc.counts()
		var u, d int
		for _, n := range up {
			u += n
		}
		for _, n := range down {
			d += n
		}
		b.ReportMetric(float64(u)/float64(b.N), "frames-sent/op")
		b.ReportMetric(float64(d)/float64(b.N), "frames-back/op")
	}
	b.Run("sequential", func(b *testing.B) {
		calc, fc := dial(b)
		ctx := context.Background()
		for b.Loop() {
			for i := range calls {
				if _, err := calc.Add(ctx, int64(i), 1); err != nil {
					b.Fatal(err)
				}
			}
		}
		frames(b, fc)
	})
	b.Run("batch", func(b *testing.B) {
		calc, fc := dial(b)
		ctx := context.Background()
		fs := make([]*remote.Future[int64], calls)
		for b.Loop() {
			batch := remote.NewBatch()
			bc, err := remote.InBatch(batch, calc)
			if err != nil {
				b.Fatal(err)
			}
			ac := testsvc.AsyncCalculator(bc)
			for i := range fs {
				fs[i] = ac.Add(ctx, int64(i), 1)
			}
			if err := batch.Send(ctx); err != nil {
				b.Fatal(err)
			}
			if _, err := remote.AwaitAll(ctx, fs...); err != nil {
				b.Fatal(err)
			}
		}
		frames(b, fc)
	})
}

// pinger is a remote interface with a oneway method and its synchronous
// twin, for BenchmarkOneWay; its shell is written here by hand, as
// objstub would write it.
type pinger interface {
	//objrmi:oneway
	Ping(ctx context.Context, n int64) error
	Sync(ctx context.Context, n int64) error
}

type pingerStub struct{ *stub.Stub }

func (s pingerStub) Ping(ctx context.Context, n int64) error {
	return s.Invoke(ctx, 0, []any{n}, nil)
}

func (s pingerStub) Sync(ctx context.Context, n int64) error {
	return s.Invoke(ctx, 1, []any{n}, nil)
}

func init() {
	stub.Register[pinger](func(s *stub.Stub) pinger { return pingerStub{s} }, "Ping:oneway")
}

type pingCount struct{ n atomic.Int64 }

func (p *pingCount) Ping(context.Context, int64) error { p.n.Add(1); return nil }
func (p *pingCount) Sync(context.Context, int64) error { p.n.Add(1); return nil }

// BenchmarkOneWay runs one-way calls against synchronous calls of the
// same shape, one caller each, and reports calls per second. A one-way
// op ends when the server has run every call sent, not when the last was
// written: its rate is the server's, backpressure included.
func BenchmarkOneWay(b *testing.B) {
	for _, oneWay := range []bool{true, false} {
		name := "sync"
		if oneWay {
			name = "oneway"
		}
		b.Run(name, func(b *testing.B) {
			srv, err := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { srv.Close() })
			count := &pingCount{}
			if _, err := remote.Export[pinger](srv, count, remote.WithID(calcID)); err != nil {
				b.Fatal(err)
			}
			cli, err := remote.NewRuntime(remote.Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { cli.Close() })
			ctx := context.Background()
			p, err := remote.Dial[pinger](ctx, cli, srv.Endpoint(), calcID)
			if err != nil {
				b.Fatal(err)
			}
			call := p.Sync
			if oneWay {
				call = p.Ping
			}
			b.ReportAllocs()
			start := time.Now()
			for i := 0; b.Loop(); i++ {
				if err := call(ctx, int64(i)); err != nil {
					b.Fatal(err)
				}
			}
			for count.n.Load() < int64(b.N) {
				time.Sleep(10 * time.Microsecond)
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "calls/s")
		})
	}
}
