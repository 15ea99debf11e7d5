package remote

import (
	"context"

	"github.com/objrmi/objrmi/internal/link"
)

// WithStreamWindow returns a context whose calls to methods that stream
// their results (a result of type iter.Seq2[T, error]) let the server
// run at most items items ahead of the loop that ranges over the stream,
// and, once the sizes of the items are known, about bytes bytes: items
// received and not yet taken wait in the caller's memory, and the server
// holds none. Zero or less takes the default: 64 items, 1 MiB. The
// server clamps items to 65,536.
//
// A larger window hides more latency on a fast stream of small items; a
// smaller one bounds memory on a stream of large ones.
func WithStreamWindow(ctx context.Context, items, bytes int) context.Context {
	return link.WithStreamWindow(ctx, link.StreamWindow{Items: items, Bytes: bytes})
}
