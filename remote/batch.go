package remote

import (
	"fmt"

	"github.com/objrmi/objrmi/internal/link"
	"github.com/objrmi/objrmi/stub"
)

// Batch gathers async calls to one runtime and sends them in one frame,
// run in order by the server and answered in one frame: one round trip
// for them all. See stub.Batch for what it guarantees.
type Batch = stub.Batch

// BatchOption adjusts a batch.
type BatchOption func(*batchConfig)

type batchConfig struct{ stopOnError bool }

// StopOnError makes the batch stop at the first call that fails: the
// calls after it do not run, and fail with objerr.ErrBatchStopped (not
// sent). Without it, each call's failure is its own.
func StopOnError() BatchOption { return func(c *batchConfig) { c.stopOnError = true } }

// NewBatch returns an empty batch. Bind stubs to it with InBatch, make
// calls through their async form, then Send it.
func NewBatch(opts ...BatchOption) *Batch {
	var cfg batchConfig
	for _, o := range opts {
		o(&cfg)
	}
	return link.NewBatch(cfg.stopOnError).(*stub.Batch)
}

// InBatch returns a T whose async calls (through objstub's AsyncXxx)
// join b instead of leaving at once; it shares v's reference (releasing
// either releases both). A synchronous call on it fails, not sent: its
// reply would come only once the batch is sent. v must be a stub: a
// local object, which no frame reaches, cannot be batched.
func InBatch[T any](b *Batch, v T) (T, error) {
	var zero T
	if b == nil {
		return zero, fmt.Errorf("objrmi: InBatch: nil batch")
	}
	bv, err := link.InBatch(v, b)
	if err != nil {
		return zero, err
	}
	t, ok := bv.(T)
	if !ok {
		return zero, fmt.Errorf("objrmi: InBatch: %T is not a %T", bv, zero)
	}
	return t, nil
}
