// Package livekit is everything this product says to a LiveKit server:
// access tokens, RoomService calls and the naming of LiveKit rooms.
package livekit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/livekit/protocol/auth"
	lkproto "github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/twitchtv/twirp"
)

// RoomName is the LiveKit room of one call of one server:
// "<server id>.<room id>.<call id>". The server id keeps servers that
// share a LiveKit project out of each other's rooms, and the call id means
// a LiveKit room left over from an ended call can never be mistaken for a
// newer call in the same chat room.
func RoomName(serverID, roomID, callID string) string {
	return serverID + "." + roomID + "." + callID
}

// ParseRoomName undoes RoomName for rooms of serverID. Call ids never
// contain '.', so the last dot separates them from room ids, which may.
func ParseRoomName(serverID, name string) (roomID, callID string, ok bool) {
	rest, found := strings.CutPrefix(name, serverID+".")
	if !found || serverID == "" {
		return "", "", false
	}
	i := strings.LastIndexByte(rest, '.')
	if i <= 0 || i == len(rest)-1 {
		return "", "", false
	}
	return rest[:i], rest[i+1:], true
}

// Options configures a Client.
type Options struct {
	// ServerID prefixes the names of this server's LiveKit rooms.
	ServerID string
	// InternalURL is the http(s) address used for RoomService.
	InternalURL string
	APIKey      string
	APISecret   string
	TokenTTL    time.Duration
	// Room settings every token carries, so LiveKit applies them to a
	// call's room whenever a participant's connection creates it.
	MaxParticipants  int
	EmptyTimeout     time.Duration
	DepartureTimeout time.Duration
	// CallTimeout bounds each RoomService request.
	CallTimeout time.Duration
	// Fresh is how long a successful ping vouches for LiveKit to
	// Reachable (default 250ms).
	Fresh time.Duration
}

// Client mints tokens and talks to RoomService.
type Client struct {
	opt   Options
	rooms *lksdk.RoomServiceClient
	reach reachability
}

// New returns a Client. It does not contact LiveKit.
func New(opt Options) *Client {
	if opt.CallTimeout == 0 {
		opt.CallTimeout = 5 * time.Second
	}
	if opt.Fresh == 0 {
		opt.Fresh = 250 * time.Millisecond
	}
	return &Client{opt: opt, rooms: lksdk.NewRoomServiceClient(opt.InternalURL, opt.APIKey, opt.APISecret)}
}

// roomConfig is in every token: LiveKit creates a call's room with these
// limits when the first participant connects, and again, with the same
// limits, if a crashed LiveKit comes back without it. (A fresh value per
// token: a protobuf message is not for sharing between goroutines.)
func (c *Client) roomConfig() *lkproto.RoomConfiguration {
	return &lkproto.RoomConfiguration{
		MaxParticipants:  uint32(c.opt.MaxParticipants),
		EmptyTimeout:     uint32(c.opt.EmptyTimeout / time.Second),
		DepartureTimeout: uint32(c.opt.DepartureTimeout / time.Second),
	}
}

// RoomName is the LiveKit room of a call of this server.
func (c *Client) RoomName(roomID, callID string) string {
	return RoomName(c.opt.ServerID, roomID, callID)
}

// ParseRoomName reads a LiveKit room name of this server.
func (c *Client) ParseRoomName(name string) (roomID, callID string, ok bool) {
	return ParseRoomName(c.opt.ServerID, name)
}

// ErrRoomNotFound means LiveKit has no room of that name.
var ErrRoomNotFound = errors.New("livekit: room not found")

// TokenRequest describes who a token is for.
type TokenRequest struct {
	Room     string // LiveKit room name
	Identity string
	Name     string
	// Metadata is the participant metadata (JSON: user id and name).
	Metadata string
	// Listener tokens may subscribe but not publish.
	Listener bool
	// Generation names the join the token belongs to; LiveKit reports it
	// back as the participant attribute GenerationAttribute.
	Generation string
}

// GenerationAttribute is the participant attribute that carries a token's
// join generation. Participants cannot change it: tokens forbid updating
// their own metadata and attributes.
const GenerationAttribute = "chatto.session"

// Generation reads the join generation LiveKit reports for a participant
// (empty for a token that carried none).
func Generation(p *lkproto.ParticipantInfo) string {
	return p.GetAttributes()[GenerationAttribute]
}

