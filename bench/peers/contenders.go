package main

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/template"
	"time"
)

var (
	//go:embed haproxy.cfg.tmpl
	haproxyTmpl string
	//go:embed nginx.conf.tmpl
	nginxTmpl string
	//go:embed tagwall.yaml.tmpl
	tagwallTmpl string
)

// The contenders' names, in report order; HAProxy is the baseline.
const (
	nameTagwall = "tagwall"
	nameHAProxy = "HAProxy"
	nameNginx   = "nginx"
)

// contenderNames is the report order.
var contenderNames = []string{nameTagwall, nameHAProxy, nameNginx}

// contender is one running proxy process (nginx: its master) with its two
// listeners: api (TLS upstream) and bulk (streaming upstream).
type contender struct {
	name      string
	api, bulk string
	dir       string // configuration
	logDir    string // output and error logs
	cmd       *exec.Cmd
	exited    chan struct{}
	withKids  bool // count the children's memory too (nginx workers)
}

// binaries are the programs the harness runs.
type binaries struct {
	tagwall, haproxy, nginx, streamModule string
}

// settings is what every config template sees.
type settings struct {
	Dir, LogDir, API, Bulk    string
	UpstreamTLS, UpstreamBulk string
	Threads                   int
	StreamModule, ServiceTags string
	SNI, BulkSNI              string
	Ranges                    string
	allow                     *allowlist
}

// freePort returns a loopback address with a port that was free a moment
// ago.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("pick a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// render executes tmpl with s into dir/name.
func render(dir, name, tmpl string, s settings) error {
	t, err := template.New(name).Option("missingkey=error").Parse(tmpl)
	if err != nil {
		return fmt.Errorf("parse template %s: %w", name, err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, s); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	return os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644)
}

