package registry_test

import (
	"context"
	"testing"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/internal/testutil"
	"github.com/objrmi/objrmi/registry"
	"github.com/objrmi/objrmi/remote"
)

// Lookups from a client runtime of a registry embedded in the server's
// runtime, over loopback TCP (see testutil.BenchLookups).
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
	testutil.BenchLookups(b, client, srv.URL())
}
