package main

import (
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// workload is the traffic the client sends, identical for every
// contender.
type workload struct {
	cl          *client
	allowedHdrs [][]byte // PROXY v2 headers with allowed client addresses
	deniedPre   [][]byte // PROXY v2 header with a denied address + ClientHello
	bulkPre     []byte   // PROXY v2 header (allowed) + ClientHello for the bulk route
	conc, flood int      // allowed and flooding client goroutines
	floodRate   float64  // denied connections per second in the flood; 0: as fast as they close
	d           time.Duration
}

// loopResult counts one closed-loop run.
type loopResult struct {
	ok, errs, leaks int
	rate            float64 // successful operations per second
	elapsed         time.Duration
	lats            []time.Duration
	firstErr        error
}

// loop runs op from n goroutines, each one operation at a time, until d
// has passed or stop is closed (when stop is not nil, d is ignored).
func loop(n int, d time.Duration, stop <-chan struct{}, op func(g, i int) (time.Duration, error)) loopResult {
	var (
		mu  sync.Mutex
		res loopResult
		wg  sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(d)
	more := func() bool {
		if stop == nil {
			return time.Now().Before(deadline)
		}
		select {
		case <-stop:
			return false
		default:
			return true
		}
	}
	for g := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lats []time.Duration
			ok, errs, leaks := 0, 0, 0
			var first error
			for i := 0; more(); i++ {
				lat, err := op(g, i)
				switch {
				case errors.Is(err, errLeak):
					leaks++
				case err != nil:
					errs++
					if first == nil {
						first = err
					}
				default:
					ok++
					if lat > 0 {
						lats = append(lats, lat)
					}
				}
			}
			mu.Lock()
			res.ok, res.errs, res.leaks = res.ok+ok, res.errs+errs, res.leaks+leaks
			res.lats = append(res.lats, lats...)
			if res.firstErr == nil {
				res.firstErr = first
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.rate = float64(res.ok) / res.elapsed.Seconds()
	return res
}

// pick returns the i-th item for goroutine g, spread so goroutines do not
// walk the same addresses in step.
func pick[T any](xs []T, g, i int) T { return xs[(g*7919+i)%len(xs)] }

func (w *workload) allowed(c *contender, d time.Duration) loopResult {
	return loop(w.conc, d, nil, func(g, i int) (time.Duration, error) {
		return w.cl.allowed(c.api, pick(w.allowedHdrs, g, i))
	})
}

func (w *workload) denied(c *contender, d time.Duration, stop <-chan struct{}, n int) loopResult {
	return loop(n, d, stop, func(g, i int) (time.Duration, error) {
		return 0, w.cl.denied(c.api, pick(w.deniedPre, g, i))
	})
}

// floodLoop sends denied connections from w.flood goroutines until stop
// is closed, paced to w.floodRate in total when it is set (a goroutine
// that falls behind sends as fast as the proxy closes).
func (w *workload) floodLoop(c *contender, stop <-chan struct{}) loopResult {
	if w.floodRate <= 0 {
		return w.denied(c, 0, stop, w.flood)
	}
	start := time.Now()
	every := time.Duration(float64(w.flood) / w.floodRate * float64(time.Second))
	return loop(w.flood, 0, stop, func(g, i int) (time.Duration, error) {
		next := start.Add(time.Duration(i)*every + time.Duration(g)*every/time.Duration(w.flood))
		if d := time.Until(next); d > 0 {
			select {
			case <-stop:
				return 0, nil
			case <-time.After(d):
			}
		}
		return 0, w.cl.denied(c.api, pick(w.deniedPre, g, i))
	})
}

// floodSlices is how many alternating slices the allowed and the
// under-flood measurements are cut into, so a change in the machine's
// background load falls on both alike.
const floodSlices = 4

// allowedAndFlood measures the allowed rate alone and while w.flood
// goroutines send denied connections, in alternating slices of
// w.d/floodSlices each; the results pool the slices.
func (w *workload) allowedAndFlood(c *contender) (alone, flooded, flood loopResult, cpu time.Duration) {
	slice := w.d / floodSlices
	for range floodSlices {
		before := c.cpuTime()
		alone = pool(alone, w.allowed(c, slice))
		cpu += c.cpuTime() - before
		stop := make(chan struct{})
		done := make(chan loopResult)
		go func() { done <- w.floodLoop(c, stop) }()
		time.Sleep(20 * time.Millisecond) // let the flood start
		a := w.allowed(c, slice)
		close(stop)
		flooded, flood = pool(flooded, a), pool(flood, <-done)
	}
	return alone, flooded, flood, cpu
}

// pool adds one slice's counts and time to acc.
func pool(acc, r loopResult) loopResult {
	acc.ok, acc.errs, acc.leaks = acc.ok+r.ok, acc.errs+r.errs, acc.leaks+r.leaks
	acc.elapsed += r.elapsed
	acc.rate = float64(acc.ok) / acc.elapsed.Seconds()
	acc.lats = append(acc.lats, r.lats...)
	if acc.firstErr == nil {
		acc.firstErr = r.firstErr
	}
	return acc
}

// sample is one round's figures for one contender.
type sample struct {
	allowed, denied, bulk float64 // conn/s, conn/s, bytes/s
	p50, p99              time.Duration
	flood, drop           float64 // allowed conn/s under the flood; drop in % of allowed
	floodDenied           float64 // denied conn/s achieved by the flood
	cpuAllowed, cpuDenied float64 // proxy CPU µs per allowed and per denied connection
	errs, leaks           int
	firstErr              error
}

// measure takes one round of every figure for c.
func (w *workload) measure(c *contender) sample {
	var s sample
	a, fa, fd, cpuA := w.allowedAndFlood(c)
	s.allowed, s.p50, s.p99 = a.rate, percentile(a.lats, 50), percentile(a.lats, 99)
	before := c.cpuTime()
	dn := w.denied(c, w.d, nil, w.conc)
	cpuD := c.cpuTime() - before
	s.denied = dn.rate
	s.cpuAllowed, s.cpuDenied = perConn(cpuA, a.ok), perConn(cpuD, dn.ok)
	bulk, err := bulk(c.bulk, w.bulkPre, w.d)
	s.bulk = bulk
	s.flood, s.floodDenied = fa.rate, fd.rate
	if s.allowed > 0 {
		s.drop = 100 * (s.allowed - s.flood) / s.allowed
	}
	s.errs = a.errs + dn.errs + fa.errs + fd.errs
	s.leaks = dn.leaks + fd.leaks
	for _, e := range []error{a.firstErr, dn.firstErr, err, fa.firstErr, fd.firstErr} {
		if e != nil && s.firstErr == nil {
			s.firstErr = e
		}
	}
	if err != nil {
		s.errs++
	}
	return s
}

// perConn returns cpu per connection in µs, 0 for no connections.
func perConn(cpu time.Duration, n int) float64 {
	if n == 0 {
		return 0
	}
	return float64(cpu) / float64(time.Microsecond) / float64(n)
}

// percentile returns the p-th percentile (nearest rank) of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	k := int(p/100*float64(len(s))+0.5) - 1
	return s[min(max(k, 0), len(s)-1)]
}

// median returns the median of xs (the mean of the middle two for an even
// count), 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// rotate returns names rotated left by r, so each round starts with a
// different contender.
func rotate(names []string, r int) []string {
	n := len(names)
	out := make([]string, n)
	for i := range names {
		out[i] = names[(i+r)%n]
	}
	return out
}

// addrSeed is the seed for the client's address pools.
func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 2)) }
