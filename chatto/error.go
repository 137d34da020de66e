package chatto

import (
	"errors"
	"fmt"
	"time"
)

// Stable error codes. Clients branch on these; the README lists them.
const (
	EINVALID      = "invalid"             // malformed request
	EUNAUTHORIZED = "unauthorized"        // no or bad credentials
	EFORBIDDEN    = "forbidden"           // not a member of the room
	ENOTFOUND     = "not_found"           // no such room
	ENOTINCALL    = "not_in_call"         // the device or participant is not in the call
	ECALLFULL     = "call_full"           // max participants reached
	EDISABLED     = "calls_disabled"      // calls are switched off
	EUNAVAILABLE  = "livekit_unavailable" // LiveKit could not be reached
	EBADSIGNATURE = "invalid_signature"   // webhook signature missing or wrong
	ETOOLARGE     = "payload_too_large"   // request body over the limit
	EINTERNAL     = "internal"            // anything else; details are logged, not returned

	ENOTALLOWED      = "not_allowed"       // a room member without the right (e.g. end for all)
	EUSERNOTFOUND    = "user_not_found"    // invite of an unknown user
	ENOTMEMBER       = "not_member"        // invite of a user who is not in the room
	EALREADYINCALL   = "already_in_call"   // invite of a user who is already in the call
	ENOCALL          = "no_call"           // the room has no active call
	ENOTRINGING      = "not_ringing"       // decline or merge by a user who is not being rung
	ECALLERNOTMEMBER = "caller_not_member" // merge into a room the caller is not in
	EREMOVED         = "removed"           // a removed device asks for a token within the cooldown
	ENOTRACK         = "no_track"          // mute of a source the participant does not publish

	ERATELIMITED = "rate_limited" // too many failed sign-ins, joins, invites or pending devices; Retry-After says when to try again
	ECROSSSITE   = "cross_site"   // a cookie-authenticated change (or a sign-in) not sent by this site's own pages

	// ESTORAGEFULL: the disk holding the event log is full, so the change
	// was not recorded (nothing of it was applied); Retry-After says when
	// to try again.
	ESTORAGEFULL = "storage_full"
)

// Error is a domain error with a stable code and a message safe to show
// to the user.
type Error struct {
	Code    string
	Message string
	// RetryAfter, when set, becomes the answer's Retry-After header.
	RetryAfter time.Duration
}

func (e *Error) Error() string { return fmt.Sprintf("chatto: %s: %s", e.Code, e.Message) }

// Errorf returns an *Error.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, or
// EINTERNAL for anything else.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-safe message of err. Internal errors get a
// generic text so that no detail (paths, SQL, secrets) leaks to clients.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
