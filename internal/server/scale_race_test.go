//go:build race

package server

// raceEnabled: the race detector multiplies memory and slows everything,
// so TestScale's short form does not hold it to the memory bound and
// loosens its time bounds.
const raceEnabled = true
