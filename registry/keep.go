package registry

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/objrmi/objrmi/remote"
)

// KeepOptions configures KeepBound. The zero value is usable.
type KeepOptions struct {
	// Interval is how often the binding is looked up, and so how long a
	// lost binding can stay lost. Default 5 s.
	Interval time.Duration
	// Timeout bounds each lookup and bind. Default Interval.
	Timeout time.Duration
	// Rebind takes the name back even from another object (Rebind). By
	// default KeepBound binds only a free name (Bind), and logs, each
	// time it looks, that another object holds it.
	Rebind bool
	// Logger receives one line per binding made again, and per failure.
	// Default: discarded.
	Logger *slog.Logger
}

// KeepBound binds name to obj through reg, and binds it again whenever
// the binding is lost, until ctx ends; it returns context.Cause(ctx).
//
// It is for owners whose bindings can vanish without their doing: on a
// registry whose store is shared (etcd), a binding goes when no registry
// could renew its owner's lease in time, which an owner paused or cut
// off for a while, or a store that was wiped or restored, also causes.
// Every Interval it looks the name up, and binds it again if it is not
// bound. Failures (a registry or store that cannot be reached) are
// logged and tried again at the next look.
func KeepBound(ctx context.Context, reg Registry, name string, obj remote.Ref, opts KeepOptions) error {
	if ctx == nil {
		return nilContext("keep bound")
	}
	if opts.Interval <= 0 {
		opts.Interval = 5 * time.Second
	}
	if opts.Timeout <= 0 {
		opts.Timeout = opts.Interval
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	obj.Pin = 0
	tick := time.NewTicker(opts.Interval)
	defer tick.Stop()
	for first := true; ; first = false {
		keepOnce(ctx, reg, name, obj, opts, first)
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-tick.C:
		}
	}
}

// keepOnce looks name up and binds it again if it is lost.
func keepOnce(ctx context.Context, reg Registry, name string, obj remote.Ref, opts KeepOptions, first bool) {
	cctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	cur, err := reg.Lookup(cctx, name)
	switch {
	case err == nil && sameObject(cur, obj):
		return
	case err == nil && !opts.Rebind:
		opts.Logger.Warn("objrmi registry: another object holds the name; not taking it (KeepOptions.Rebind)",
			"name", name, "bound", cur.String())
		return
	case err != nil && !errors.Is(err, ErrNotBound):
		opts.Logger.Warn("objrmi registry: cannot look the binding up; will try again", "name", name, "err", err)
		return
	}
	if opts.Rebind {
		err = reg.Rebind(cctx, name, obj)
	} else {
		err = reg.Bind(cctx, name, obj)
	}
	switch {
	case err != nil:
		opts.Logger.Warn("objrmi registry: cannot bind again; will try again", "name", name, "err", err)
	case first:
		opts.Logger.Info("objrmi registry: bound", "name", name, "ref", obj.String())
	default:
		opts.Logger.Warn("objrmi registry: the binding was lost; bound again", "name", name, "ref", obj.String())
	}
}
