package link

import (
	"context"

	"github.com/objrmi/objrmi/internal/wire"
)

// CallMeta is the metadata of the outgoing calls made with a context:
// remote puts it there (remote.WithMetadata, and the interceptor chain),
// and the stub sends Out in the call's header and stores the reply's
// metadata in Reply, if set. A CallMeta in a context is never changed:
// adding metadata makes a new one.
type CallMeta struct {
	Out   []string  // key, value pairs to send
	Reply *[]string // where the reply's pairs go; nil if no one asked
}

type callMetaKey struct{}

// WithCallMeta returns ctx carrying cm.
func WithCallMeta(ctx context.Context, cm *CallMeta) context.Context {
	return context.WithValue(ctx, callMetaKey{}, cm)
}

// CallMetaOf returns the CallMeta of ctx, or nil.
func CallMetaOf(ctx context.Context) *CallMeta {
	cm, _ := ctx.Value(callMetaKey{}).(*CallMeta)
	return cm
}

// OutCall is one outgoing method call, as the stub describes it to the
// runtime's interceptors and observers.
type OutCall struct {
	Ref    *wire.Ref
	Method string
	OneWay bool
}

// ClientHook is implemented by a StubRuntime whose calls pass through
// interceptors or observers. Hooked says whether any are set now; if
// so, the stub makes each method call through Intercept, which runs do
// (the call itself) inside the chain.
type ClientHook interface {
	Hooked() bool
	Intercept(ctx context.Context, c *OutCall, do func(context.Context) error) error
}
