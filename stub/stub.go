package stub

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/objrmi/objrmi/internal/codec"
	"github.com/objrmi/objrmi/internal/iface"
	"github.com/objrmi/objrmi/internal/link"
	"github.com/objrmi/objrmi/internal/retry"
	"github.com/objrmi/objrmi/internal/transport"
	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
)

// Stub is a client-side handle on one remote object.
type Stub struct {
	it   *iface.Interface
	ref  wire.Ref
	rt   link.StubRuntime
	refs codec.Refs
	hold *hold // nil for references the runtime does not count
	// Fault tolerance (retry.go): the runtime's policies, the stub's own
	// retry policy, and the replica group its calls go to, if any.
	res   link.Resilience
	retry *retry.Policy
	group link.Group
	// batch, if set, takes the stub's async calls (see InBatch); base is
	// the stub it was bound from, kept alive (and counted) with it.
	batch *Batch
	base  *Stub
}

// hold is a stub's count on its reference. It must not point back at the
// Stub: it is the argument of the Stub's cleanup.
type hold struct {
	release  func()
	released atomic.Bool
}

func (h *hold) end() {
	if !h.released.Swap(true) {
		h.release()
	}
}

// bind makes a stub for ref. When the runtime counts the reference, the
// count ends at Release or, failing that, when Go's garbage collector
// reclaims the stub.
func bind(it *iface.Interface, ref wire.Ref, rt link.StubRuntime) *Stub {
	var release func()
	refs, release := rt.Bind(ref) // sees the owner's pin, if any
	ref.Pin = 0
	s := &Stub{it: it, ref: ref, rt: rt, refs: refs}
	s.res, _ = rt.(link.Resilience)
	if release != nil {
		s.hold = &hold{release: release}
		runtime.AddCleanup(s, (*hold).end, s.hold)
	}
	return s
}

func (s *Stub) released() error {
	if s.hold != nil && s.hold.released.Load() {
		return &objerr.Error{Kind: objerr.KindNotSent, Code: objerr.CodeNoSuchObject,
			Reason: fmt.Sprintf("this stub for %s was released", s.ref)}
	}
	return nil
}

// objrmiStub lets the runtime recognise a shell (which embeds *Stub)
// without reflection: the method is promoted through the embedding.
func (s *Stub) objrmiStub() *Stub { return s }

type shell interface{ objrmiStub() *Stub }

// from returns the Stub inside a generated shell, or false if v is not a stub.
func from(v any) (*Stub, bool) {
	sh, ok := v.(shell)
	if !ok {
		return nil, false
	}
	return sh.objrmiStub(), true
}

// Invoke calls method number index (in the interface's sorted method
// order) with args, decoding the results into the pointers in results.
// A method marked oneway returns once its call is written to the
// connection: nil then says nothing about the method, which sends no
// reply. A method that streams (its result is an iter.Seq2[T, error])
// returns once the method has, storing a single-use iterator over the
// stream in results[0] (see stream.go). A nil ctx fails the call, not
// sent, with objerr.ErrNilContext.
//
// Invoke keeps neither slice: a shell's []any literals stay on its stack.
// Only the paths that hand the call to code that could outlive it
// (interceptors, retries, streams) copy them.
func (s *Stub) Invoke(ctx context.Context, index int, args []any, results []any) error {
	m := s.it.Methods[index]
	if m.Stream != nil {
		return s.invokeStream(ctx, m, slices.Clone(args), slices.Clone(results))
	}
	err := s.released()
	if err == nil && s.batch != nil {
		err = errBatched
	}
	if err == nil {
		var flags wire.CallFlags
		if m.Marks.Has(iface.OneWay) {
			flags = wire.FlagNoReply
		}
		if hooked(ctx, s.rt) || s.resilient(ctx, m) {
			// The interceptors wrap the whole call, its retries included.
			args, results := slices.Clone(args), slices.Clone(results)
			err = intercepted(ctx, s.rt, &s.ref, m.Name, flags, func(ctx context.Context) error {
				if s.resilient(ctx, m) {
					return s.invokeResilient(ctx, m, args, results) // retry.go
				}
				return s.invoke(ctx, m, flags, args, results)
			})
		} else {
			err = s.invoke(ctx, m, flags, args, results)
		}
		runtime.KeepAlive(s) // counted as held until the call is served
	}
	if err != nil {
		return annotate(err, m)
	}
	return nil
}

