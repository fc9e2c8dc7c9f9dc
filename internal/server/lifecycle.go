package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The parts of a Main whose end ends the process.
const (
	partAPI        = "api"
	partFrontDoor  = "front door"
	partMetrics    = "metrics"
	partController = "controller"
)

// parts tracks the running parts of a Main and the first fatal error.
type parts struct {
	closing atomic.Bool // Close runs: a part's end is expected, not fatal
	errc    chan error  // buffered 1: the first fatal error

	mu      sync.Mutex
	names   []string         // every part started, in start order
	stopped map[string]error // parts that ended on their own
}

func (p *parts) init() {
	p.errc = make(chan error, 1)
	p.stopped = map[string]error{}
}

func (p *parts) add(name string) {
	p.mu.Lock()
	p.names = append(p.names, name)
	p.mu.Unlock()
}

// stopped records that part ended with err (nil: it returned without an
// error, which is as fatal). During Close it records nothing: the end is
// expected. The first fatal error goes to Err and ends Run; /readyz is
// unready from this moment.
func (m *Main) stopped(part string, err error) {
	if m.parts.closing.Load() {
		return
	}
	if err == nil || errors.Is(err, http.ErrServerClosed) || errors.Is(err, context.Canceled) {
		err = errors.New("returned without an error")
	}
	ferr := fmt.Errorf("%s stopped: %w", part, err)
	m.parts.mu.Lock()
	m.parts.stopped[part] = err
	m.parts.mu.Unlock()
	m.log.Error("a part of the server stopped: the process ends", "part", part, "err", err)
	select {
	case m.parts.errc <- ferr:
	default: // a fatal error is already pending
	}
}

// check is the /readyz line of the parts: unready as soon as one stopped.
func (p *parts) check() check {
	p.mu.Lock()
	defer p.mu.Unlock()
	var down []string
	for _, n := range p.names {
		if err, ok := p.stopped[n]; ok {
			down = append(down, n+" stopped: "+err.Error())
		}
	}
	if len(down) > 0 {
		return check{"parts", false, strings.Join(down, "; ")}
	}
	return check{"parts", true, strings.Join(p.names, ", ") + " running"}
}

// Err returns the channel that receives the first fatal error: a part
// (the API server, the front door, the metrics server, the controller)
// stopped on its own. It receives at most one error and is never closed.
// Run reads the same channel: use one or the other.
func (m *Main) Err() <-chan error { return m.parts.errc }

// Run blocks until ctx ends (it returns nil) or a part stops on its own (it
// returns that error, naming the part). It does not stop the other parts:
// the caller calls Close either way.
func (m *Main) Run(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case err := <-m.parts.errc:
		return err
	}
}

// Close stops the API, the controller, the front door (letting live
// connections finish for up to Config.ShutdownTimeout), the stand-ins and
// the store. It is safe to call more than once and returns the first
// call's result.
func (m *Main) Close() error {
	m.closeOnce.Do(func() { m.closeErr = m.close() })
	return m.closeErr
}

func (m *Main) close() error {
	m.parts.closing.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), m.cfg.ShutdownTimeout)
	defer cancel()
	var errs []error
	if m.apiSrv != nil {
		errs = append(errs, m.apiSrv.Shutdown(ctx))
	} else if m.apiLn != nil {
		m.apiLn.Close()
	}
	if m.cancel != nil {
		m.cancel()
	}
	if m.gw != nil && m.gwLn != nil {
		errs = append(errs, m.gw.Shutdown(ctx))
		<-m.gwDone
	}
	if m.metricsSrv != nil {
		errs = append(errs, m.metricsSrv.Shutdown(ctx))
	}
	m.wg.Wait()
	if m.fleet != nil {
		errs = append(errs, m.fleet.Close())
	}
	errs = append(errs, m.closeKube())
	errs = append(errs, m.closeStore(ctx)...)
	return errors.Join(errs...)
}

// startAPI serves the ARM API over TLS on its own listener, with the
// Config's timeouts and connection cap.
func (m *Main) startAPI() error {
	h, err := m.apiHandler()
	if err != nil {
		return err
	}
	ln, err := listenLimited(m.cfg.APIAddr, m.cfg.MaxAPIConnections)
	if err != nil {
		return fmt.Errorf("listen api %s: %w", m.cfg.APIAddr, err)
	}
	m.apiLn = ln
	served, err := m.withConsole(m.withIdentity(h))
	if err != nil {
		ln.Close()
		return fmt.Errorf("configure console: %w", err)
	}
	m.apiSrv = m.newHTTPServer(served)
	m.apiSrv.TLSConfig = m.apiTLSConfig()
	m.parts.add(partAPI)
	m.wg.Go(func() { m.stopped(partAPI, m.apiSrv.ServeTLS(ln, "", "")) })
	return nil
}

// startMetrics serves /metrics, /healthz, /livez and /readyz over plain
// HTTP with the same timeouts and its own connection cap.
func (m *Main) startMetrics() error {
	if m.cfg.MetricsAddr == "-" {
		return nil
	}
	ln, err := listenLimited(m.cfg.MetricsAddr, m.cfg.MaxMetricsConnections)
	if err != nil {
		return fmt.Errorf("listen metrics %s: %w", m.cfg.MetricsAddr, err)
	}
	m.metricsLn = ln
	m.metricsSrv = m.newHTTPServer(m.metricsHandler(m.reg))
	m.parts.add(partMetrics)
	m.wg.Go(func() { m.stopped(partMetrics, m.metricsSrv.Serve(ln)) })
	return nil
}

// newHTTPServer returns an http.Server with the Config's bounds: a request
// (body included) must arrive within ReadTimeout, its headers within
// readHeaderTimeout, the response be written within WriteTimeout, and an
// idle keep-alive connection is closed after IdleTimeout. Its own errors
// (TLS handshakes, bad requests) are logged at debug level.
func (m *Main) newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: min(readHeaderTimeout, m.cfg.APIReadTimeout),
		ReadTimeout:       m.cfg.APIReadTimeout,
		WriteTimeout:      m.cfg.APIWriteTimeout,
		IdleTimeout:       m.cfg.APIIdleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slogLogger(m.log),
	}
}

// Bounds of the HTTP servers that are not configurable.
const (
	readHeaderTimeout = 10 * time.Second
	maxHeaderBytes    = 64 << 10
)

// listenLimited listens on addr and admits at most limit connections at
// once; further ones wait in the kernel's accept queue until one closes.
func listenLimited(addr string, limit int) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return limitListener(ln, limit), nil
}
