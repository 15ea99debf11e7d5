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
var objrmiSystem = objrmiWith("objrmi", "objrmi: registry lookup, counted reference with a lease, one shared stub", nil)

// hooks are what an objrmi variant adds to one runtime (the server's or
// the client's): observers and interceptors, and how to flush and stop
// what it started for them.
type hooks struct {
	observers      []remote.Observer
	client, server []remote.Interceptor
	// attach, if set, hooks the runtime itself once it exists (the
	// runtime's own gauges and counters); it returns how to undo that.
	attach func(*remote.Runtime) (func() error, error)
	stop   func()
}

// objrmiWith is objrmi with the hooks newHooks makes, on both sides: a
// fresh set for each runtime, as two processes would have. Without
// newHooks it is plain objrmi.
func objrmiWith(name, about string, newHooks func() (hooks, error)) system {
	// newRuntime makes a runtime with a fresh set of hooks, and returns
	// how to stop them once the runtime has closed.
	newRuntime := func(o remote.Options) (*remote.Runtime, func(), error) {
		h := hooks{stop: func() {}}
		if newHooks != nil {
			var err error
			if h, err = newHooks(); err != nil {
				return nil, nil, err
			}
			if h.stop == nil {
				h.stop = func() {}
			}
		}
		o.Observers, o.ClientInterceptors, o.ServerInterceptors = h.observers, h.client, h.server
		rt, err := remote.NewRuntime(o)
		if err != nil {
			h.stop()
			return nil, nil, err
		}
		if h.attach != nil {
			detach, err := h.attach(rt)
			if err != nil {
				rt.Close()
				h.stop()
				return nil, nil, err
			}
			stop := h.stop
			h.stop = func() { detach(); stop() }
		}
		return rt, h.stop, nil
	}
	return system{
		name:  name,
		about: about,
		serve: func() (string, func(), error) {
			rt, stopHooks, err := newRuntime(remote.Options{Listen: "127.0.0.1:0"})
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
				stopHooks()
				return "", nil, err
			}
			objrmiServer.Store(rt)
			return rt.Endpoint(), func() { reg.Close(); rt.Close(); stopHooks() }, nil
		},
		dial: func(ctx context.Context, addr string, _ int) (client, error) {
			rt, stopHooks, err := newRuntime(remote.Options{})
			if err != nil {
				return nil, err
			}
			b, err := registry.Lookup[svc.Bench](ctx, rt, "objrmi://"+addr+"/bench")
			if err != nil {
				rt.Close()
				stopHooks()
				return nil, err
			}
			return shared{caller: b, close: func() error {
				remote.Release(b)
				err := rt.Close()
				stopHooks()
				return err
			}}, nil
		},
	}
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