// invoke is one plain round trip of m.
func (s *Stub) invoke(ctx context.Context, m *iface.Method, flags wire.CallFlags, args, results []any) error {
	return call(ctx, s.rt, &s.ref, m.Hash, "", flags, func(e *wire.Encoder) error {
		return codec.EncodeList(e, m.In, args, s.refs)
	}, func(d *wire.Decoder) error {
		return codec.DecodeList(d, m.Out, results, s.refs)
	})
}

// probe checks that the object exists and is exported as the stub's
// interface (iface, when the stub has no table: a Dynamic handle),
// running nothing: remote.Dial uses it to fail at once, with the precise
// error, rather than at the first call. It returns the server's marks of
// the interface's marked methods.
func probe(ctx context.Context, rt link.StubRuntime, ref *wire.Ref, ifaceName string) (map[string]iface.Marks, error) {
	marks := map[string]iface.Marks{}
	err := call(ctx, rt, ref, wire.ProbeMethod, ifaceName, 0, func(e *wire.Encoder) error {
		return e.EncodeArrayLen(0)
	}, func(d *wire.Decoder) error {
		if n, err := d.DecodeArrayLen(); err != nil || n != 1 {
			return fmt.Errorf("a probe's reply has %d results, want 1 (%v)", n, err)
		}
		n, err := d.DecodeArrayLen()
		if err != nil || n%2 != 0 {
			return fmt.Errorf("a probe's marks: %d values, want pairs (%v)", n, err)
		}
		for range n / 2 {
			name, err := d.BoundedString()
			if err != nil {
				return err
			}
			m, err := d.DecodeUint8()
			if err != nil {
				return err
			}
			marks[name] = iface.Marks(m)
		}
		return nil
	})
	return marks, withOp(err, "Dial "+ifaceName)
}

// withOp names the call in err if it names none yet. It works on a copy:
// one error value can reach several callers (a dial that failed them
// all), so shared errors are never mutated.
func withOp(err error, op string) error {
	if e, ok := err.(*objerr.Error); ok && e.Op == "" {
		cp := *e
		cp.Op = op
		return &cp
	}
	return err
}

// annotate names the call in the error and, for a signature mismatch,
// adds this side's signature next to the server's. It works on a copy:
// one error value can reach several callers (a dial that failed them all).
func annotate(err error, m *iface.Method) error {
	orig, ok := err.(*objerr.Error)
	if !ok {
		return err
	}
	e := new(objerr.Error)
	*e = *orig
	if e.Op == "" {
		e.Op = m.Op
	}
	if e.Code == objerr.CodeNoSuchMethod {
		e.Reason += "; this client has " + m.Sig
	}
	return e
}

// call is one round trip: encode, send, wait, decode.
func call(ctx context.Context, rt link.StubRuntime, ref *wire.Ref, hash uint64, name string, flags wire.CallFlags,
	encode func(*wire.Encoder) error, decode func(*wire.Decoder) error) error {
	c, b, err := prepare(ctx, rt, ref, hash, name, flags, encode)
	if err != nil {
		return err
	}
	var f *wire.Frame
	if flags&wire.FlagNoReply != 0 {
		err = c.Send(ctx, b)
	} else {
		f, err = c.Call(ctx, b)
	}
	if idleRace(err) {
		return call(ctx, rt, ref, hash, name, flags, encode, decode)
	}
	if err != nil || f == nil {
		return err
	}
	defer f.Release()
	return decodeReply(f.Body(), rt.Codes(), replyMeta(ctx), decode)
}

