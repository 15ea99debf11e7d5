package link

import (
	"context"
	"log/slog"

	"github.com/objrmi/objrmi/internal/codec"
	"github.com/objrmi/objrmi/internal/iface"
	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
)

// Skeleton serves the calls to one exported object (package skeleton).
type Skeleton interface {
	// Serve decodes the arguments of the call h, runs the method, and
	// returns the reply to send, or nil for none.
	Serve(ctx context.Context, h *wire.CallHeader, args *wire.Decoder, env *Env) (reply *wire.Buffer)
	// Method returns the method h calls, or nil if there is none.
	Method(h *wire.CallHeader) *iface.Method
	Interface() *iface.Interface
	Object() any
}

// Env is what a skeleton needs from its runtime, per connection.
type Env struct {
	Refs   codec.Refs
	Codes  *objerr.Codes
	Logger *slog.Logger
}

// NewSkeleton checks that obj implements it and builds its skeleton. Set
// by package skeleton.
var NewSkeleton func(it *iface.Interface, obj any) (Skeleton, error)
