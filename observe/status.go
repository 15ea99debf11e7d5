package observe

import (
	"fmt"

	"github.com/objrmi/objrmi/objerr"
)

// Status names a call's outcome for metrics and traces: "OK" for nil,
// else the objerr code in capitals ("APPLICATION", "NO_SUCH_OBJECT",
// "DEADLINE_EXCEEDED", ...), "UNKNOWN" for an error without a code.
func Status(err error) string {
	if err == nil {
		return "OK"
	}
	return StatusOf(objerr.CodeOf(err))
}

// StatusOf names a code as Status does.
func StatusOf(c objerr.Code) string {
	if int(c) < len(statusNames) && statusNames[c] != "" {
		return statusNames[c]
	}
	return fmt.Sprintf("CODE_%d", uint8(c))
}

var statusNames = [...]string{
	objerr.CodeUnknown:          "UNKNOWN",
	objerr.CodeApplication:      "APPLICATION",
	objerr.CodePanic:            "PANIC",
	objerr.CodeNoSuchObject:     "NO_SUCH_OBJECT",
	objerr.CodeNoSuchMethod:     "NO_SUCH_METHOD",
	objerr.CodeBadArguments:     "BAD_ARGUMENTS",
	objerr.CodeCanceled:         "CANCELED",
	objerr.CodeDeadlineExceeded: "DEADLINE_EXCEEDED",
	objerr.CodeConnection:       "CONNECTION",
	objerr.CodeClosed:           "CLOSED",
	objerr.CodeEncoding:         "ENCODING",
	objerr.CodeProtocol:         "PROTOCOL",
	objerr.CodeAccessDenied:     "ACCESS_DENIED",
	objerr.CodeOverloaded:       "OVERLOADED",
	objerr.CodeLimit:            "LIMIT",
	objerr.CodeUnauthenticated:  "UNAUTHENTICATED",
	objerr.CodeTLSMismatch:      "TLS_MISMATCH",
	objerr.CodeResultLimit:      "RESULT_LIMIT",
	objerr.CodeUnsupported:      "UNSUPPORTED",
}