// prepare finds the connection to ref's owner and encodes the call
// frame for it, ready to send.
func prepare(ctx context.Context, rt link.StubRuntime, ref *wire.Ref, hash uint64, name string, flags wire.CallFlags,
	encode func(*wire.Encoder) error) (*transport.Conn, *wire.Buffer, error) {
	return prepareHeader(ctx, rt, ref, wire.CallHeader{Method: hash, Name: name, Flags: flags}, encode)
}

// prepareHeader is prepare for a header whose method, name, flags and
// credit are given; it fills in the object, the call's identity, its
// metadata and its remaining time.
func prepareHeader(ctx context.Context, rt link.StubRuntime, ref *wire.Ref, h wire.CallHeader,
	encode func(*wire.Encoder) error) (*transport.Conn, *wire.Buffer, error) {
	if ctx == nil {
		return nil, nil, errNilContext
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, transport.ContextError(objerr.KindNotSent, ctx)
	}
	c, err := rt.Conn(ctx, ref)
	if err != nil {
		return nil, nil, err
	}
	// The remaining time is taken after dialing, so the server's deadline
	// is never later than the caller's.
	h.Object = ref.Object
	if h.Flags&wire.FlagSeq != 0 { // exactly-once: the call's identity (retry.go)
		if h.Seq, h.Acked, err = retry.Stamp(ctx, c.Peer().Runtime); err != nil {
			return nil, nil, err
		}
	}
	if err := callMeta(ctx, &h); err != nil { // metadata: stub/intercept.go
		return nil, nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		h.Timeout = int64(time.Until(dl))
		if h.Timeout <= 0 {
			return nil, nil, &objerr.Error{Kind: objerr.KindNotSent, Code: objerr.CodeDeadlineExceeded, Err: context.DeadlineExceeded}
		}
	}
	b := wire.GetBuffer(wire.KindCall)
	e := wire.NewEncoder(b)
	err = wire.PutCall(b, e, &h)
	if err == nil {
		err = encode(e)
	}
	e.Release()
	if err != nil {
		b.Release()
		return nil, nil, &objerr.Error{Kind: objerr.KindNotSent, Code: objerr.CodeEncoding, Reason: "arguments", Err: err}
	}
	return c, b, nil
}

// idleRace reports a call that this runtime's closing of an idle
// connection kept from leaving, just as it was queued: it never left, so
// it goes once more, on a new connection.
func idleRace(err error) bool {
	return err != nil && errors.Is(err, transport.ErrIdle) && errors.Is(err, objerr.ErrNotSent)
}

// decodeReply decodes a reply's body (after the kind byte): the results,
// through decode, or the error it carries.
func decodeReply(body []byte, codes *objerr.Codes, meta *[]string, decode func(*wire.Decoder) error) error {
	d := wire.NewDecoder(body)
	defer d.Release()
	var rh wire.ReturnHeader
	if err := wire.ReadReturn(d, &rh); err != nil {
		return &objerr.Error{Kind: objerr.KindOutcomeUnknown, Code: objerr.CodeProtocol, Reason: "reply header", Err: err}
	}
	if meta != nil && wire.CheckMeta(rh.Meta) == nil {
		// Reply metadata past the limits (which a hand-made reply can
		// carry: readMeta bounds only the pairs) is left out; the
		// results are the method's, and still come back.
		*meta = rh.Meta
	}
	if rh.Code != 0 {
		return remoteError(d, rh.Code, codes)
	}
	if err := decode(d); err != nil {
		return &objerr.Error{Kind: objerr.KindOutcomeUnknown, Code: objerr.CodeEncoding,
			Reason: "the method ran but its results did not decode", Err: err}
	}
	return nil
}

// errNilContext refuses a call given a nil context. It is shared, and
// never mutated (see annotate).
var errNilContext = &objerr.Error{Kind: objerr.KindNotSent, Err: objerr.ErrNilContext}

