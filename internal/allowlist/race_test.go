//go:build race

package allowlist

// raceEnabled scales the differential tests down under the race detector,
// which slows the reference loops about twentyfold; they look for wrong
// answers, not races, and run in full without -race.
const raceEnabled = true
