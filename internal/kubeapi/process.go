package kubeapi

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tagwall/tagwall/internal/pki"
)

// Defaults applied by Start to zero Config fields.
const (
	DefaultReadyTimeout = 90 * time.Second
	DefaultStopGrace    = 5 * time.Second
	// DefaultServiceCIDR is the (unrouted) service range the apiserver
	// allocates ClusterIPs from: there are no nodes, so nothing is routed.
	DefaultServiceCIDR = "10.96.0.0/16"
)

// EnvBinary names the environment variable tests read the binary's path
// from (scripts/test sets it from scripts/kube-apiserver).
const EnvBinary = "TAGWALL_KUBE_APISERVER"

// Config describes one kube-apiserver.
type Config struct {
	Binary      string   // path of the kube-apiserver binary
	Dir         string   // certificates and log; kept across restarts
	EtcdServers []string // etcd client URLs
	// EtcdPrefix is the key prefix of this apiserver's data, e.g.
	// "/tagwall/kube/<cluster>": one etcd can hold many clusters.
	EtcdPrefix  string
	CA          *pki.CA  // issues the serving certificate; its clients are trusted
	ServerNames []string // extra DNS names on the serving certificate (the SNI)
	// Port is the loopback port; 0 picks a free one.
	Port int
	// EmulatedVersion is the Kubernetes minor ("1.32") the apiserver
	// emulates: its APIs and features, and emulationMajor/emulationMinor
	// on /version (gitVersion stays the binary's). It must be within the
	// binary's emulation window (a 1.34 binary: 1.31 to 1.34), or the
	// apiserver refuses to start. "": the binary's own.
	EmulatedVersion string
	ServiceCIDR     string
	ReadyTimeout    time.Duration
	StopGrace       time.Duration
	Now             func() time.Time
}

// Process is one running kube-apiserver.
type Process struct {
	cfg  Config
	addr string
	cmd  *exec.Cmd
	log  *os.File

	done    chan struct{} // closed when the process has exited
	waitErr error
	errc    chan error // Err; receives the exit once
	stop    sync.Once
}

// Start starts the apiserver and waits until it is ready. On error nothing
// is left running.
func Start(ctx context.Context, cfg Config) (*Process, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := writeCerts(cfg.Dir, cfg.CA, cfg.ServerNames, cfg.Now()); err != nil {
		return nil, err
	}
	if cfg.Port == 0 {
		if cfg.Port, err = freePort(); err != nil {
			return nil, err
		}
	}
	p := &Process{cfg: cfg, addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.Port)),
		done: make(chan struct{}), errc: make(chan error, 1)}
	if err := p.spawn(); err != nil {
		return nil, err
	}
	if err := p.waitReady(ctx); err != nil {
		_ = p.Stop()
		return nil, fmt.Errorf("start kube-apiserver %s: %w (log: %s)", p.addr, err, p.LogPath())
	}
	return p, nil
}

