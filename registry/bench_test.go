package registry_test

import (
	"context"
	"testing"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/registry"
	"github.com/objrmi/objrmi/remote"
)

// Lookups from a client runtime of a registry embedded in the server's
// runtime, over loopback TCP: a bare Lookup (one call), and the typed
// registry.Lookup that programs use (URL, call, stub; the stub is
// released each time, so each iteration also makes its dirty and clean).
func BenchmarkLookupEmbedded(b *testing.B) {
	ctx := context.Background()
	server, err := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	if err != nil {
		b.Fatal(err)
	}
	defer server.Close()
	srv, err := registry.Serve(server, registry.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	ref, _ := remote.Export[testsvc.Calculator](server, testsvc.NewCalc())
	if err := srv.Bind(ctx, "calc", ref); err != nil {
		b.Fatal(err)
	}
	client, _ := remote.NewRuntime(remote.Options{})
	defer client.Close()
	c, err := registry.Dial(ctx, client, srv.URL())
	if err != nil {
		b.Fatal(err)
	}
	b.Run("Ref", func(b *testing.B) {
		for b.Loop() {
			if _, err := c.Lookup(ctx, "calc"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Typed", func(b *testing.B) {
		url := srv.URL() + "/calc"
		for b.Loop() {
			calc, err := registry.Lookup[testsvc.Calculator](ctx, client, url)
			if err != nil {
				b.Fatal(err)
			}
			remote.Release(calc)
		}
	})
}
