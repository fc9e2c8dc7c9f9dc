package gwconfig

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"

	"github.com/tagwall/tagwall/internal/servicetag"
)

// NeedsServiceTags reports whether the file needs service-tag data: it
// lists serviceTags sources, or a route names something that is not an
// address or CIDR (a tag, or a typo only the data can tell from one).
func (c *Config) NeedsServiceTags() bool {
	if len(c.ServiceTags) > 0 {
		return true
	}
	for _, r := range c.Routes {
		for _, e := range r.AuthorizedIPRanges {
			e = strings.TrimSpace(e)
			if _, err := netip.ParsePrefix(e); err == nil {
				continue
			}
			if _, err := netip.ParseAddr(e); err == nil {
				continue
			}
			return true
		}
	}
	return false
}

// TagSources returns the servicetag.Set sources of the file in priority
// order. With no serviceTags listed it returns the Azure Public defaults
// (servicetag.DefaultSources: the download page, backed by the embedded
// snapshot), used when a route names a tag (NeedsServiceTags).
func (c *Config) TagSources() []servicetag.SourceConfig {
	if len(c.ServiceTags) == 0 {
		return servicetag.DefaultSources(servicetag.CloudPublic)
	}
	out := make([]servicetag.SourceConfig, 0, len(c.ServiceTags))
	for _, s := range c.ServiceTags {
		out = append(out, c.tagSource(s))
	}
	return out
}

// tagSource is the Set source of one serviceTags entry: Azure's (a path,
// URL, download page or discovery-API URL) or another cloud's feed
// (servicetag.FeedSourceConfig: its published URLs unless source or urls
// say otherwise, its embedded snapshot unless snapshot does).
func (c *Config) tagSource(s ServiceTagSource) servicetag.SourceConfig {
	if f := servicetag.Feed(s.Feed); s.Feed != "" && f != servicetag.FeedAzure {
		var urls []string
		for _, u := range append([]string{s.Source}, s.URLs...) {
			if u != "" {
				urls = append(urls, c.resolve(u))
			}
		}
		sc := servicetag.FeedSourceConfig(f, urls...)
		sc.Refresh = s.Refresh
		if s.Snapshot != "" {
			sc.Snapshot = s.Snapshot
		}
		return sc
	}
	sc := servicetag.SourceConfig{Location: c.SourceLocation(s), Snapshot: s.Snapshot, Refresh: s.Refresh}
	if s.TokenFile != "" {
		sc.Token = tokenFile(c.resolve(s.TokenFile))
	}
	return sc
}

// resolve makes a relative path relative to Dir.
func (c *Config) resolve(path string) string {
	return c.SourceLocation(ServiceTagSource{Source: path})
}

// tokenFile reads a bearer token from path at every call.
func tokenFile(path string) servicetag.TokenFunc {
	return func(context.Context) (string, error) {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("read service-tag token file %s: %w", path, err)
		}
		return strings.TrimSpace(string(b)), nil
	}
}

// syncPins makes the Set's pins those listed: it pins what is listed at
// its changeNumber and unpins the rest. It stops at the first error.
func syncPins(set *servicetag.Set, pins []ServiceTagPin) error {
	want := map[string]ServiceTagPin{}
	for _, p := range pins {
		want[strings.ToLower(p.Tag)] = p
	}
	for _, have := range set.Status().Pins {
		p, ok := want[strings.ToLower(have.Tag)]
		if ok && p.ChangeNumber == have.ChangeNumber {
			delete(want, strings.ToLower(have.Tag))
			continue
		}
		if !ok {
			if err := set.Unpin(have.Tag); err != nil {
				return fmt.Errorf("serviceTagPins: %w", err)
			}
		}
	}
	var errs []error
	for _, p := range pins {
		if _, todo := want[strings.ToLower(p.Tag)]; todo {
			if err := set.Pin(p.Tag, p.ChangeNumber); err != nil {
				errs = append(errs, fmt.Errorf("serviceTagPins: %w", err))
			}
		}
	}
	return errors.Join(errs...)
}

// acceptListed installs every held document whose changeNumber the file
// lists as the source's acceptChangeNumber, and returns what it did.
func acceptListed(set *servicetag.Set, c *Config) (accepted []string, err error) {
	var errs []error
	for _, st := range set.Status().Sources {
		if st.Held == nil {
			continue
		}
		i := slices.IndexFunc(c.ServiceTags, func(s ServiceTagSource) bool { return c.tagSource(s).Name() == st.Source })
		if i < 0 || c.ServiceTags[i].AcceptChangeNumber != st.Held.ChangeNumber {
			continue
		}
		if err := set.Accept(st.Source); err != nil {
			errs = append(errs, fmt.Errorf("serviceTags[%d].acceptChangeNumber %d: %w", i, st.Held.ChangeNumber, err))
			continue
		}
		accepted = append(accepted, st.Source)
	}
	return accepted, errors.Join(errs...)
}
