package remote

import (
	"context"

	"github.com/objrmi/objrmi/internal/link"
)

// The client side of interceptors and observers: the stub makes each
// method call through Intercept when Hooked says there is something to
// run (stub/intercept.go).

var _ link.ClientHook = stubRuntime{}

// Hooked implements link.ClientHook.
func (s stubRuntime) Hooked() bool {
	return len(s.opts.ClientInterceptors) > 0 || len(s.opts.Observers) > 0
}

// Intercept implements link.ClientHook: it runs do, the call, inside the
// observers and the client interceptors, and sends the metadata they
// leave in the CallInfo.
func (s stubRuntime) Intercept(ctx context.Context, oc *link.OutCall, do func(context.Context) error) error {
	if oc.Ref.Object == reservedDGC {
		return do(ctx) // the runtime's own
	}
	start := link.CallMetaOf(ctx)
	info := &CallInfo{Side: ClientSide, Interface: oc.Ref.Iface, Method: oc.Method, Object: oc.Ref.Object,
		Peer: oc.Ref.Runtime, Endpoint: oc.Ref.Endpoint, TLS: oc.Ref.TLS, OneWay: oc.OneWay}
	if start != nil {
		info.Meta.kv = start.Out
	}
	final := func(ctx context.Context) error {
		out := info.Meta.kv
		// Pairs an interceptor added to the context rather than to
		// info.Meta go too.
		if cm := link.CallMetaOf(ctx); cm != start && cm != nil {
			n := 0
			if start != nil && len(cm.Out) >= len(start.Out) {
				n = len(start.Out)
			}
			md := Metadata{kv: out}
			md.Append(cm.Out[n:]...)
			out = md.kv
		}
		var reply []string
		err := do(link.WithCallMeta(ctx, &link.CallMeta{Out: out, Reply: &reply}))
		info.ReplyMeta.kv = reply
		// Whoever asked for the reply's metadata (WithReplyMetadata),
		// before the chain or inside it, gets it.
		if cm := link.CallMetaOf(ctx); cm != nil && cm.Reply != nil {
			*cm.Reply = reply
		}
		if start != nil && start.Reply != nil {
			*start.Reply = reply
		}
		return err
	}
	return observed(ctx, s.log, s.opts.Observers, info, func(ctx context.Context) error {
		return chain(ctx, info, s.opts.ClientInterceptors, final)
	})
}
