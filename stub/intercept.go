package stub

import (
	"context"

	"github.com/objrmi/objrmi/internal/link"
	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
)

// intercepted makes one method call, do, through the runtime's client
// interceptors and observers, if it has any. Kept apart from call, so
// that the chain wraps a whole call (whatever call does inside it) and
// call's own code stays the round trip.
func intercepted(ctx context.Context, rt link.StubRuntime, ref *wire.Ref, method string, flags wire.CallFlags,
	do func(context.Context) error) error {
	if ctx != nil {
		if h, ok := rt.(link.ClientHook); ok && h.Hooked() {
			return h.Intercept(ctx, &link.OutCall{Ref: ref, Method: method, OneWay: flags&wire.FlagNoReply != 0}, do)
		}
	}
	return do(ctx)
}

// callMeta puts the metadata ctx carries into h, checked against the
// limits, and returns the context's CallMeta (nil without one) so that
// the reply's metadata can be stored.
func callMeta(ctx context.Context, h *wire.CallHeader) (*link.CallMeta, error) {
	cm := link.CallMetaOf(ctx)
	if cm == nil {
		return nil, nil
	}
	if err := wire.CheckMeta(cm.Out); err != nil {
		return nil, &objerr.Error{Kind: objerr.KindNotSent, Code: objerr.CodeLimit, Reason: "call metadata: " + err.Error()}
	}
	h.Meta = cm.Out
	return cm, nil
}
