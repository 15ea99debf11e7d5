package remote_test

import (
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/codec"
	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/remote"
)

// A hand-made reply whose metadata is past the limits (64 pairs of
// 200-byte values: about 13 KiB, over MaxMetadataBytes) does not reach the
// caller's metadata; the method's results still do.
func TestReview5ReplyMetadataPastTheLimitsIsLeftOut(t *testing.T) {
	it := ifaceOf[testsvc.Feed](t)
	m := it.ByName("Sent")
	fs := newFakeServer(t, func(nc net.Conn, h *wire.CallHeader) {
		meta := make([]string, 0, 2*wire.MaxMeta)
		for range wire.MaxMeta {
			meta = append(meta, "k", strings.Repeat("v", 200))
		}
		b := wire.GetBuffer(wire.KindReturn)
		e := wire.NewEncoder(b)
		wire.PutReturn(b, e, wire.ReturnHeader{ID: h.ID, Meta: meta})
		codec.EncodeList(e, m.Out, []any{testsvc.FeedStats{}}, nil)
		e.Release()
		nc.Write(b.Bytes())
		b.Release()
	})
	cli := newRuntime(t, remote.Options{})
	feed, err := remote.Dial[testsvc.Feed](ctxT(t), cli, fs.ln.Addr().String(), feedID)
	require.NoError(t, err)
	var got remote.Metadata
	_, err = feed.Sent(remote.WithReplyMetadata(ctxT(t), &got))
	require.NoError(t, err)
	assert.Zero(t, got.Len(), "metadata past the limits is left out")
}
