// Command hostile runs the process-level part of the hostile-traffic
// suite (issue 11): `tagwall gateway` and HAProxy, each started under
// `ulimit -n 4096` with stderr a pipe nobody reads, take a denied flood
// and then an idle-socket run while admitted clients keep connecting; the
// harness measures admitted success and latency, peak RSS, goroutines
// (tagwall's /metrics), whether /metrics answers, and the time SIGTERM
// takes. Loopback only. scripts/hostile runs it and writes
// docs/bench/hostile.md.
package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"flag"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tagwall/tagwall/internal/servicetag"
)

type options struct {
	tagwall, haproxy, serviceTags, out string
	duration                           time.Duration
	idle, hold, maxConns               int
}

func main() {
	var o options
	flag.StringVar(&o.tagwall, "tagwall", "", "tagwall binary")
	flag.StringVar(&o.haproxy, "haproxy", "haproxy", "haproxy binary (empty: skip)")
	flag.StringVar(&o.serviceTags, "servicetags", "", "Azure service-tag document (AzureCloud is allowed)")
	flag.StringVar(&o.out, "out", "", "write the markdown table here (default stdout)")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "denied flood length")
	flag.IntVar(&o.idle, "idle", 20000, "idle sockets to open")
	flag.IntVar(&o.hold, "hold", 12000, "idle sockets the client keeps open at once")
	flag.IntVar(&o.maxConns, "maxconn", 1792, "HAProxy maxconn (tagwall's derived max conns at ulimit -n 4096)")
	flag.Parse()
	if o.tagwall == "" || o.serviceTags == "" {
		log.Fatal("hostile: -tagwall and -servicetags are required")
	}
	var err error
	if o.serviceTags, err = filepath.Abs(o.serviceTags); err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "hostile-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	up, err := startUpstream()
	if err != nil {
		log.Fatal(err)
	}
	var rows []row
	for _, name := range []string{"tagwall", "haproxy"} {
		if name == "haproxy" && o.haproxy == "" {
			continue
		}
		r, err := runContender(name, dir, up, o)
		if err != nil {
			log.Printf("hostile: %s: %v", name, err)
			continue
		}
		rows = append(rows, r...)
	}
	var w io.Writer = os.Stdout
	if o.out != "" {
		f, err := os.Create(o.out)
		if err != nil {
			log.Fatal(err)
		}
		defer f.Close()
		w = f
	}
	report(w, o, rows)
}

// row is one contender × scenario.
type row struct {
	contender, scenario string
	load                string
	ok, failed          int
	p50, p99            time.Duration
	peakRSS             int64 // KiB
	peakGoroutines      int   // -1: not known
	metricsOK, metricsN int
	sigterm             time.Duration // only on the last row of a contender
}

// proc is a contender process started under `ulimit -n 4096`.
type proc struct {
	cmd     *exec.Cmd
	exited  chan struct{}
	stderrR *os.File // held open, never read
	metrics string   // tagwall's /metrics URL
}

func startProc(args []string) (*proc, error) {
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = "'" + a + "'"
	}
	cmd := exec.Command("sh", "-c", "ulimit -n 4096; exec "+strings.Join(q, " "))
	cmd.Stdout, cmd.Stderr = pw, pw
	cmd.Env = append(os.Environ(), "GOMAXPROCS=2")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		return nil, fmt.Errorf("start %s: %w", args[0], err)
	}
	pw.Close()
	p := &proc{cmd: cmd, exited: make(chan struct{}), stderrR: pr}
	go func() { cmd.Wait(); close(p.exited) }()
	return p, nil
}

// rss returns the process's resident set in KiB.
func (p *proc) rss() int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return n
		}
	}
	return 0
}

// goroutines reads go_goroutines from /metrics, or -1.
func (p *proc) goroutines() int {
	if p.metrics == "" {
		return -1
	}
	cl := &httpClient
	resp, err := cl.Get(p.metrics)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_goroutines "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return int(f)
		}
	}
	return -1
}

