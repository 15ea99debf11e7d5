package objerr

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Kind says whether a failed call can have reached the method.
type Kind uint8

const (
	// KindNotSent means the call never left the caller: safe to retry.
	KindNotSent Kind = iota + 1
	// KindOutcomeUnknown means the call was sent but no answer came back.
	KindOutcomeUnknown
	// KindRemote means the method ran (or was refused by the server) and
	// the server answered with an error.
	KindRemote
)

func (k Kind) String() string {
	switch k {
	case KindNotSent:
		return "not sent"
	case KindOutcomeUnknown:
		return "outcome unknown"
	case KindRemote:
		return "remote"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Code is the precise reason a call failed. Codes are part of the wire
// protocol: never renumber them.
type Code uint8

const (
	CodeUnknown          Code = 0  // no code (a bug, or an older peer)
	CodeApplication      Code = 1  // the method returned an error
	CodePanic            Code = 2  // the method panicked
	CodeNoSuchObject     Code = 3  // the object id is not exported
	CodeNoSuchMethod     Code = 4  // no method with that name and signature
	CodeBadArguments     Code = 5  // the arguments did not decode into the declared types
	CodeCanceled         Code = 6  // the caller's context was cancelled
	CodeDeadlineExceeded Code = 7  // the caller's deadline passed
	CodeConnection       Code = 8  // dial, handshake or connection failure
	CodeClosed           Code = 9  // the local runtime is closed
	CodeEncoding         Code = 10 // a value could not be encoded or decoded locally
	CodeProtocol         Code = 11 // the peer broke the protocol
	CodeAccessDenied     Code = 12 // the server refused the caller
	CodeOverloaded       Code = 13 // the server refused for lack of capacity
	CodeLimit            Code = 14 // a message broke one of the receiver's limits
	CodeUnauthenticated  Code = 15 // the peer requires authentication the caller did not pass
	CodeTLSMismatch      Code = 16 // one side speaks TLS and the other does not
	// CodeResultLimit: the method ran, but its result was too large for
	// the caller to accept, so the server sent this error instead.
	CodeResultLimit Code = 17
	// CodeUnsupported: the callee does not support what the call asked
	// for (promise pipelining, for now); nothing ran.
	CodeUnsupported Code = 18
	// CodeRecordGone: a retry found no completion record of its call's
	// first run (the server runtime restarted, or the record's window
	// passed), so it was not run again: the call may have run once.
	CodeRecordGone Code = 19
	// CodeCircuitOpen: the caller's circuit breaker for the endpoint is
	// open after repeated failures; the call was not sent.
	CodeCircuitOpen Code = 20
	// CodeUnavailable: no member of a replica group could take the call
	// (the group is empty, or every member is ejected); not sent.
	CodeUnavailable Code = 21
	// CodeBatchStopped: the call was not run: an earlier call of its
	// batch failed, and the batch stops at the first error.
	CodeBatchStopped Code = 22
)

var codeNames = [...]string{
	CodeUnknown:          "unknown",
	CodeApplication:      "application error",
	CodePanic:            "method panicked",
	CodeNoSuchObject:     "no such object",
	CodeNoSuchMethod:     "no such method / signature mismatch",
	CodeBadArguments:     "bad arguments",
	CodeCanceled:         "canceled",
	CodeDeadlineExceeded: "deadline exceeded",
	CodeConnection:       "connection failed",
	CodeClosed:           "runtime closed",
	CodeEncoding:         "encoding failed",
	CodeProtocol:         "protocol violation",
	CodeAccessDenied:     "access denied",
	CodeOverloaded:       "overloaded",
	CodeLimit:            "limit exceeded",
	CodeUnauthenticated:  "unauthenticated",
	CodeTLSMismatch:      "TLS mismatch",
	CodeResultLimit:      "result exceeds a limit",
	CodeUnsupported:      "unsupported",
	CodeRecordGone:       "completion record gone",
	CodeCircuitOpen:      "circuit open",
	CodeUnavailable:      "unavailable",
	CodeBatchStopped:     "batch stopped",
}

func (c Code) String() string {
	if int(c) < len(codeNames) {
		return codeNames[c]
	}
	return fmt.Sprintf("code(%d)", uint8(c))
}

// Sentinels. Match them with errors.Is; never match an error's text.
var (
	// The three kinds.
	ErrNotSent        = &sentinel{kind: KindNotSent}
	ErrOutcomeUnknown = &sentinel{kind: KindOutcomeUnknown}
	ErrRemote         = &sentinel{kind: KindRemote}

	// The codes a caller most often branches on.
	ErrNoSuchObject = &sentinel{code: CodeNoSuchObject}
	ErrNoSuchMethod = &sentinel{code: CodeNoSuchMethod}
	ErrBadArguments = &sentinel{code: CodeBadArguments}
	ErrPanic        = &sentinel{code: CodePanic}
	ErrConnection   = &sentinel{code: CodeConnection}
	ErrClosed       = &sentinel{code: CodeClosed}
	ErrEncoding     = &sentinel{code: CodeEncoding}
	ErrProtocol     = &sentinel{code: CodeProtocol}
	ErrAccessDenied = &sentinel{code: CodeAccessDenied}
	ErrOverloaded   = &sentinel{code: CodeOverloaded}
	// ErrLimit: a message broke a limit, before the method ran
	// (CodeLimit, not sent) or after (CodeResultLimit, remote).
	ErrLimit = &sentinel{code: CodeLimit, also: CodeResultLimit}
	// ErrUnauthenticated: the server wants a client certificate or a
	// token, and got none it accepts.
	ErrUnauthenticated = &sentinel{code: CodeUnauthenticated}
	// ErrTLSMismatch: the dialler spoke TLS to a plaintext runtime, or
	// plaintext to one that requires TLS.
	ErrTLSMismatch = &sentinel{code: CodeTLSMismatch}
	ErrApplication = &sentinel{code: CodeApplication}
	ErrCanceled    = &sentinel{code: CodeCanceled}
	ErrDeadline    = &sentinel{code: CodeDeadlineExceeded}
	// ErrUnsupported: the callee does not support what the call asked
	// for; nothing ran.
	ErrUnsupported = &sentinel{code: CodeUnsupported}
	// ErrRecordGone: a retry of a call protected by exactly-once records
	// found its record gone (the server runtime restarted, or the record
	// expired); it was not run again, and the call may have run once.
	ErrRecordGone = &sentinel{code: CodeRecordGone}
	// ErrCircuitOpen: the endpoint failed repeatedly and its circuit
	// breaker fails calls fast, not sent, until a probe succeeds.
	ErrCircuitOpen = &sentinel{code: CodeCircuitOpen}
	// ErrUnavailable: a replica group had no member to take the call.
	ErrUnavailable = &sentinel{code: CodeUnavailable}
	// ErrBatchStopped: the call was not run because an earlier call of
	// its batch failed and the batch stops at the first error (not sent).
	ErrBatchStopped = &sentinel{code: CodeBatchStopped}
)

// ErrNilContext: a call, a dial or a wait was given a nil
// context.Context. It is a bug in the caller, reported inside a "not
// sent" *Error instead of a panic, as net/http's NewRequestWithContext
// refuses a nil context with an error.
var ErrNilContext = errors.New("nil context.Context: pass context.Background() or a context with a deadline")

// sentinel matches any *Error of its kind or code.
type sentinel struct {
	kind Kind
	code Code
	also Code // a second code it matches, if not 0
}

func (s *sentinel) Error() string {
	if s.kind != 0 {
		return "objrmi: " + s.kind.String()
	}
	return "objrmi: " + s.code.String()
}

// Error is the error every objrmi call returns.
type Error struct {
	Kind Kind // whether the method can have run
	Code Code // why the call failed
	// Op names the call, "Interface.Method", when known.
	Op string
	// Reason is a human explanation ("object 7 was unexported", "owner
	// runtime restarted"); for remote errors it is the server's message.
	Reason string
	// RemoteType is the Go type of an application error on the server.
	RemoteType string
	// AppCode is the registered code of an application error, if any.
	AppCode string
	// Err is the underlying cause: a local error, or the client's own
	// sentinel registered under AppCode. errors.Is and As see through it.
	Err error
	// RetryAfter is when the server (an overloaded one, or a circuit
	// breaker here) advises trying again; 0 for no advice.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("objrmi")
	if e.Op != "" {
		b.WriteString(": ")
		b.WriteString(e.Op)
	}
	b.WriteString(": ")
	b.WriteString(e.Code.String())
	fmt.Fprintf(&b, " (%s)", e.Kind)
	if e.Reason != "" {
		b.WriteString(": ")
		b.WriteString(e.Reason)
	}
	// A registered sentinel is usually in the server's message already.
	if e.Err != nil && !strings.Contains(e.Reason, e.Err.Error()) {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.RemoteType != "" && e.AppCode == "" { // a code says more than a type
		fmt.Fprintf(&b, " [%s]", e.RemoteType)
	}
	return b.String()
}

// Unwrap gives the cause, so errors.Is matches local causes such as
// context.DeadlineExceeded and registered application sentinels.
func (e *Error) Unwrap() error { return e.Err }

// Is matches the kind and code sentinels of this package.
func (e *Error) Is(target error) bool {
	s, ok := target.(*sentinel)
	if !ok {
		return false
	}
	if s.kind != 0 {
		return s.kind == e.Kind
	}
	return s.code == e.Code || s.also != 0 && s.also == e.Code
}

// Timeout reports whether the call failed because a deadline passed, so
// that *Error satisfies the Timeout half of net.Error.
func (e *Error) Timeout() bool { return e.Code == CodeDeadlineExceeded }

// Temporary reports whether retrying may succeed: only for calls never sent.
func (e *Error) Temporary() bool { return e.Kind == KindNotSent }

// KindOf reports the kind of err, or 0 if err is not from objrmi.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

// CodeOf reports the code of err, or CodeUnknown.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeUnknown
}
