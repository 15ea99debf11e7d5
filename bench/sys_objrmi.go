package main

import (
	"context"
	"sync/atomic"

	"github.com/objrmi/objrmi/bench/svc"
	"github.com/objrmi/objrmi/registry"
	"github.com/objrmi/objrmi/remote"
)

// objrmiSystem serves svc.Bench from a runtime with an embedded registry,
// and looks it up by URL: a counted reference, so the client holds a
// lease, and every call carries its context and method hash.
var objrmiSystem = system{
	name:  "objrmi",
	about: "objrmi: registry lookup, counted reference with a lease, one shared stub",
	serve: func() (string, func(), error) {
		rt, err := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
		if err != nil {
			return "", nil, err
		}
		reg, err := registry.Serve(rt, registry.Options{})
		if err == nil {
			var ref remote.Ref
			if ref, err = remote.Export[svc.Bench](rt, svc.Impl{}); err == nil {
				err = reg.Bind(context.Background(), "bench", ref)
				benchObject.Store(ref.Object)
			}
		}
		if err != nil {
			rt.Close()
			return "", nil, err
		}
		objrmiServer.Store(rt)
		return rt.Endpoint(), func() { reg.Close(); rt.Close() }, nil
	},
	dial: func(ctx context.Context, addr string, _ int) (client, error) {
		rt, err := remote.NewRuntime(remote.Options{})
		if err != nil {
			return nil, err
		}
		b, err := registry.Lookup[svc.Bench](ctx, rt, "objrmi://"+addr+"/bench")
		if err != nil {
			rt.Close()
			return nil, err
		}
		return shared{caller: b, close: func() error {
			remote.Release(b)
			return rt.Close()
		}}, nil
	},
}

// objrmiServer is the runtime an objrmi server child serves from, for
// the connection count in its statistics.
var objrmiServer atomic.Pointer[remote.Runtime]

// benchObject is the served object's id, for benchHolders.
var benchObject atomic.Uint64

// benchHolders counts the runtimes holding a lease on the served object.
func benchHolders() int {
	rt := objrmiServer.Load()
	if rt == nil {
		return 0
	}
	for _, e := range rt.Inspect().Exports {
		if e.Ref.Object == benchObject.Load() {
			return len(e.Holders)
		}
	}
	return 0
}

// liveConns counts an objrmi server's connections; other systems say 0.
func liveConns() int {
	if rt := objrmiServer.Load(); rt != nil {
		return rt.Inspect().Conns
	}
	return 0
}
