package chatto

import (
	"context"

	"github.com/chattocalls/chatto/eventlog"
)

// outboxItems returns the outgoing webhook deliveries that the events of
// one batch cause. They are appended with the events, in the same
// transaction. (Outgoing webhooks are being built; none yet.)
func (s *Service) outboxItems(ctx context.Context, evs []eventlog.Event) []eventlog.OutboxItem {
	return nil
}
