package gwconfig

import "fmt"

// Prefilter is the `prefilter` key: the opt-in kernel prefilter
// (internal/prefilter; docs/gateway.md, "Kernel prefilter"). It is read
// at start; a reload does not turn it on or off.
type Prefilter struct {
	Enabled bool   `yaml:"enabled"`
	Action  string `yaml:"action"` // "drop" (the default) or "reject"
}

// validatePrefilter checks the prefilter key: it needs direct clients, so
// it cannot be combined with PROXY protocol peers.
func (c *Config) validatePrefilter() []error {
	p := c.Prefilter
	var errs []error
	switch p.Action {
	case "", "drop", "reject":
	default:
		errs = append(errs, fmt.Errorf("prefilter.action %q: must be drop or reject", p.Action))
	}
	if p.Enabled && len(c.ProxyProtocol.TrustedPeers) > 0 {
		errs = append(errs, fmt.Errorf("prefilter.enabled: the kernel sees only the PROXY peer's address, not the client's: "+
			"the prefilter cannot be used with proxyProtocol.trustedPeers"))
	}
	return errs
}
