package registry

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync/atomic"

	"github.com/objrmi/objrmi/remote"
)

//go:generate go run github.com/objrmi/objrmi/cmd/objstub -async=false -type Groups,MembersListener

// GroupsID is the well-known object id of a registry's replica groups
// (Groups), next to the registry itself at remote.RegistryID.
const GroupsID = 4

// Groups is the remote interface of a registry's replica groups: several
// objects of one remote interface joined under one name, so that a
// client's group stub (LookupGroup) balances its calls over them and
// fails over between them. A group is apart from the bindings: Bind keeps
// a name for one object. Like a bound object, a member is held by the
// registry, and leaves its group once its owner is gone (its lease
// lapsed).
type Groups interface {
	// Join adds member to group, creating the group; joining twice is
	// harmless. It returns once the registry holds a lease on member.
	Join(ctx context.Context, group string, member remote.Ref) error
	// Leave removes member from group, or fails with ErrNotMember.
	Leave(ctx context.Context, group string, member remote.Ref) error
	// Members lists group's members, in the order they joined; none for
	// a group no one joined.
	Members(ctx context.Context, group string) ([]remote.Ref, error)
	// Watch calls l with group's members now and after every change,
	// one call at a time, each with the members as they are when it is
	// made. It ends when a call of l fails, or l's owner is gone.
	Watch(ctx context.Context, group string, l MembersListener) error
}

// MembersListener hears of a group's members (Groups.Watch).
type MembersListener interface {
	Changed(ctx context.Context, group string, members []remote.Ref) error
}

// The operations on groups that Access rules on.
const (
	OpJoin  Op = "join"
	OpLeave Op = "leave"
)

// ErrNotMember: Leave found no such member in the group.
var ErrNotMember = errors.New("objrmi registry: not a member of the group")

// ErrNoGroups: the registry's store keeps no groups (it does not
// implement GroupStore).
var ErrNoGroups = errors.New("objrmi registry: the store keeps no replica groups")

// groups dials the registry's groups.
func (c *Client) groups(ctx context.Context) (Groups, error) {
	endpoint := c.url.Endpoint()
	if c.url.TLS {
		endpoint = "tls:" + endpoint
	}
	return remote.Dial[Groups](ctx, c.rt, endpoint, GroupsID)
}

// Join adds member to group (see Groups.Join).
func (c *Client) Join(ctx context.Context, group string, member remote.Ref) error {
	g, err := c.groups(ctx)
	if err == nil {
		err = g.Join(ctx, group, member)
	}
	return c.wrap(err)
}

// Leave removes member from group (see Groups.Leave).
func (c *Client) Leave(ctx context.Context, group string, member remote.Ref) error {
	g, err := c.groups(ctx)
	if err == nil {
		err = g.Leave(ctx, group, member)
	}
	return c.wrap(err)
}

// Members lists group's members (see Groups.Members).
func (c *Client) Members(ctx context.Context, group string) ([]remote.Ref, error) {
	g, err := c.groups(ctx)
	if err != nil {
		return nil, c.wrap(err)
	}
	m, err := g.Members(ctx, group)
	return m, c.wrap(err)
}

// Watch has l hear of group's members (see Groups.Watch).
func (c *Client) Watch(ctx context.Context, group string, l MembersListener) error {
	g, err := c.groups(ctx)
	if err == nil {
		err = g.Watch(ctx, group, l)
	}
	return c.wrap(err)
}

// LookupGroup returns one T for the replica group at url
// (objrmi://host[:port]/group): each call goes to one member, balanced
// and failed over as remote.Group describes, and the members follow the
// registry's group as it changes (a watch). A group with no members is
// no error here: its calls fail, not sent, with objerr.ErrUnavailable
// until one joins. remote.Release of the stub ends the watch.
func LookupGroup[T any](ctx context.Context, rt *remote.Runtime, url string, opts remote.GroupOptions) (T, error) {
	var zero T
	u, err := ParseURL(url)
	if err != nil {
		return zero, err
	}
	if u.Name == "" {
		return zero, &URLError{URL: url, Reason: "empty group name: want objrmi://host:port/group", Err: ErrBadName}
	}
	c, err := dial(ctx, rt, u)
	if err != nil {
		return zero, err
	}
	gs, err := c.groups(ctx)
	if err != nil {
		return zero, c.wrap(err)
	}
	g, err := remote.NewGroup(rt, u.String(), opts)
	if err != nil {
		return zero, err
	}
	want := reflect.TypeFor[T]().Name()
	l := &groupListener{g: g, iface: want}
	members, err := gs.Members(ctx, u.Name)
	if err != nil {
		return zero, c.wrap(err)
	}
	if err := l.set(members); err != nil {
		return zero, fmt.Errorf("%s: %w", u, err)
	}
	t, err := remote.GroupStub[T](g)
	if err != nil {
		return zero, err
	}
	g.OnClose(func() { l.closed.Store(true) })
	if err := gs.Watch(ctx, u.Name, l); err != nil {
		g.Close()
		return zero, c.wrap(err)
	}
	return t, nil
}

// groupListener keeps a client's Group in step with the registry's.
type groupListener struct {
	g      *remote.Group
	iface  string
	closed atomic.Bool
}

var errWatchEnded = errors.New("objrmi registry: the group stub was released; no more changes wanted")

// Changed implements MembersListener.
func (l *groupListener) Changed(_ context.Context, _ string, members []remote.Ref) error {
	if l.closed.Load() {
		return errWatchEnded // the registry drops the watch
	}
	l.set(members) // a member of another interface is left out
	return nil
}

// set takes the members of the right interface.
func (l *groupListener) set(members []remote.Ref) error {
	keep := members[:0:0]
	for _, m := range members {
		if m.Iface == l.iface {
			keep = append(keep, m)
		}
	}
	if len(keep) < len(members) {
		l.g.Set(keep)
		return fmt.Errorf("%w: the group has members of another interface than %s", ErrWrongType, l.iface)
	}
	l.g.Set(keep)
	return nil
}
