// Package tmpfs gives a test a small filesystem of its own to fill up, so
// it can prove what the product does when its disk is full: a real tmpfs,
// not a mock. The mount lives in a private mount namespace of a child
// process that runs the test again, so it disappears with that child
// however the test ends (a panic, a timeout, a kill): no test leaves a
// mount behind.
package tmpfs
