package remote_test

import (
	"context"
	"sync"
	"testing"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/remote"
)

func benchPair(b *testing.B) testsvc.Calculator {
	srv, err := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	if _, err := remote.Export[testsvc.Calculator](srv, testsvc.NewCalc(), remote.WithID(calcID)); err != nil {
		b.Fatal(err)
	}
	cli, err := remote.NewRuntime(remote.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cli.Close() })
	calc, err := remote.Dial[testsvc.Calculator](context.Background(), cli, srv.Endpoint(), calcID)
	if err != nil {
		b.Fatal(err)
	}
	return calc
}

// BenchmarkCallSequential is one caller making Add calls back to back
// over loopback TCP.
func BenchmarkCallSequential(b *testing.B) {
	calc := benchPair(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := calc.Add(ctx, 1, 2); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCall64Concurrent is 64 goroutines sharing one stub, hence one
// connection; ns/op is per call across all of them.
func BenchmarkCall64Concurrent(b *testing.B) {
	const callers = 64
	calc := benchPair(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	for i := range callers {
		n := b.N / callers
		if i < b.N%callers {
			n++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range n {
				if _, err := calc.Add(ctx, 1, 2); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// BenchmarkEcho1KiB measures a call carrying 1 KiB each way.
func BenchmarkEcho1KiB(b *testing.B) {
	calc := benchPair(b)
	ctx := context.Background()
	p := make([]byte, 1024)
	b.SetBytes(2 * int64(len(p)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := calc.Echo(ctx, p); err != nil {
			b.Fatal(err)
		}
	}
}
