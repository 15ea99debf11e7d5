// Package stub is the client half of an objrmi call. A Stub holds a remote
// reference and the interface's method table, encodes the arguments,
// sends the call over the runtime's connection to the owner, and decodes
// the results or the error.
//
// Go cannot create a type with methods at run time, so a tiny generated
// shell (cmd/objstub, run by go generate) gives users a value of their
// interface type. The shell only forwards to Stub.Invoke; all real work
// is here. Tools that have no generated code use Dynamic instead: a
// method name and arguments, decoded by the server into its own types.
package stub