// sigterm sends SIGTERM and returns how long the process took to exit
// (or -1 after 30 s, when it is killed).
func (p *proc) sigterm() time.Duration {
	start := time.Now()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		return time.Since(start)
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
		return -1
	}
}

func freePort() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startUpstream serves one small HTTP response per TLS connection.
func startUpstream() (string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: sni}, DNSNames: []string{sni},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return "", err
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}})
	if err != nil {
		return "", err
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				br := bufio.NewReader(c)
				for {
					l, err := br.ReadString('\n')
					if err != nil || l == "\r\n" {
						break
					}
				}
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n")
			}()
		}
	}()
	return ln.Addr().String(), nil
}

// configure writes the contender's config and returns its command line.
func configure(name, dir, api, metrics, upstream string, o options) ([]string, error) {
	switch name {
	case "tagwall":
		y := fmt.Sprintf(`listen: %s
metrics: %s
proxyProtocol:
  trustedPeers: [127.0.0.1]
clientHelloTimeout: 10s
serviceTags:
  - source: %s
    refresh: 24h
routes:
  - sni: %s
    upstream: %s
    authorizedIPRanges: [AzureCloud, 20.20.20.20]
`, api, metrics, o.serviceTags, sni, upstream)
		p := filepath.Join(dir, "tagwall.yaml")
		return []string{o.tagwall, "gateway", "--config", p, "--shutdown-timeout", "5s"}, os.WriteFile(p, []byte(y), 0o644)
	case "haproxy":
		if err := writeAllowList(filepath.Join(dir, "allow.lst"), o.serviceTags); err != nil {
			return nil, err
		}
		c := fmt.Sprintf(`global
    maxconn %d
defaults
    mode tcp
    timeout connect 5s
    timeout client 10s
    timeout server 30s
frontend api
    bind %s
    # untrusted peers that no list admits: closed at accept
    tcp-request connection reject if !{ src 127.0.0.1 } !{ src -f %s/allow.lst }
    tcp-request connection expect-proxy layer4 if { src 127.0.0.1 }
    tcp-request session reject if !{ src -f %s/allow.lst }
    tcp-request inspect-delay 10s
    tcp-request content accept if { req.ssl_hello_type 1 }
    use_backend up if { req.ssl_sni -i %s }
backend up
    server s1 %s
`, o.maxConns, api, dir, dir, sni, upstream)
		p := filepath.Join(dir, "haproxy.cfg")
		return []string{o.haproxy, "-db", "-f", p}, os.WriteFile(p, []byte(c), 0o644)
	}
	return nil, fmt.Errorf("configure %q: unknown contender", name)
}

// writeAllowList writes AzureCloud's prefixes and 20.20.20.20.
func writeAllowList(path, doc string) error {
	data, err := os.ReadFile(doc)
	if err != nil {
		return err
	}
	d, err := servicetag.Parse(doc, data)
	if err != nil {
		return err
	}
	tag, ok := servicetag.NewCatalog(d).Lookup("AzureCloud")
	if !ok {
		return fmt.Errorf("write allow list: AzureCloud missing from %s", doc)
	}
	var b strings.Builder
	b.WriteString("20.20.20.20/32\n")
	for _, p := range tag.Prefixes {
		b.WriteString(p.String() + "\n")
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func waitReady(api string, p *proc) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			return fmt.Errorf("exited before it was ready")
		default:
		}
		if _, err := admitted(api); err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("not ready after 30 s")
}

