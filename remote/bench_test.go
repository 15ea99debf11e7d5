package remote_test

import (
	"context"
	"sync"
	"testing"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/internal/testutil"
	"github.com/objrmi/objrmi/remote"
)

func benchPair(b *testing.B) testsvc.Calculator {
	return benchPairWith(b, remote.Options{}, remote.Options{})
}

// benchPairWith is benchPair with the server's and the client's options;
// a server with TLS is dialled with TLS.
func benchPairWith(b *testing.B, srvOpts, cliOpts remote.Options) testsvc.Calculator {
	srvOpts.Listen = "127.0.0.1:0"
	srv, err := remote.NewRuntime(srvOpts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	if _, err := remote.Export[testsvc.Calculator](srv, testsvc.NewCalc(), remote.WithID(calcID)); err != nil {
		b.Fatal(err)
	}
	cli, err := remote.NewRuntime(cliOpts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cli.Close() })
	endpoint := srv.Endpoint()
	if srv.TLS() {
		endpoint = "tls:" + endpoint
	}
	calc, err := remote.Dial[testsvc.Calculator](context.Background(), cli, endpoint, calcID)
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
	callConcurrently(b, benchPair(b), 64)
}

// callConcurrently shares b.N Add calls among callers goroutines.
func callConcurrently(b *testing.B, calc testsvc.Calculator, callers int) {
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

// BenchmarkTLSOverhead runs the sequential and the 64-caller Add side by
// side in plaintext, TLS 1.3 and mutual TLS, so the cost of encryption
// is read off one run on one machine.
func BenchmarkTLSOverhead(b *testing.B) {
	pki := testutil.NewPKI(b)
	modes := []struct {
		name     string
		srv, cli remote.Options
	}{
		{"plaintext", remote.Options{}, remote.Options{}},
		{"TLS", remote.Options{TLS: pki.Config("server", false)}, remote.Options{TLS: pki.ClientConfig()}},
		{"mTLS", remote.Options{TLS: pki.Config("server", true)}, remote.Options{TLS: pki.Config("client", false)}},
	}
	for _, m := range modes {
		b.Run(m.name+"/sequential", func(b *testing.B) {
			calc := benchPairWith(b, m.srv, m.cli)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := calc.Add(ctx, 1, 2); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(m.name+"/64-concurrent", func(b *testing.B) {
			callConcurrently(b, benchPairWith(b, m.srv, m.cli), 64)
		})
	}
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
