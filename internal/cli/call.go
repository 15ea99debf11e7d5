package cli

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/objrmi/objrmi/objerr"
	"github.com/objrmi/objrmi/registry"
	"github.com/objrmi/objrmi/remote"
)

// objregistry call and describe: calling any object from the command
// line, as grpcurl does for gRPC, on remote.Dynamic. The arguments are
// converted through the object's description, which the owner's
// introspection object (remote.IntrospectID) gives, so that a wrong
// count or type is a usage error before anything is sent.

// callCommands are added to the command table (main.go).
var callCommands = []command{
	{"describe", "URL", "print the remote interface of the object at URL (objrmi://host:port/NAME, or objrmi://host:port#ID for a well-known id), as Go source", describeCmd},
	{"call", "URL METHOD [ARG...]", "call METHOD of the object at URL with ARGs (numbers, strings; JSON for structs, slices and maps) and print its results as JSON; flags go before URL", callCmd},
	{"health", "URL", "ask the runtime at URL (objrmi://host:port) whether it, or --service, is serving: exit status 0 if so, 1 if not or if it cannot be asked", health}, // health.go
}

// target is the object a call or describe command names, found.
type target struct {
	rt   *remote.Runtime
	ref  remote.Ref
	desc *remote.Description // nil if the owner offers no introspection
	why  error               // why desc is nil
}

// dialTarget parses URL flags first, then resolves URL to a reference:
// through the registry for objrmi://host:port/NAME, or directly for
// objrmi://host:port#ID. It asks the owner for its description.
func dialTarget(fs *flag.FlagSet, args []string, minArgs int, what string,
	do func(ctx context.Context, t *target, rest []string, step *string) error) error {
	timeout := durationFlag(fs, "timeout", 10*time.Second, "give up after this `duration`")
	tlsConfig := tlsFlags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%v: %w", err, errUsage)
	}
	pos := fs.Args()
	if len(pos) < minArgs {
		return fmt.Errorf("want %s (flags go before the URL): %w", what, errUsage)
	}
	if *timeout <= 0 {
		return fmt.Errorf("--timeout %s: must be positive: %w", *timeout, errUsage)
	}
	raw, id, wellKnown := strings.Cut(pos[0], "#")
	u, err := registry.ParseURL(raw)
	if err != nil {
		return fmt.Errorf("%w: %w", err, errUsage)
	}
	var num uint64
	switch {
	case wellKnown:
		if num, err = strconv.ParseUint(id, 10, 64); err != nil || num == 0 || u.Name != "" {
			return fmt.Errorf("%q: want objrmi://host:port#ID, ID a well-known object number: %w", pos[0], errUsage)
		}
	case u.Name == "":
		return fmt.Errorf("%q names no object: want objrmi://host:port/NAME or objrmi://host:port#ID: %w", pos[0], errUsage)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	rt, err := clientRuntime(tlsConfig, *timeout)
	if err != nil {
		return err
	}
	defer rt.Close()
	endpoint := endpointOf(u)
	t := &target{rt: rt}
	step := "the runtime at " + u.Endpoint() + " to answer"
	if wellKnown {
		t.ref = remote.WellKnown(endpoint, num, "")
	} else {
		step = "the registry " + u.Registry().String() + " to look up " + u.Name
		var c *registry.Client
		if c, err = registry.Dial(ctx, rt, u.Registry().String()); err == nil {
			t.ref, err = c.Lookup(ctx, u.Name)
		}
	}
	if err == nil {
		step = "the owner of the object to describe it"
		t.desc, t.why = describeRef(ctx, rt, t.ref)
		if t.desc != nil {
			t.ref.Iface = t.desc.Interface
		} else if t.ref.Iface == "" || !errors.Is(t.why, errNoIntrospection) {
			// The object is not there, or the owner would not describe
			// it; or it has no name to call it by.
			err = t.why
		}
	}
	if err == nil {
		step = "the call"
		err = do(ctx, t, pos[1:], &step)
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return &hinted{err: err, msg: fmt.Sprintf("nothing listens at %s (connection refused): check the host and port", u.Endpoint())}
	case err != nil && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, objerr.ErrDeadline)):
		return &hinted{err: err, msg: fmt.Sprintf("timed out after %s waiting for %s: give a longer --timeout", *timeout, step)}
	}
	return err
}

var errNoIntrospection = errors.New("the owner offers no introspection (its Options.DisableIntrospection is set)")

// describeRef asks ref's owner to describe it.
func describeRef(ctx context.Context, rt *remote.Runtime, ref remote.Ref) (*remote.Description, error) {
	ep := ref.Endpoint
	if ref.TLS {
		ep = "tls:" + ep
	}
	in := remote.WellKnown(ep, remote.IntrospectID, "Introspector")
	in.Runtime = ref.Runtime
	out, err := remote.Dynamic(rt, in).Call(ctx, "Describe", ref.Object)
	if err != nil {
		// Describe answers an unknown object with an error of its own:
		// "no such object" can only be the introspector itself.
		if errors.Is(err, objerr.ErrNoSuchObject) {
			return nil, fmt.Errorf("%w: %w", errNoIntrospection, err)
		}
		return nil, err
	}
	if len(out) != 1 {
		return nil, fmt.Errorf("the owner's description has %d values, want 1", len(out))
	}
	b, err := json.Marshal(out[0])
	if err != nil {
		return nil, err
	}
	var d remote.Description
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("the owner's description does not parse: %w", err)
	}
	if d.Version < 1 {
		return nil, fmt.Errorf("the owner's description has version %d: this objregistry reads version %d", d.Version, remote.DescriptionVersion)
	}
	return &d, nil
}