// remoteError rebuilds the server's error from a failed reply's body.
func remoteError(d *wire.Decoder, code objerr.Code, codes *objerr.Codes) error {
	var eb wire.ErrorBody
	if err := wire.ReadError(d, &eb); err != nil {
		return &objerr.Error{Kind: objerr.KindOutcomeUnknown, Code: objerr.CodeProtocol, Reason: "error body: " + err.Error(), Err: err}
	}
	return remoteErrorOf(code, &eb, codes)
}

// remoteErrorOf is the error the server sent. Refusals (the method never
// ran) are "not sent"; errors and panics of the method are "remote".
func remoteErrorOf(code objerr.Code, eb *wire.ErrorBody, codes *objerr.Codes) error {
	kind := objerr.KindRemote
	switch code {
	case objerr.CodeRecordGone: // this attempt did not run; an earlier one may have
		kind = objerr.KindOutcomeUnknown
	case objerr.CodeNoSuchObject, objerr.CodeNoSuchMethod, objerr.CodeBadArguments,
		objerr.CodeAccessDenied, objerr.CodeOverloaded, objerr.CodeLimit, objerr.CodeUnsupported,
		objerr.CodeClosed, // from a peer: it was closing, and did not run the call
		objerr.CodeBatchStopped:
		kind = objerr.KindNotSent
	}
	cause := codes.Sentinel(eb.AppCode)
	switch code {
	case objerr.CodeDeadlineExceeded:
		// The method ran out of the caller's time and said so: the same
		// error the caller's own context gives.
		cause = context.DeadlineExceeded
	case objerr.CodeCanceled:
		cause = context.Canceled
	}
	return &objerr.Error{Kind: kind, Code: code, Reason: eb.Message, RemoteType: eb.Type,
		AppCode: eb.AppCode, Err: cause, RetryAfter: time.Duration(max(eb.RetryAfter, 0))}
}

// shells maps an interface type to its generated constructor. Like
// reflect's own tables it is derived from the program's types, filled at
// init by generated code and never configured, so it is process-wide.
var shells sync.Map // reflect.Type -> func(*Stub) any

// Register records the generated shell constructor for the remote
// interface T, and the marks of its methods: what each may be used for,
// as //objrmi: directives above the methods declare it ("Post:oneway",
// "Members:readonly", "SetTopic:idempotent"; see remote.SetMarks).
// Generated code calls it from init.
//
// It never panics, and logs nothing: a panic at init would stop every
// program that imports the package, tests and tools included, for an
// interface it may never use. If T is not a valid remote interface, or a
// mark does not parse or fit its method (objstub refuses to generate a
// shell for either, but a shell may be older than the rules, or written
// by hand), no shell is recorded, and every use of T (Export, Dial,
// StubOf, a registry lookup) fails with the *objerr.InterfaceError that
// says why, as each builds T's method table before it needs a shell.
func Register[T any](newShell func(*Stub) T, marks ...string) {
	t := reflect.TypeFor[T]()
	if len(marks) > 0 {
		if err := iface.SetMarks(t, marks); err != nil {
			return
		}
	}
	if _, err := iface.Of(t); err != nil {
		return
	}
	shells.Store(t, func(s *Stub) any { return newShell(s) })
}

// newShell returns a value of the interface type it whose calls go to ref.
func newShell(it *iface.Interface, ref wire.Ref, rt link.StubRuntime) (reflect.Value, error) {
	mk, ok := shells.Load(it.Type)
	if !ok {
		return reflect.Value{}, &objerr.Error{Kind: objerr.KindNotSent, Code: objerr.CodeEncoding,
			Reason: fmt.Sprintf("no stub for %s: generate one with objstub (//go:generate go tool objstub -type %s)", it.Type, it.Name)}
	}
	return reflect.ValueOf(mk.(func(*Stub) any)(bind(it, ref, rt))), nil
}
