// Package registry is objrmi's naming registry: a remote object, at the
// well-known id remote.RegistryID on its runtime, that maps names to
// references.
//
// Its operations behave as in Java RMI: Bind fails with ErrAlreadyBound
// if the name is taken, Rebind replaces, Unbind and Lookup fail with
// ErrNotBound, and List names every binding. Every error is a sentinel
// that errors.Is recognises on the client as well as on the server.
//
// Unlike Java RMI's registry it does not hand out dead references for
// long. The registry holds a lease on every bound object, like any other
// holder, so a bound object stays alive while bound. When the object's
// runtime dies, the registry cannot renew that lease; once it has lapsed
// the binding is removed and the registry logs why. Unbind releases the
// registry's reference.
//
// A registry is addressed by URL: objrmi://host:port, where the port
// defaults to DefaultPort (1099, as Java RMI's). A bound object is
// objrmi://host:port/name, and Lookup returns it typed in one call:
//
//	calc, err := registry.Lookup[Calculator](ctx, rt, "objrmi://localhost/calc")
//
// A registry whose runtime speaks TLS has an objrmis:// URL, and the
// references it hands out tell their holders to dial TLS as well.
//
// Serve starts a registry inside any runtime (the embedded registry);
// cmd/objregistry runs one on its own. By default only callers on the
// registry's own host may change bindings (LocalOnly); LocalOr also gives
// the bind right to authenticated principals. The rule runs before the
// method, so a refused Bind never started. Lookup and List are open to
// all. Bindings are kept in a Store: in memory by default, or in
// a file (FileStore), so that they survive a restart. A FileStore whose
// directory cannot be written serves lookups and lists, and refuses
// changes with ErrReadOnly. A store's failure reaches a remote caller as
// ErrStore or ErrReadOnly, with no word of the server's files; the
// registry's log has the cause.
package registry