func describeCmd(fs *flag.FlagSet, args []string, stdout, _ io.Writer) error {
	return dialTarget(fs, args, 1, "one URL", func(_ context.Context, t *target, rest []string, _ *string) error {
		if len(rest) > 0 {
			return fmt.Errorf("unexpected argument %q: %w", rest[0], errUsage)
		}
		if t.desc == nil {
			return t.why
		}
		fmt.Fprint(stdout, goSource(t.desc))
		return nil
	})
}

// goSource prints a description as a Go interface declaration.
func goSource(d *remote.Description) string {
	var b strings.Builder
	fmt.Fprintf(&b, "type %s interface {\n", d.Interface)
	for _, m := range d.Methods {
		for _, mark := range m.Marks {
			fmt.Fprintf(&b, "\t//objrmi:%s\n", mark)
		}
		in := []string{"ctx context.Context"}
		for i, p := range m.Params {
			in = append(in, fmt.Sprintf("%s %s", paramName(i), p.Go))
		}
		var out []string
		for _, r := range m.Results {
			out = append(out, r.Go)
		}
		out = append(out, "error")
		res := out[0]
		if len(out) > 1 {
			res = "(" + strings.Join(out, ", ") + ")"
		}
		fmt.Fprintf(&b, "\t%s(%s) %s\n", m.Name, strings.Join(in, ", "), res)
	}
	b.WriteString("}\n")
	return b.String()
}

func paramName(i int) string { return "arg" + strconv.Itoa(i+1) }

func callCmd(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	var meta []string
	fs.Func("meta", "`key=value` metadata to send with the call; repeatable", func(s string) error {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			return errors.New("want key=value")
		}
		meta = append(meta, k, v)
		return nil
	})
	return dialTarget(fs, args, 2, "URL METHOD [ARG...]", func(ctx context.Context, t *target, rest []string, step *string) error {
		name, raw := rest[0], rest[1:]
		var vals []any
		if t.desc == nil {
			fmt.Fprintf(stderr, "objregistry call: %v: arguments are sent as they parse, unchecked\n", t.why)
			for _, a := range raw {
				vals = append(vals, guess(a))
			}
		} else {
			i := slices.IndexFunc(t.desc.Methods, func(m remote.MethodDesc) bool { return m.Name == name })
			if i < 0 {
				names := make([]string, len(t.desc.Methods))
				for j, m := range t.desc.Methods {
					names[j] = m.Name
				}
				return fmt.Errorf("%s has no method %q (it has %s): %w", t.desc.Interface, name, strings.Join(names, ", "), errUsage)
			}
			m := t.desc.Methods[i]
			if len(raw) != len(m.Params) {
				return fmt.Errorf("%s.%s takes %d arguments (%s), got %d: %w", t.desc.Interface, name,
					len(m.Params), signature(m), len(raw), errUsage)
			}
			for j, p := range m.Params {
				v, err := convertArg(raw[j], p)
				if err != nil {
					return fmt.Errorf("argument %d of %s.%s (%s): %v: %w", j+1, t.desc.Interface, name, p.Go, err, errUsage)
				}
				vals = append(vals, v)
			}
		}
		if len(meta) > 0 {
			ctx = remote.WithMetadata(ctx, meta...)
		}
		*step = fmt.Sprintf("%s.%s to return", t.ref.Iface, name)
		h := remote.Dynamic(t.rt, t.ref)
		defer h.Release()
		out, err := h.Call(ctx, name, vals...)
		if err != nil {
			return err
		}
		if out == nil {
			out = []any{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(jsonable(out))
	})
}

func signature(m remote.MethodDesc) string {
	ps := make([]string, len(m.Params))
	for i, p := range m.Params {
		ps[i] = p.Go
	}
	return strings.Join(ps, ", ")
}

// convertArg converts one command-line argument to a value of type td:
// numbers as numbers of the declared kind (never JSON's floats, which
// would not decode into an int64), strings as they are, and JSON for
// structs, slices, arrays and maps.
func convertArg(s string, td remote.TypeDesc) (any, error) {
	switch td.Kind {
	case "string":
		if len(s) >= 2 && s[0] == '"' {
			var v string
			if err := json.Unmarshal([]byte(s), &v); err == nil {
				return v, nil
			}
		}
		return s, nil
	case "bytes":
		return []byte(s), nil
	case "duration":
		d, err := time.ParseDuration(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not a duration such as 1.5s", s)
		}
		return int64(d), nil
	case "time":
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, fmt.Errorf("%q is not an RFC 3339 time such as 2026-01-02T15:04:05Z", s)
		}
		return v, nil
	case "int", "uint", "float", "bool":
		return scalar(s, td)
	case "remote", "ref":
		return nil, fmt.Errorf("a reference parameter cannot be given on the command line")
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return nil, fmt.Errorf("%q is not JSON for a %s", s, td.Kind)
	}
	return fromJSON(v, td, "")
}

