// Package objerr holds the errors every objrmi call can return.
//
// Each error a stub returns says whether the call can have reached the
// method, as one of three kinds that errors.Is can test:
//
//   - ErrNotSent: the call never left this runtime (connect failed, the
//     arguments did not encode, the object does not exist). Safe to retry.
//   - ErrOutcomeUnknown: the call was sent and then the connection was lost
//     or the caller gave up. The method may have run.
//   - ErrRemote: the method ran and returned an error, or panicked.
//
// A finer Code says what happened (no such object, no such method, panic,
// application error, ...), and travels on the wire as a number. Application
// errors keep their message and Go type name; sentinels that both sides
// register under the same code (see Codes) come back as themselves, so
// errors.Is(err, ErrInsufficientFunds) works on the client.
//
// This package is a leaf: it imports nothing from objrmi.
package objerr
