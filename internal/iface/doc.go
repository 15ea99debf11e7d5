// Package iface turns a Go interface type into a remote interface: it
// checks the rules once, by reflection, and builds the method table that
// both stubs and skeletons use, with each method's wire hash and the shape
// of every parameter (value, remote reference, or value that objrmi walks
// itself because a reference or an untyped any hides inside).
//
// The rules are written over Type, which reflect feeds at run time and
// cmd/objstub feeds from go/types (Check), so that the generator refuses
// what Export refuses, with the same message.
//
// Tables are immutable once built and cached per type for the process:
// they are derived from the type system, like reflect's own caches, and
// carry no configuration.
package iface