func scalar(s string, td remote.TypeDesc) (any, error) {
	switch td.Kind {
	case "int":
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not an integer", s)
		}
		return v, nil
	case "uint":
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not an unsigned integer", s)
		}
		return v, nil
	case "float":
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", s)
		}
		return v, nil
	case "bool":
		v, err := strconv.ParseBool(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not true or false", s)
		}
		return v, nil
	}
	return nil, fmt.Errorf("not a %s", td.Kind)
}

// fromJSON converts a decoded JSON value to what the wire wants for td.
func fromJSON(v any, td remote.TypeDesc, at string) (any, error) {
	where := func() string {
		if at == "" {
			return ""
		}
		return " at " + at
	}
	if v == nil {
		switch td.Kind {
		case "slice", "map", "pointer", "any", "bytes":
			return nil, nil
		}
		return nil, fmt.Errorf("null%s: want a %s", where(), td.Go)
	}
	switch td.Kind {
	case "int", "uint", "float":
		n, ok := v.(json.Number)
		if !ok {
			return nil, fmt.Errorf("%v%s: want a number (%s)", v, where(), td.Go)
		}
		return scalar(n.String(), td)
	case "bool":
		b, ok := v.(bool)
		if !ok {
			return nil, fmt.Errorf("%v%s: want true or false", v, where())
		}
		return b, nil
	case "string":
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("%v%s: want a string", v, where())
		}
		return s, nil
	case "bytes":
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("%v%s: want base64 text", v, where())
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("%q%s: want base64 text", s, where())
		}
		return b, nil
	case "duration", "time":
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("%v%s: want a string", v, where())
		}
		return convertArg(s, td)
	case "pointer":
		if td.Elem == nil {
			return v, nil
		}
		return fromJSON(v, *td.Elem, at)
	case "slice", "array":
		list, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("%v%s: want a JSON array (%s)", v, where(), td.Go)
		}
		out := make([]any, len(list))
		for i, e := range list {
			var err error
			if td.Elem != nil {
				if out[i], err = fromJSON(e, *td.Elem, fmt.Sprintf("%s[%d]", at, i)); err != nil {
					return nil, err
				}
			} else {
				out[i] = plain(e)
			}
		}
		return out, nil
	case "map":
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%v%s: want a JSON object (%s)", v, where(), td.Go)
		}
		out := make(map[any]any, len(obj))
		for k, e := range obj {
			key := any(k)
			if td.Key != nil && td.Key.Kind != "string" {
				var err error
				if key, err = scalar(k, *td.Key); err != nil {
					return nil, fmt.Errorf("key %q%s: %v", k, where(), err)
				}
			}
			val := plain(e)
			if td.Elem != nil {
				var err error
				if val, err = fromJSON(e, *td.Elem, at+"."+k); err != nil {
					return nil, err
				}
			}
			out[key] = val
		}
		return out, nil
	case "struct":
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%v%s: want a JSON object with the fields of %s", v, where(), td.Go)
		}
		out := make(map[string]any, len(obj))
		for k, e := range obj {
			i := slices.IndexFunc(td.Fields, func(f remote.FieldDesc) bool { return f.Name == k })
			if i < 0 {
				names := make([]string, len(td.Fields))
				for j, f := range td.Fields {
					names[j] = f.Name
				}
				return nil, fmt.Errorf("%s has no field %q%s (its fields: %s)", td.Go, k, where(), strings.Join(names, ", "))
			}
			val, err := fromJSON(e, td.Fields[i].Type, strings.TrimPrefix(at+"."+k, "."))
			if err != nil {
				return nil, err
			}
			out[k] = val
		}
		return out, nil
	case "remote", "ref":
		return nil, fmt.Errorf("a reference%s cannot be given on the command line", where())
	}
	return plain(v), nil
}

// plain turns JSON numbers into int64 when they are integers, float64
// otherwise, for values of type any.
func plain(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case []any:
		for i := range x {
			x[i] = plain(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = plain(x[k])
		}
	}
	return v
}

// guess parses an argument without a description: JSON if it parses,
// else the string itself.
func guess(s string) any {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return s
	}
	return plain(v)
}

// jsonable makes decoded results printable as JSON: maps with keys of
// any type get string keys.
func jsonable(v any) any {
	switch x := v.(type) {
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[fmt.Sprint(k)] = jsonable(e)
		}
		return out
	case map[string]any:
		for k, e := range x {
			x[k] = jsonable(e)
		}
	case []any:
		for i, e := range x {
			x[i] = jsonable(e)
		}
	}
	return v
}
