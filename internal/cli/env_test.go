package cli

import (
	"bytes"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestClientResolution(t *testing.T) {
	f := newFakeARM(t)
	f.withCluster()
	// A port nothing listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "https://" + ln.Addr().String() + "/"
	ln.Close()

	show := []string{"aks", "show", "-g", "myResourceGroup", "-n", "myAKSCluster", "--query", "name", "-o", "tsv"}
	tests := []struct {
		name      string
		env       func(t *testing.T) Env
		args      []string
		code      int
		stdout    string
		stderrHas string
	}{
		{name: "client config", env: func(t *testing.T) Env { return f.env(t) }, args: show, stdout: "myAKSCluster\n"},
		{name: "no client config and no endpoint", env: func(t *testing.T) Env {
			return Env{ConfigPath: filepath.Join(t.TempDir(), "missing.json")}
		}, args: show, code: 1, stderrHas: "ERROR: load client config"},
		{name: "nobody listening", env: func(t *testing.T) Env {
			e := f.env(t)
			e.Getenv = func(k string) string { return map[string]string{"TAGWALL_ENDPOINT": dead}[k] }
			return e
		}, args: show, code: 1, stderrHas: "ERROR: cannot reach the tagwall API at " + dead + ": is `tagwall serve` running?"},
		{name: "--endpoint beats TAGWALL_ENDPOINT", env: func(t *testing.T) Env {
			e := f.env(t)
			e.Getenv = func(k string) string { return map[string]string{"TAGWALL_ENDPOINT": dead}[k] }
			return e
		}, args: append(show, "--endpoint", f.srv.URL), stdout: "myAKSCluster\n"},
		{name: "env endpoint and token without a config file", env: func(t *testing.T) Env {
			e := f.env(t)
			e.ConfigPath = filepath.Join(t.TempDir(), "none.json")
			e.Getenv = func(k string) string {
				return map[string]string{"TAGWALL_ENDPOINT": f.srv.URL, "TAGWALL_TOKEN": testToken}[k]
			}
			return e
		}, args: append(show, "--subscription", testSub), stdout: "myAKSCluster\n"},
		{name: "TAGWALL_TOKEN overrides the config's", env: func(t *testing.T) Env {
			e := f.env(t)
			e.Getenv = func(k string) string { return map[string]string{"TAGWALL_TOKEN": "wrong"}[k] }
			return e
		}, args: show, code: 1, stderrHas: "(AuthenticationFailed)"},
		{name: "CA file that does not exist", env: func(t *testing.T) Env {
			e := f.env(t)
			e.Transport = nil
			e.Getenv = func(k string) string { return map[string]string{"TAGWALL_CA_FILE": "/nonexistent/ca.pem"}[k] }
			return e
		}, args: show, code: 1, stderrHas: `read CA file "/nonexistent/ca.pem"`},
		{name: "system roots do not trust the test CA", env: func(t *testing.T) Env {
			e := f.env(t)
			e.Transport = nil
			return e
		}, args: show, code: 1, stderrHas: "cannot reach the tagwall API"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var o, e bytes.Buffer
			code := Run(tc.env(t), tc.args, &o, &e)
			if code != tc.code || o.String() != tc.stdout || !strings.Contains(e.String(), tc.stderrHas) {
				t.Errorf("exit %d stdout %q stderr %q; want exit %d stdout %q stderr containing %q",
					code, o.String(), e.String(), tc.code, tc.stdout, tc.stderrHas)
			}
		})
	}
}

func TestProgressOnlyOnTerminal(t *testing.T) {
	for _, tty := range []bool{false, true} {
		f := newFakeARM(t)
		f.withGroup()
		env := f.env(t)
		env.StderrTTY = tty
		var o, e bytes.Buffer
		if code := Run(env, []string{"group", "delete", "-n", "myResourceGroup", "--yes"}, &o, &e); code != 0 {
			t.Fatalf("exit %d: %s", code, e.String())
		}
		if got := strings.Contains(e.String(), "Running .."); got != tty {
			t.Errorf("tty=%v: progress shown=%v (stderr %q)", tty, got, e.String())
		}
	}
}

func TestProviderWaitPollsEveryTenSeconds(t *testing.T) {
	f := newFakeARM(t)
	env := f.env(t)
	var slept []time.Duration
	env.Sleep = func(d time.Duration) { slept = append(slept, d) }
	var o, e bytes.Buffer
	if code := Run(env, []string{"provider", "register", "-n", "Microsoft.ContainerService", "--wait"}, &o, &e); code != 0 {
		t.Fatalf("exit %d: %s", code, e.String())
	}
	if len(slept) != 1 || slept[0] != 10*time.Second || o.Len() != 0 || e.Len() != 0 {
		t.Errorf("slept %v stdout %q stderr %q", slept, o.String(), e.String())
	}
}

func TestExtensionStateFileNextToClientConfig(t *testing.T) {
	f := newFakeARM(t)
	env := f.env(t)
	var o, e bytes.Buffer
	if code := Run(env, []string{"extension", "add", "--name", "aks-preview"}, &o, &e); code != 0 {
		t.Fatal(e.String())
	}
	a := &app{env: env}
	if ok, err := a.previewInstalled(); !ok || err != nil {
		t.Fatalf("previewInstalled %v %v", ok, err)
	}
	if p, _ := a.extensionPath(); filepath.Dir(p) != filepath.Dir(env.ConfigPath) {
		t.Errorf("state at %s, config at %s", p, env.ConfigPath)
	}
	if code := Run(env, []string{"extension", "remove", "--name", "aks-preview"}, &o, &e); code != 0 {
		t.Fatal(e.String())
	}
	if ok, _ := a.previewInstalled(); ok {
		t.Error("still installed after remove")
	}
}