// speakerSources are what a speaker may publish: camera, microphone and a
// shared screen with its audio.
var speakerSources = []lkproto.TrackSource{
	lkproto.TrackSource_CAMERA, lkproto.TrackSource_MICROPHONE,
	lkproto.TrackSource_SCREEN_SHARE, lkproto.TrackSource_SCREEN_SHARE_AUDIO,
}

// Token mints a join token limited to one LiveKit room.
func (c *Client) Token(req TokenRequest) (string, time.Time, error) {
	expires := time.Now().Add(c.opt.TokenTTL)
	at := auth.NewAccessToken(c.opt.APIKey, c.opt.APISecret).
		SetIdentity(req.Identity).
		SetName(req.Name).
		SetMetadata(req.Metadata).
		SetValidFor(c.opt.TokenTTL).
		SetVideoGrant(grant(req.Room, req.Listener)).
		SetRoomConfig(c.roomConfig())
	if req.Generation != "" {
		at.SetAttributes(map[string]string{GenerationAttribute: req.Generation})
	}
	jwt, err := at.ToJWT()
	if err != nil {
		return "", time.Time{}, fmt.Errorf("livekit: sign token: %w", err)
	}
	return jwt, expires, nil
}

func ptr[T any](v T) *T { return &v }

// grant is a token's video grant: join one room, subscribe, and publish
// camera, microphone and screen unless a listener.
func grant(room string, listener bool) *auth.VideoGrant {
	g := &auth.VideoGrant{
		RoomJoin:     true,
		Room:         room,
		CanPublish:   ptr(!listener),
		CanSubscribe: ptr(true),
		// Participants may not rename themselves: the name shown is the
		// one the host vouched for.
		CanUpdateOwnMetadata: ptr(false),
	}
	if !listener {
		g.SetCanPublishSources(speakerSources)
	}
	return g
}

// SetListener changes a connected participant's permissions live: a
// listener may only subscribe, a speaker may publish camera, microphone
// and screen. LiveKit unpublishes what a demoted participant had out.
func (c *Client) SetListener(ctx context.Context, room, identity string, listener bool) error {
	ctx, cancel := context.WithTimeout(ctx, c.opt.CallTimeout)
	defer cancel()
	perm := &lkproto.ParticipantPermission{CanSubscribe: true, CanPublish: !listener, CanPublishData: true}
	if !listener {
		perm.CanPublishSources = speakerSources
	}
	_, err := c.rooms.UpdateParticipant(ctx, &lkproto.UpdateParticipantRequest{Room: room, Identity: identity, Permission: perm})
	if isNotFound(err) {
		return ErrParticipantNotFound
	}
	if err != nil {
		return fmt.Errorf("livekit: update permissions of %s in %s: %w", identity, room, err)
	}
	return nil
}

// ErrParticipantNotFound means LiveKit has no such participant in the room.
var ErrParticipantNotFound = errors.New("livekit: participant not found")

// ErrNoTrack means the participant publishes no track of that source.
var ErrNoTrack = errors.New("livekit: no such track")

// MuteSource mutes the participant's published track of one source
// (microphone, camera or screen share); the participant may unmute it.
func (c *Client) MuteSource(ctx context.Context, room, identity string, source lkproto.TrackSource) error {
	ctx, cancel := context.WithTimeout(ctx, c.opt.CallTimeout)
	defer cancel()
	p, err := c.rooms.GetParticipant(ctx, &lkproto.RoomParticipantIdentity{Room: room, Identity: identity})
	if isNotFound(err) {
		return ErrParticipantNotFound
	}
	if err != nil {
		return fmt.Errorf("livekit: get %s in %s: %w", identity, room, err)
	}
	muted := false
	for _, t := range p.GetTracks() {
		if t.GetSource() != source {
			continue
		}
		if _, err := c.rooms.MutePublishedTrack(ctx, &lkproto.MuteRoomTrackRequest{
			Room: room, Identity: identity, TrackSid: t.GetSid(), Muted: true,
		}); err != nil {
			return fmt.Errorf("livekit: mute %s of %s in %s: %w", source, identity, room, err)
		}
		muted = true
	}
	if !muted {
		return ErrNoTrack
	}
	return nil
}

