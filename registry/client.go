package registry

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/remote"
)

// Client calls a registry at a URL.
type Client struct {
	rt  *remote.Runtime
	url URL
	reg Registry
}

// Dial returns a client of the registry at url (objrmi://host[:port]),
// connecting rt to it.
func Dial(ctx context.Context, rt *remote.Runtime, url string) (*Client, error) {
	u, err := ParseURL(url)
	if err != nil {
		return nil, err
	}
	if u.Name != "" {
		return nil, &URLError{URL: url, Reason: "a registry's URL names no object: want objrmi://host:port"}
	}
	return dial(ctx, rt, u)
}

func dial(ctx context.Context, rt *remote.Runtime, u URL) (*Client, error) {
	if err := registerCodes(rt); err != nil {
		return nil, err
	}
	endpoint := u.Endpoint()
	if u.TLS {
		endpoint = "tls:" + endpoint
	}
	reg, err := remote.Dial[Registry](ctx, rt, endpoint, remote.RegistryID)
	if err != nil {
		return nil, fmt.Errorf("objrmi registry: %s: %w", u.Registry(), err)
	}
	return &Client{rt: rt, url: u.Registry(), reg: reg}, nil
}

// URL is the registry's URL.
func (c *Client) URL() string { return c.url.String() }

// Bind binds name to obj (a reference from remote.Export, or
// remote.RefOf a stub), or fails with ErrAlreadyBound.
func (c *Client) Bind(ctx context.Context, name string, obj remote.Ref) error {
	return c.wrap(c.reg.Bind(ctx, name, obj))
}

// Rebind binds name to obj, replacing any binding of name.
func (c *Client) Rebind(ctx context.Context, name string, obj remote.Ref) error {
	return c.wrap(c.reg.Rebind(ctx, name, obj))
}

// Unbind removes name, or fails with ErrNotBound.
func (c *Client) Unbind(ctx context.Context, name string) error {
	return c.wrap(c.reg.Unbind(ctx, name))
}

// Lookup returns the reference bound to name, or fails with ErrNotBound.
// remote.StubOf turns it into a stub; LookupIn does both.
func (c *Client) Lookup(ctx context.Context, name string) (remote.Ref, error) {
	ref, err := c.reg.Lookup(ctx, name)
	return ref, c.wrap(err)
}

// List returns the bound names, sorted.
func (c *Client) List(ctx context.Context) ([]string, error) {
	names, err := c.reg.List(ctx)
	return names, c.wrap(err)
}

// wrap says which registry failed, and that there is none at its address
// if the runtime there does not serve one.
func (c *Client) wrap(err error) error {
	var oe *objerr.Error
	if errors.As(err, &oe) && oe.Code == objerr.CodeNoSuchObject {
		return fmt.Errorf("objrmi registry: no registry at %s (the runtime there serves none: start one with objregistry serve or registry.Serve): %w", c.url, err)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", c.url, err)
	}
	return nil
}

// Lookup returns the object bound at url (objrmi://host[:port]/name) as
// a T, a remote interface with a generated stub. It fails with
// ErrNotBound if nothing is bound there, and with ErrWrongType if the
// object was bound as another interface.
func Lookup[T any](ctx context.Context, rt *remote.Runtime, url string) (T, error) {
	var zero T
	u, err := ParseURL(url)
	if err != nil {
		return zero, err
	}
	if u.Name == "" {
		return zero, &URLError{URL: url, Reason: "empty name: want objrmi://host:port/name", Err: ErrBadName}
	}
	c, err := dial(ctx, rt, u)
	if err != nil {
		return zero, err
	}
	return LookupIn[T](ctx, c, u.Name)
}

// LookupIn is Lookup on a client already dialled.
func LookupIn[T any](ctx context.Context, c *Client, name string) (T, error) {
	var zero T
	want := reflect.TypeFor[T]()
	ref, err := c.Lookup(ctx, name)
	if err != nil {
		return zero, err
	}
	if ref.Iface != want.Name() {
		return zero, fmt.Errorf("%w: %s/%s is a %s, not a %s", ErrWrongType, c.url.Endpoint(), name, ref.Iface, want)
	}
	return remote.StubOf[T](c.rt, ref)
}