// writeLists writes the allowlist in each peer's format into dir:
// allow.lst (HAProxy, one prefix per line) and allow.conf (nginx allow
// rules then "deny all").
func writeLists(dir string, a *allowlist) error {
	var lst, conf strings.Builder
	for _, p := range a.all() {
		fmt.Fprintln(&lst, p)
		fmt.Fprintf(&conf, "allow %s;\n", p)
	}
	conf.WriteString("deny all;\n")
	if err := os.WriteFile(filepath.Join(dir, "allow.lst"), []byte(lst.String()), 0o644); err != nil {
		return fmt.Errorf("write allowlist: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "allow.conf"), []byte(conf.String()), 0o644); err != nil {
		return fmt.Errorf("write allowlist: %w", err)
	}
	return nil
}

// tagwallRanges is tagwall's authorizedIPRanges: the tag by name, then
// the extra CIDRs.
func tagwallRanges(a *allowlist) string {
	parts := []string{a.tagged}
	for _, p := range a.extra {
		parts = append(parts, strconv.Quote(p.String()))
	}
	return strings.Join(parts, ", ")
}

// startContender writes name's config into a fresh directory under root
// and starts its process.
func startContender(name, root string, bin binaries, s settings) (*contender, error) {
	dir, err := os.MkdirTemp(root, strings.ToLower(name)+"-")
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	api, err := freePort()
	if err != nil {
		return nil, err
	}
	// Logs go to a subdirectory: tagwall watches its config directory
	// (not recursively), and a log write next to the config would wake the
	// watcher on every denied connection.
	logDir := filepath.Join(dir, "logs")
	if err := os.Mkdir(logDir, 0o755); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	s.Dir, s.LogDir, s.API = dir, logDir, api
	c := &contender{name: name, api: api, dir: dir, logDir: logDir}
	var args []string
	switch name {
	case nameTagwall:
		c.bulk = api // one listener, routed by SNI
		s.Bulk = api
		if err := os.Mkdir(filepath.Join(dir, "cache"), 0o755); err != nil {
			return nil, fmt.Errorf("start %s: %w", name, err)
		}
		err = render(dir, "tagwall.yaml", tagwallTmpl, s)
		args = []string{bin.tagwall, "gateway", "--config", filepath.Join(dir, "tagwall.yaml"), "--shutdown-timeout", "1s"}
	case nameHAProxy:
		if c.bulk, err = freePort(); err != nil {
			return nil, err
		}
		s.Bulk = c.bulk
		err = render(dir, "haproxy.cfg", haproxyTmpl, s)
		args = []string{bin.haproxy, "-db", "-f", filepath.Join(dir, "haproxy.cfg")}
	case nameNginx:
		if c.bulk, err = freePort(); err != nil {
			return nil, err
		}
		s.Bulk = c.bulk
		c.withKids = true
		err = render(dir, "nginx.conf", nginxTmpl, s)
		args = []string{bin.nginx, "-e", filepath.Join(logDir, "error.log"), "-p", dir,
			"-c", filepath.Join(dir, "nginx.conf"), "-g", "daemon off;"}
	default:
		return nil, fmt.Errorf("start %q: unknown contender", name)
	}
	if err != nil {
		return nil, err
	}
	if name != nameTagwall {
		if err := writeLists(dir, s.allow); err != nil {
			return nil, err
		}
	}
	return c, c.exec(args)
}

// exec starts the process with its output in dir/out.log, GOMAXPROCS=2
// for tagwall, in its own process group, killed if the harness dies.
func (c *contender) exec(args []string) error {
	out, err := os.Create(filepath.Join(c.logDir, "out.log"))
	if err != nil {
		return fmt.Errorf("start %s: %w", c.name, err)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = append(os.Environ(), "GOMAXPROCS=2")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		out.Close()
		return fmt.Errorf("start %s (%s): %w", c.name, args[0], err)
	}
	c.cmd, c.exited = cmd, make(chan struct{})
	go func() { cmd.Wait(); out.Close(); close(c.exited) }()
	return nil
}

// logTail returns the last bytes of the contender's output and error logs.
func (c *contender) logTail() string {
	var b strings.Builder
	for _, f := range []string{"out.log", "error.log"} {
		data, err := os.ReadFile(filepath.Join(c.logDir, f))
		if err != nil || len(data) == 0 {
			continue
		}
		if len(data) > 2000 {
			data = data[len(data)-2000:]
		}
		fmt.Fprintf(&b, "--- %s:\n%s\n", f, data)
	}
	return b.String()
}

// ready waits until probe succeeds, the process exits, or timeout passes.
func (c *contender) ready(probe func() error, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var err error
	for time.Now().Before(deadline) {
		select {
		case <-c.exited:
			return fmt.Errorf("start %s: exited before answering: %v\n%s", c.name, c.cmd.ProcessState, c.logTail())
		default:
		}
		if err = probe(); err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("start %s: not ready after %s: %w\n%s", c.name, timeout, err, c.logTail())
}

// pids returns the process and, for nginx, its worker children.
func (c *contender) pids() []int {
	pid := c.cmd.Process.Pid
	out := []int{pid}
	if !c.withKids {
		return out
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		return out
	}
	for _, f := range strings.Fields(string(data)) {
		if k, err := strconv.Atoi(f); err == nil {
			out = append(out, k)
		}
	}
	return out
}

// peakRSS returns the sum of VmHWM over the contender's processes, in
// bytes.
func (c *contender) peakRSS() (int64, error) {
	var total int64
	for _, pid := range c.pids() {
		kb, err := vmHWM(pid)
		if err != nil {
			return 0, fmt.Errorf("peak memory of %s: %w", c.name, err)
		}
		total += kb << 10
	}
	return total, nil
}

// vmHWM reads VmHWM (kB) from /proc/pid/status.
func vmHWM(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return parseVmHWM(string(data))
}

// parseVmHWM finds the VmHWM line of a /proc/PID/status text.
func parseVmHWM(status string) (int64, error) {
	for _, line := range strings.Split(status, "\n") {
		rest, ok := strings.CutPrefix(line, "VmHWM:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("parse VmHWM line %q: want \"N kB\"", line)
		}
		return strconv.ParseInt(f[0], 10, 64)
	}
	return 0, errors.New("parse /proc status: no VmHWM line")
}

// stop ends the process group: SIGTERM, then SIGKILL after 3 s.
func (c *contender) stop() {
	if c.cmd == nil || c.cmd.Process == nil {
		return
	}
	pgid := c.cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(3 * time.Second):
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-c.exited
	}
}

// clockTick is the unit of utime and stime in /proc/PID/stat (USER_HZ,
// 100 on every Linux architecture Go supports).
const clockTick = 10 * time.Millisecond

// cpuTime returns the CPU time (user + system) the contender's processes
// have used so far.
func (c *contender) cpuTime() time.Duration {
	var total time.Duration
	for _, pid := range c.pids() {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		if t, err := parseStatCPU(string(data)); err == nil {
			total += t
		}
	}
	return total
}

// parseStatCPU returns utime + stime from a /proc/PID/stat line. The
// command name (field 2) may hold spaces and parentheses, so fields are
// counted from the last ')'.
func parseStatCPU(stat string) (time.Duration, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("parse /proc stat: no command name")
	}
	f := strings.Fields(stat[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, fmt.Errorf("parse /proc stat: %d fields after the command name, want at least 13", len(f))
	}
	var ticks int64
	for _, s := range f[11:13] { // fields 14 (utime) and 15 (stime)
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("parse /proc stat: cpu field %q", s)
		}
		ticks += n
	}
	return time.Duration(ticks) * clockTick, nil
}
