package calltest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"
)

// Faults is what the relay does to LiveKit's webhooks while Inject is on.
// Each delivery is decided on its own with a seeded generator, so a seed
// names the sequence of decisions (the timing of a run around them still
// varies). The relay answers LiveKit 200 at once and forwards later, as a
// lossy, slow network in front of the server would look from its side.
type Faults struct {
	Seed uint64
	// Drop is the chance that a delivery is never forwarded.
	Drop float64
	// Duplicate is the chance that a delivery is forwarded a second time,
	// after its own random delay.
	Duplicate float64
	// Delay is the chance that a delivery waits up to MaxDelay.
	Delay    float64
	MaxDelay time.Duration
	// Reorder is the chance that a delivery is parked until the next one
	// has been forwarded (or MaxDelay passed), so it lands after it.
	Reorder float64
}

// FaultStats counts what the relay did to the deliveries it received
// while faults were on. Reordered is measured, not decided: deliveries
// that reached the server after one LiveKit sent later (delays reorder
// too, not only parking).
type FaultStats struct {
	Received, Forwarded, Dropped, Duplicated, Delayed, Parked, Reordered int
	// Failed counts forwards the server never answered 2xx, after the
	// relay retried them as LiveKit would.
	Failed int
}

func (s FaultStats) String() string {
	return fmt.Sprintf("received %d, forwarded %d, dropped %d, duplicated %d, delayed %d, parked %d, reordered %d, failed %d",
		s.Received, s.Forwarded, s.Dropped, s.Duplicated, s.Delayed, s.Parked, s.Reordered, s.Failed)
}

// faultState is the relay's fault injection while it is on.
type faultState struct {
	cfg    Faults
	rng    *rand.Rand
	stats  FaultStats
	seq    int           // receive order of the last delivery
	maxFwd int           // highest receive order forwarded so far
	parked []chan<- bool // deliveries waiting for the next forward
	// off: Calm or the end of the test; deliveries pass straight through
	// while what is in flight drains.
	off bool
}

// Inject turns fault injection on (or changes it) for the deliveries the
// relay receives from now on. Drop and Hold still apply first.
func (r *Relay) Inject(f Faults) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ctx == nil {
		r.ctx, r.stop = context.WithCancel(context.Background())
		r.t.Cleanup(r.stopFaults)
	}
	var stats FaultStats
	seq, maxFwd := 0, 0
	if r.faults != nil {
		stats, seq, maxFwd = r.faults.stats, r.faults.seq, r.faults.maxFwd
	}
	r.faults = &faultState{cfg: f, rng: rand.New(rand.NewPCG(f.Seed, f.Seed^0x9e3779b97f4a7c15)),
		stats: stats, seq: seq, maxFwd: maxFwd}
}

// Calm stops injecting faults, forwards what is parked and waits until
// every delayed or duplicated delivery has been forwarded. It returns what
// the faults did.
func (r *Relay) Calm() FaultStats {
	r.mu.Lock()
	f := r.faults
	if f == nil {
		r.mu.Unlock()
		return FaultStats{}
	}
	f.off = true
	r.releaseParked(f)
	r.mu.Unlock()
	r.inflight.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.faults = nil
	return f.stats
}

// FaultStats returns the counts so far.
func (r *Relay) FaultStats() FaultStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.faults == nil {
		return FaultStats{}
	}
	return r.faults.stats
}

// stopFaults abandons what is still in flight when the test ends.
func (r *Relay) stopFaults() {
	r.mu.Lock()
	if f := r.faults; f != nil {
		f.off = true
		r.releaseParked(f)
	}
	r.mu.Unlock()
	r.stop()
	r.inflight.Wait()
}

// inject decides a delivery's fate; r.mu is held. It reports false when
// faults are off.
func (r *Relay) inject(h Held) bool {
	f := r.faults
	if f == nil || f.off {
		return false
	}
	f.stats.Received++
	f.seq++
	seq := f.seq
	if f.rng.Float64() < f.cfg.Drop {
		f.stats.Dropped++
		return true
	}
	copies := 1
	if f.rng.Float64() < f.cfg.Duplicate {
		f.stats.Duplicated++
		copies = 2
	}
	for i := 0; i < copies; i++ {
		var delay time.Duration
		if i > 0 || f.rng.Float64() < f.cfg.Delay {
			if f.cfg.MaxDelay > 0 {
				delay = time.Duration(f.rng.Int64N(int64(f.cfg.MaxDelay))) + 1
			}
			if i == 0 {
				f.stats.Delayed++
			}
		}
		var parked chan bool
		if i == 0 && f.rng.Float64() < f.cfg.Reorder {
			f.stats.Parked++
			parked = make(chan bool, 1)
			f.parked = append(f.parked, parked)
		}
		maxWait := f.cfg.MaxDelay
		r.inflight.Add(1)
		go r.later(h, seq, delay, parked, maxWait)
	}
	return true
}

// later forwards one delivery after its delay (and, if parked, after the
// next forward), retrying like LiveKit on answers that are not 2xx.
func (r *Relay) later(h Held, seq int, delay time.Duration, parked <-chan bool, maxWait time.Duration) {
	defer r.inflight.Done()
	if !r.sleep(delay) {
		return
	}
	if parked != nil {
		select {
		case <-parked:
		case <-time.After(maxWait):
		case <-r.ctx.Done():
			return
		}
	}
	r.mu.Lock()
	if f := r.faults; f != nil {
		if seq < f.maxFwd {
			f.stats.Reordered++
		}
		f.maxFwd = max(f.maxFwd, seq)
		if parked == nil {
			// This forward is the "next one" the parked deliveries wait
			// for; they go right after it.
			defer r.releaseParkedLocked()
		}
	}
	r.mu.Unlock()
	ok := false
	for attempt := 0; attempt < 4 && !ok; attempt++ {
		if attempt > 0 && !r.sleep(time.Duration(attempt)*300*time.Millisecond) {
			return
		}
		st := r.forward(r.ctx, h)
		ok = st >= 200 && st < 300
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if f := r.faults; f != nil {
		f.stats.Forwarded++
		if !ok {
			f.stats.Failed++
		}
	}
}

// releaseParkedLocked takes r.mu and lets the parked deliveries go.
func (r *Relay) releaseParkedLocked() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.faults != nil {
		r.releaseParked(r.faults)
	}
}

// releaseParked lets the parked deliveries go; r.mu is held.
func (r *Relay) releaseParked(f *faultState) {
	for _, c := range f.parked {
		c <- true
	}
	f.parked = nil
}

// sleep waits d, or reports false if the test is over.
func (r *Relay) sleep(d time.Duration) bool {
	if d <= 0 {
		return r.ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.ctx.Done():
		return false
	}
}
