package remote_test

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/objrmi/objrmi/internal/codec"
	"github.com/objrmi/objrmi/internal/iface"
	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/remote"
)

// The cost of the fault-tolerance machinery when nothing fails: one
// caller, Add (an unmarked method) back to back over loopback TCP, with
// each policy on. Compare with BenchmarkCallSequential (all off).
func benchPolicy(b *testing.B, cli remote.Options) {
	calc := benchPairWith(b, remote.Options{}, cli)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := calc.Add(ctx, 1, 2); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPolicyOff(b *testing.B) { benchPolicy(b, remote.Options{}) }

func BenchmarkPolicyRetry(b *testing.B) {
	benchPolicy(b, remote.Options{Retry: remote.RetryPolicy{MaxAttempts: 3}})
}

func BenchmarkPolicyRetryBudget(b *testing.B) {
	benchPolicy(b, remote.Options{Retry: remote.RetryPolicy{MaxAttempts: 3, Budget: remote.NewRetryBudget(0.2, 10)}})
}

func BenchmarkPolicyExactlyOnce(b *testing.B) {
	benchPolicy(b, remote.Options{Retry: remote.RetryPolicy{MaxAttempts: 3, ExactlyOnce: true}})
}

func BenchmarkPolicyBreaker(b *testing.B) {
	benchPolicy(b, remote.Options{Breaker: &remote.BreakerPolicy{}})
}

// BenchmarkCompletionRecords10k fills a server's window with 10,000
// exactly-once records of a caller that never acknowledges (Withdraw
// replies, the smallest kind), and reports the bytes each holds as
// counted against MaxBytes, and the Go heap they take.
func BenchmarkCompletionRecords10k(b *testing.B) {
	const n = 10_000
	it, err := iface.For[testsvc.Account]()
	if err != nil {
		b.Fatal(err)
	}
	m := it.Methods[3] // Withdraw
	for b.Loop() {
		b.StopTimer()
		srv, err := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0",
			Completion: remote.CompletionLimits{MaxRecordsPerCaller: n}})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := remote.Export[testsvc.Account](srv, testsvc.NewAccount("a", 1<<40), remote.WithID(accountID)); err != nil {
			b.Fatal(err)
		}
		nc, err := net.Dial("tcp", srv.Endpoint())
		if err != nil {
			b.Fatal(err)
		}
		if err := wire.WriteHello(nc, &wire.Hello{Runtime: uuid.New()}); err != nil {
			b.Fatal(err)
		}
		br := bufio.NewReader(nc)
		var h wire.Hello
		if err := wire.ReadHello(br, &h); err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		b.StartTimer()
		for seq := uint64(1); seq <= n; seq++ {
			buf := wire.GetBuffer(wire.KindCall)
			e := wire.NewEncoder(buf)
			wire.PutCall(buf, e, &wire.CallHeader{ID: seq, Object: accountID, Method: m.Hash, Flags: wire.FlagSeq, Seq: seq, Acked: 1})
			codec.EncodeList(e, m.In, []any{int64(1)}, nil)
			e.Release()
			frame := bytes.Clone(buf.Bytes())
			buf.Release()
			if _, err := nc.Write(frame); err != nil {
				b.Fatal(err)
			}
			nc.SetReadDeadline(time.Now().Add(10 * time.Second))
			f, err := wire.ReadFrame(br, 1<<20)
			if err != nil {
				b.Fatal(err)
			}
			f.Release()
		}
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		s := srv.Inspect()
		if s.CompletionRecords != n {
			b.Fatalf("%d records, want %d", s.CompletionRecords, n)
		}
		b.ReportMetric(float64(s.CompletionBytes)/n, "counted-B/record")
		b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/n, "heap-B/record")
		b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/(1<<20), "heap-MiB/10k")
		nc.Close()
		srv.Close()
		b.StartTimer()
	}
}
