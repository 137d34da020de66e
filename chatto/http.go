package chatto

import (
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/chattocalls/chatto/eventlog"
	"github.com/chattocalls/chatto/webhooks"
)

// statusOf is the one mapping from error codes to HTTP statuses.
var statusOf = map[string]int{
	EINVALID:      http.StatusBadRequest,
	EUNAUTHORIZED: http.StatusUnauthorized,
	EFORBIDDEN:    http.StatusForbidden,
	ENOTFOUND:     http.StatusNotFound,
	ENOTINCALL:    http.StatusNotFound,
	ECALLFULL:     http.StatusConflict,
	EDISABLED:     http.StatusNotFound,
	EUNAVAILABLE:  http.StatusServiceUnavailable,
	EBADSIGNATURE: http.StatusUnauthorized,
	ETOOLARGE:     http.StatusRequestEntityTooLarge,
	EINTERNAL:     http.StatusInternalServerError,

	ENOTALLOWED:      http.StatusForbidden,
	EUSERNOTFOUND:    http.StatusNotFound,
	ENOTMEMBER:       http.StatusForbidden,
	EALREADYINCALL:   http.StatusConflict,
	ENOCALL:          http.StatusConflict,
	ENOTRINGING:      http.StatusConflict,
	ECALLERNOTMEMBER: http.StatusConflict,
	EREMOVED:         http.StatusForbidden,
	ENOTRACK:         http.StatusNotFound,

	ERATELIMITED: http.StatusTooManyRequests,
	ECROSSSITE:   http.StatusForbidden,
	ESTORAGEFULL: http.StatusServiceUnavailable,
}

// asDomain turns the webhook edge's errors into domain errors.
func asDomain(err error) error {
	switch {
	case errors.Is(err, webhooks.ErrUnauthorized):
		return Errorf(EBADSIGNATURE, "webhook signature missing or invalid")
	case errors.Is(err, webhooks.ErrTooLarge):
		return Errorf(ETOOLARGE, "request body too large")
	case errors.Is(err, webhooks.ErrMalformed):
		return Errorf(EINVALID, "webhook body is not a LiveKit event")
	}
	var de *Error
	if !errors.As(err, &de) && eventlog.IsFull(err) {
		// A host write (a message, a sign-in) on the full disk the log
		// shares: the same answer as a refused call change.
		e := Errorf(ESTORAGEFULL, "the server cannot save this right now because its storage is full; try again shortly")
		e.RetryAfter = storageRetryAfter
		return e
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		switch he.Code {
		case http.StatusRequestEntityTooLarge:
			return Errorf(ETOOLARGE, "request body too large")
		case http.StatusNotFound:
			return Errorf(ENOTFOUND, "no such endpoint")
		case http.StatusMethodNotAllowed:
			return Errorf(EINVALID, "method not allowed on this endpoint")
		}
	}
	return err
}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// WriteError renders err as the JSON error shape; hosts use it so their
// routes answer in the same shape. Internal errors are
// logged with their detail and returned without it.
func WriteError(c echo.Context, log *slog.Logger, err error) error {
	err = asDomain(err)
	code := ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if status >= 500 {
		level := slog.LevelError
		if code == ESTORAGEFULL {
			level = slog.LevelDebug // the service reports a full disk once, not per request
		}
		log.Log(c.Request().Context(), level, "request failed", "method", c.Request().Method, "path", c.Path(), "code", code, "err", err)
	}
	var de *Error
	if errors.As(err, &de) && de.RetryAfter > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(de.RetryAfter.Seconds()))))
	}
	var body errorBody
	body.Error.Code, body.Error.Message = code, ErrorMessage(err)
	return c.JSON(status, body)
}

// handle adapts a handler that returns domain errors to echo, rendering
// errors itself so the host's own error handler never sees them.
func handle(log *slog.Logger, h echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := h(c); err != nil {
			return WriteError(c, log, err)
		}
		return nil
	}
}
