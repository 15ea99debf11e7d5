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
	if hooked(ctx, rt) {
		return rt.(link.ClientHook).Intercept(ctx, &link.OutCall{Ref: ref, Method: method, OneWay: flags&wire.FlagNoReply != 0}, do)
	}
	return do(ctx)
}

// hooked reports whether a call with ctx goes through rt's client
// interceptors or observers.
func hooked(ctx context.Context, rt link.StubRuntime) bool {
	if ctx == nil {
		return false
	}
	h, ok := rt.(link.ClientHook)
	return ok && h.Hooked()
}

// callMeta puts the metadata ctx carries into h, checked against the
// limits.
func callMeta(ctx context.Context, h *wire.CallHeader) error {
	cm := link.CallMetaOf(ctx)
	if cm == nil {
		return nil
	}
	if err := wire.CheckMeta(cm.Out); err != nil {
		return &objerr.Error{Kind: objerr.KindNotSent, Code: objerr.CodeLimit, Reason: "call metadata: " + err.Error()}
	}
	h.Meta = cm.Out
	return nil
}

// replyMeta is where the reply's metadata goes for a call made with ctx,
// or nil if the caller asked for none.
func replyMeta(ctx context.Context) *[]string {
	if cm := link.CallMetaOf(ctx); cm != nil {
		return cm.Reply
	}
	return nil
}