func (c Config) withDefaults() (Config, error) {
	var errs []error
	if c.Binary == "" {
		errs = append(errs, errors.New("kube-apiserver binary: not set"))
	} else if _, err := os.Stat(c.Binary); err != nil {
		errs = append(errs, fmt.Errorf("kube-apiserver binary %q: %w", c.Binary, err))
	}
	if c.Dir == "" {
		errs = append(errs, errors.New("kube-apiserver dir: not set"))
	}
	if len(c.EtcdServers) == 0 {
		errs = append(errs, errors.New("kube-apiserver etcd servers: none"))
	}
	if c.EtcdPrefix == "" || !strings.HasPrefix(c.EtcdPrefix, "/") {
		errs = append(errs, fmt.Errorf("kube-apiserver etcd prefix %q: must start with /", c.EtcdPrefix))
	}
	if c.CA == nil {
		errs = append(errs, errors.New("kube-apiserver CA: not set"))
	}
	if err := errors.Join(errs...); err != nil {
		return c, err
	}
	if c.ServiceCIDR == "" {
		c.ServiceCIDR = DefaultServiceCIDR
	}
	if c.ReadyTimeout == 0 {
		c.ReadyTimeout = DefaultReadyTimeout
	}
	if c.StopGrace == 0 {
		c.StopGrace = DefaultStopGrace
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, nil
}

// args is the apiserver's command line: loopback only, client
// certificates from CA, RBAC, and its data under EtcdPrefix.
func (p *Process) args() []string {
	d := func(f string) string { return filepath.Join(p.cfg.Dir, f) }
	args := []string{
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(p.cfg.Port),
		"--etcd-servers=" + strings.Join(p.cfg.EtcdServers, ","),
		"--etcd-prefix=" + p.cfg.EtcdPrefix,
		"--tls-cert-file=" + d(fileServing),
		"--tls-private-key-file=" + d(fileServingKey),
		"--client-ca-file=" + d(fileCA),
		"--service-account-key-file=" + d(fileSAPub),
		"--service-account-signing-key-file=" + d(fileSAKey),
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-cluster-ip-range=" + p.cfg.ServiceCIDR,
		"--authorization-mode=RBAC",
		"--endpoint-reconciler-type=none",
		"--profiling=false",
		"--enable-priority-and-fairness=false",
		"--v=0",
	}
	if p.cfg.EmulatedVersion != "" {
		args = append(args, "--emulated-version=kube="+p.cfg.EmulatedVersion)
	}
	return args
}

func (p *Process) spawn() error {
	log, err := os.OpenFile(p.LogPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open kube-apiserver log: %w", err)
	}
	cmd := exec.Command(p.cfg.Binary, p.args()...)
	cmd.Stdout, cmd.Stderr = log, log
	// Its own process group, so a signal to tagwall's group (a terminal's
	// ^C) does not bypass Stop's orderly shutdown, and Pdeathsig so it
	// does not outlive a killed tagwall.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("start %s: %w", p.cfg.Binary, err)
	}
	p.cmd, p.log = cmd, log
	go func() {
		err := cmd.Wait()
		p.waitErr = err
		close(p.done)
		p.errc <- fmt.Errorf("kube-apiserver %s exited: %v", p.addr, err)
		log.Close()
	}()
	return nil
}

// waitReady polls /readyz with a client certificate until it answers 200.
func (p *Process) waitReady(ctx context.Context) error {
	c, err := p.adminClient()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.ReadyTimeout)
	defer cancel()
	var last error
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+p.addr+"/readyz", nil)
		resp, err := c.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("readyz: %s", resp.Status)
		}
		last = err
		select {
		case <-p.done:
			return fmt.Errorf("exited before ready: %v", p.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("not ready within %s: %w", p.cfg.ReadyTimeout, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (p *Process) adminClient() (*http.Client, error) {
	cc, err := IssueClient(p.cfg.CA, "tagwall-readiness", []string{MastersGroup}, p.cfg.Now())
	if err != nil {
		return nil, err
	}
	pair, err := tls.X509KeyPair(cc.CertPEM, cc.KeyPEM)
	if err != nil {
		return nil, fmt.Errorf("load readiness client certificate: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(p.cfg.CA.Cert)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}, ServerName: "localhost"}}
	return &http.Client{Transport: tr, Timeout: 5 * time.Second}, nil
}

// Addr is the apiserver's loopback host:port.
func (p *Process) Addr() string { return p.addr }

// CAFile is the PEM file of the CA that signed the serving certificate.
func (p *Process) CAFile() string { return filepath.Join(p.cfg.Dir, fileCA) }

// LogPath is the file the apiserver's output goes to.
func (p *Process) LogPath() string { return filepath.Join(p.cfg.Dir, fileLog) }

// Pid is the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Err receives one error when the process exits for any reason, Stop
// included.
func (p *Process) Err() <-chan error { return p.errc }

// Stop sends SIGTERM, waits up to StopGrace, then SIGKILL, and waits for
// the exit. It is safe to call more than once.
func (p *Process) Stop() error {
	p.stop.Do(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(p.cfg.StopGrace):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return nil
}

// RSS is the process's resident memory in bytes (0 when unknown).
func (p *Process) RSS() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.Pid()))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
