// Package webhooks is the HTTP edge for LiveKit's signed webhooks at
// /webhooks/livekit.
package webhooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/livekit/protocol/auth"
	lkproto "github.com/livekit/protocol/livekit"
	"github.com/livekit/protocol/webhook"
)

// Errors the handler returns; the plugin maps them to HTTP statuses.
var (
	// ErrUnauthorized: the signature is missing, forged, or for another body.
	ErrUnauthorized = errors.New("webhook signature missing or invalid")
	// ErrTooLarge: the body is over the configured limit.
	ErrTooLarge = errors.New("webhook body too large")
	// ErrMalformed: the signature is valid but the body is not an event.
	ErrMalformed = errors.New("webhook body is not a LiveKit event")
)

// Receiver applies verified events. An error makes the handler answer 5xx
// so that LiveKit retries.
type Receiver interface {
	HandleWebhook(ctx context.Context, ev *lkproto.WebhookEvent) error
}

// Handler verifies and dispatches webhooks.
type Handler struct {
	keys     auth.KeyProvider
	receiver Receiver
	maxBytes int64
}

// NewHandler returns a Handler that trusts tokens signed with apiSecret
// under apiKey and refuses bodies over maxBytes.
func NewHandler(apiKey, apiSecret string, maxBytes int64, r Receiver) *Handler {
	return &Handler{keys: auth.NewSimpleKeyProvider(apiKey, apiSecret), receiver: r, maxBytes: maxBytes}
}

// Handle is the echo handler. It answers 200 with no body on success.
func (h *Handler) Handle(c echo.Context) error {
	r := c.Request()
	body, err := io.ReadAll(io.LimitReader(r.Body, h.maxBytes+1))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if int64(len(body)) > h.maxBytes {
		return ErrTooLarge
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	ev, err := webhook.ReceiveWebhookEvent(r, h.keys)
	if err != nil {
		// ReceiveWebhookEvent verifies, then decodes. Verifying again on
		// the same bytes tells which of the two failed.
		r.Body = io.NopCloser(bytes.NewReader(body))
		if _, verr := webhook.Receive(r, h.keys); verr != nil {
			return ErrUnauthorized
		}
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if err := h.receiver.HandleWebhook(r.Context(), ev); err != nil {
		return fmt.Errorf("webhooks: apply %s %s: %w", ev.GetEvent(), ev.GetId(), err)
	}
	return c.NoContent(http.StatusOK)
}
