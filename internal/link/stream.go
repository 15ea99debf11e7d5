package link

import (
	"context"

	"github.com/objrmi/objrmi/internal/transport"
)

// StreamWindow is how much of a stream a caller takes ahead of its
// consumer: Items items, and, once item sizes are known, about Bytes
// bytes. remote.WithStreamWindow sets it for the calls made with a
// context; a stub reads it when it opens a stream.
type StreamWindow struct {
	Items int
	Bytes int
}

type windowKey struct{}

// WithStreamWindow returns ctx carrying w.
func WithStreamWindow(ctx context.Context, w StreamWindow) context.Context {
	return context.WithValue(ctx, windowKey{}, w)
}

// StreamWindowOf returns the window ctx carries, with defaults for what
// it does not set, and the item window clamped to what a callee grants.
func StreamWindowOf(ctx context.Context) StreamWindow {
	w, _ := ctx.Value(windowKey{}).(StreamWindow)
	if w.Items <= 0 {
		w.Items = transport.DefaultStreamItems
	}
	w.Items = min(w.Items, transport.MaxCredit)
	if w.Bytes <= 0 {
		w.Bytes = transport.DefaultStreamBytes
	}
	return w
}