// DeleteRoom removes a room and disconnects anyone still in it. A room
// that is already gone is not an error.
func (c *Client) DeleteRoom(ctx context.Context, name string) error {
	ctx, cancel := context.WithTimeout(ctx, c.opt.CallTimeout)
	defer cancel()
	_, err := c.rooms.DeleteRoom(ctx, &lkproto.DeleteRoomRequest{Room: name})
	if err != nil && !isNotFound(err) {
		return fmt.Errorf("livekit: delete room %s: %w", name, err)
	}
	return nil
}

// RemoveParticipant disconnects one identity. Absent is not an error.
func (c *Client) RemoveParticipant(ctx context.Context, room, identity string) error {
	ctx, cancel := context.WithTimeout(ctx, c.opt.CallTimeout)
	defer cancel()
	_, err := c.rooms.RemoveParticipant(ctx, &lkproto.RoomParticipantIdentity{Room: room, Identity: identity})
	if err != nil && !isNotFound(err) {
		return fmt.Errorf("livekit: remove %s from %s: %w", identity, room, err)
	}
	return nil
}

// Rooms returns the names of this product's rooms that LiveKit has now.
func (c *Client) Rooms(ctx context.Context) (map[string]bool, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opt.CallTimeout)
	defer cancel()
	resp, err := c.rooms.ListRooms(ctx, &lkproto.ListRoomsRequest{})
	if err != nil {
		return nil, fmt.Errorf("livekit: list rooms: %w", err)
	}
	out := make(map[string]bool)
	for _, r := range resp.GetRooms() {
		if strings.HasPrefix(r.GetName(), c.opt.ServerID+".") {
			out[r.GetName()] = true
		}
	}
	return out, nil
}

// Ping asks RoomService for a room that never exists, the cheapest
// request that proves LiveKit answers and accepts this server's key.
func (c *Client) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.opt.CallTimeout)
	defer cancel()
	if _, err := c.rooms.ListRooms(ctx, &lkproto.ListRoomsRequest{Names: []string{c.opt.ServerID + ".ping"}}); err != nil {
		return fmt.Errorf("livekit: ping: %w", err)
	}
	return nil
}

// Reachable reports whether LiveKit answers, for a call about to start:
// a ping that succeeded within Fresh vouches for it, and callers that
// come while a ping is out share its answer, so a burst of call starts
// costs LiveKit one ping. A failure is never reused: the next caller
// asks again.
func (c *Client) Reachable(ctx context.Context) error {
	return c.reach.check(ctx, c.opt.Fresh, c.Ping)
}

// reachability is Reachable's memory: when LiveKit last answered, and the
// ping in flight, if any.
type reachability struct {
	mu       sync.Mutex
	okAt     time.Time
	inflight *pingCall
}

// pingCall is one ping; done closes once err is set.
type pingCall struct {
	done chan struct{}
	err  error
}

func (r *reachability) check(ctx context.Context, fresh time.Duration, ping func(context.Context) error) error {
	r.mu.Lock()
	if !r.okAt.IsZero() && time.Since(r.okAt) < fresh {
		r.mu.Unlock()
		return nil
	}
	p := r.inflight
	if p == nil {
		p = &pingCall{done: make(chan struct{})}
		r.inflight = p
		// The ping belongs to everyone waiting on it, so it does not end
		// with the context of the caller who happened to start it.
		go func() {
			p.err = ping(context.WithoutCancel(ctx))
			r.mu.Lock()
			if p.err == nil {
				r.okAt = time.Now()
			}
			r.inflight = nil
			r.mu.Unlock()
			close(p.done)
		}()
	}
	r.mu.Unlock()
	select {
	case <-p.done:
		return p.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Participants lists who is connected to a room, or ErrRoomNotFound.
// Participants that LiveKit already marks disconnected are left out.
func (c *Client) Participants(ctx context.Context, room string) ([]*lkproto.ParticipantInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opt.CallTimeout)
	defer cancel()
	resp, err := c.rooms.ListParticipants(ctx, &lkproto.ListParticipantsRequest{Room: room})
	if isNotFound(err) {
		return nil, ErrRoomNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("livekit: list participants of %s: %w", room, err)
	}
	out := resp.GetParticipants()[:0]
	for _, p := range resp.GetParticipants() {
		if p.GetState() != lkproto.ParticipantInfo_DISCONNECTED {
			out = append(out, p)
		}
	}
	return out, nil
}

func isNotFound(err error) bool {
	var terr twirp.Error
	return errors.As(err, &terr) && terr.Code() == twirp.NotFound
}