// monitor samples RSS, goroutines and /metrics until stop.
func monitor(p *proc, stop <-chan struct{}) func(r *row) {
	done := make(chan struct{})
	var rss atomic.Int64
	var gor, mok, mn atomic.Int64
	gor.Store(-1)
	go func() {
		defer close(done)
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			rss.Store(max(rss.Load(), p.rss()))
			if p.metrics != "" {
				mn.Add(1)
				if g := p.goroutines(); g >= 0 {
					mok.Add(1)
					gor.Store(max(gor.Load(), int64(g)))
				}
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func(r *row) {
		<-done
		r.peakRSS, r.peakGoroutines = rss.Load(), int(gor.Load())
		r.metricsOK, r.metricsN = int(mok.Load()), int(mn.Load())
	}
}

func runContender(name, root, upstream string, o options) ([]row, error) {
	dir := filepath.Join(root, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	api, metrics := freePort(), freePort()
	args, err := configure(name, dir, api, metrics, upstream, o)
	if err != nil {
		return nil, err
	}
	p, err := startProc(args)
	if err != nil {
		return nil, err
	}
	defer p.stderrR.Close()
	if name == "tagwall" {
		p.metrics = "http://" + metrics + "/metrics"
	}
	if err := waitReady(api, p); err != nil {
		p.cmd.Process.Kill()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var rows []row

	// Denied flood with admitted clients.
	stop := make(chan struct{})
	done := monitor(p, stop)
	var denied atomic.Int64
	fl := flood(api, 8, stop, &denied)
	adm := startAdmitted(api, 2, stop)
	time.Sleep(o.duration)
	close(stop)
	fl.Wait()
	r := row{contender: name, scenario: "denied flood " + o.duration.String()}
	r.ok, r.failed, r.p50, r.p99 = adm.result()
	done(&r)
	r.load = fmt.Sprintf("%d denied (%.0f/s)", denied.Load(), float64(denied.Load())/o.duration.Seconds())
	rows = append(rows, r)
	log.Printf("%s flood: %+v", name, r)

	// Idle sockets with admitted clients.
	stop = make(chan struct{})
	done = monitor(p, stop)
	adm = startAdmitted(api, 2, stop)
	start := time.Now()
	held, opened, dialErrs := idle(api, o.idle, o.hold, 30*time.Second)
	openDur := time.Since(start)
	time.Sleep(3 * time.Second) // admitted clients while the sockets sit
	close(stop)
	r = row{contender: name, scenario: fmt.Sprintf("%d idle sockets", o.idle)}
	r.ok, r.failed, r.p50, r.p99 = adm.result()
	done(&r)
	r.load = fmt.Sprintf("%d opened in %s (limit 30 s), %d held at the end, %d dials reset (refused at accept) or timed out", opened, openDur.Round(time.Millisecond), len(held), dialErrs)
	for _, c := range held {
		c.Close()
	}
	r.sigterm = p.sigterm()
	rows = append(rows, r)
	log.Printf("%s idle: %+v", name, r)
	return rows, nil
}

var httpClient = httpClientWithTimeout()

func report(w io.Writer, o options, rows []row) {
	fmt.Fprintf(w, "| contender | run | load | admitted ok / failed | success | p50 | p99 | peak RSS | peak goroutines | /metrics answered | SIGTERM to exit |\n")
	fmt.Fprintf(w, "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, r := range rows {
		g, m, s := "—", "—", "—"
		if r.peakGoroutines >= 0 {
			g = strconv.Itoa(r.peakGoroutines)
		}
		if r.metricsN > 0 {
			m = fmt.Sprintf("%d / %d", r.metricsOK, r.metricsN)
		}
		if r.sigterm != 0 {
			s = r.sigterm.Round(time.Millisecond).String()
			if r.sigterm < 0 {
				s = "killed after 30 s"
			}
		}
		succ := 100 * float64(r.ok) / float64(max(1, r.ok+r.failed))
		fmt.Fprintf(w, "| %s | %s | %s | %d / %d | %.2f %% | %s | %s | %.0f MiB | %s | %s | %s |\n",
			r.contender, r.scenario, r.load, r.ok, r.failed, succ, r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond),
			float64(r.peakRSS)/1024, g, m, s)
	}
}
