package etcdstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/objrmi/objrmi/etcdstore"
	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/internal/testutil"
	"github.com/objrmi/objrmi/registry"
	"github.com/objrmi/objrmi/remote"
)

// Lookups and binds through a registry on etcd (one embedded member)
// and, in the same run, through one on the in-memory store: over
// loopback TCP from a client runtime, in one process.
func BenchmarkRegistry(b *testing.B) {
	c := startCluster(b, 1)
	for _, kind := range []string{"memory", "etcd"} {
		b.Run(kind, func(b *testing.B) {
			var st registry.Store = registry.NewMemoryStore()
			if kind == "etcd" {
				s, err := etcdstore.Open(context.Background(), etcdstore.Options{Endpoints: c.endpoints(), Prefix: "bench"})
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				st = s
			}
			rt := testutil.Runtime(b, remote.Options{Listen: "127.0.0.1:0"})
			srv, err := registry.Serve(rt, registry.Options{Store: st})
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Close()
			own := testutil.Runtime(b, remote.Options{Listen: "127.0.0.1:0"})
			ref, err := remote.Export[testsvc.Calculator](own, testsvc.NewCalc())
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			reg, err := registry.Dial(ctx, own, srv.URL())
			if err != nil {
				b.Fatal(err)
			}
			if err := reg.Rebind(ctx, "calc", ref); err != nil {
				b.Fatal(err)
			}
			client := testutil.Runtime(b, remote.Options{})
			testutil.BenchLookups(b, client, srv.URL())
			if err := reg.Join(ctx, "pool", ref); err != nil {
				b.Fatal(err)
			}
			members, err := registry.Dial(ctx, client, srv.URL())
			if err != nil {
				b.Fatal(err)
			}
			b.Run("Members", func(b *testing.B) { // on etcd: a quorum read of the revision, then the cache
				for b.Loop() {
					if _, err := members.Members(ctx, "pool"); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("Bind", func(b *testing.B) {
				i := 0
				for b.Loop() {
					if err := reg.Bind(ctx, fmt.Sprintf("n%d-%d", time.Now().UnixNano(), i), ref); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
		})
	}
}
