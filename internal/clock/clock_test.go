package clock

import (
	"testing"
	"time"
)

func TestManualFiresOnlyDueTimers(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := NewManual(start)
	fired := make(chan string, 4)
	c.AfterFunc(10*time.Second, func() { fired <- "ten" })
	stop := c.AfterFunc(5*time.Second, func() { fired <- "five" })
	c.AfterFunc(20*time.Second, func() { fired <- "twenty" })
	if !stop() {
		t.Fatal("stop of a waiting timer reported false")
	}
	if c.Pending() != 2 {
		t.Fatalf("pending = %d, want 2", c.Pending())
	}
	c.Advance(9 * time.Second)
	select {
	case f := <-fired:
		t.Fatalf("%s fired at +9s", f)
	case <-time.After(50 * time.Millisecond):
	}
	c.Advance(time.Second)
	if f := <-fired; f != "ten" {
		t.Fatalf("fired %s at +10s, want ten", f)
	}
	if got := c.Now(); !got.Equal(start.Add(10 * time.Second)) {
		t.Fatalf("Now = %v", got)
	}
	c.Advance(time.Hour)
	if f := <-fired; f != "twenty" {
		t.Fatalf("fired %s, want twenty", f)
	}
	if c.Pending() != 0 {
		t.Fatalf("pending = %d after all fired", c.Pending())
	}
	c.AfterFunc(0, func() { fired <- "now" })
	if f := <-fired; f != "now" {
		t.Fatalf("fired %s, want now", f)
	}
}
