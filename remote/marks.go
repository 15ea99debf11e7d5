package remote

import (
	"reflect"

	"github.com/objrmi/objrmi/internal/iface"
)

// SetMarks declares what the methods of the remote interface T may be
// used for, for code without objstub's generated file (which declares the
// marks written as //objrmi: directives above the methods). Each mark is
// "Method:word[,word...]", the words being:
//
//   - oneway: the caller does not wait. The call returns once it is
//     written to the connection, and the server sends no reply; a method
//     that fails or panics is logged and counted there
//     (Snapshot.OneWayFailed). Only a method whose one result is error can
//     be oneway.
//   - readonly: the method changes nothing, so it may run again.
//   - idempotent: running it twice has the effect of running it once.
//
// An unmarked method runs at most once. Marks are not part of a method's
// hash: changing one keeps it callable by peers built before. The
// server's marks decide: a Dynamic handle learns them from the server.
//
// SetMarks must come before T is first used (Export, Dial, StubOf, a
// lookup); it fails, as every later use of T does, with an
// *objerr.InterfaceError if a mark does not parse or does not fit its
// method.
func SetMarks[T any](marks ...string) error { return iface.SetMarks(reflect.TypeFor[T](), marks) }
