package objerr

import "fmt"

// InterfaceError explains why a type cannot be used as a remote interface.
type InterfaceError struct {
	Interface string // the interface type refused
	Method    string // the offending method, if any
	Rule      string // the rule it breaks
	Hint      string // how to fix it
}

func (e *InterfaceError) Error() string {
	where := e.Interface
	if e.Method != "" {
		where += "." + e.Method
	}
	msg := fmt.Sprintf("objrmi: %s is not a valid remote interface: %s", where, e.Rule)
	if e.Hint != "" {
		msg += " (hint: " + e.Hint + ")"
	}
	return msg
}
