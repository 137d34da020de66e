//go:build race

package main

// raceEnabled: the tests run with -race, so the binary the crash suite
// builds is instrumented too (and reuses the cached race build).
const raceEnabled = true
