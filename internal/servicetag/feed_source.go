package servicetag

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// partSeparator separates the parts a JoinSource joins: a NUL byte, which
// no text list or JSON document holds.
const partSeparator = 0

// JoinSource is a Source made of several parts fetched together, for a feed
// published as more than one document (Cloudflare's ips-v4 and ips-v6). Its
// Fetch returns the parts' bytes joined by a NUL byte, so a Keeper hashes,
// caches and hands them on as one document, and ParseFeed (or ParseFeedAs
// FeedCloudflare) splits them again and checks each part on its own: an
// empty part or an error page in one part refuses the whole document. It is
// safe for concurrent use.
type JoinSource struct {
	parts []Source

	mu   sync.Mutex
	last [][]byte // each part's last bytes, for a part that is not modified
}

// NewJoinSource returns a JoinSource fetching parts in order.
func NewJoinSource(parts ...Source) *JoinSource {
	return &JoinSource{parts: parts, last: make([][]byte, len(parts))}
}

// String lists the parts' names joined by " + ".
func (j *JoinSource) String() string {
	names := make([]string, len(j.parts))
	for i, p := range j.parts {
		names[i] = p.String()
	}
	return strings.Join(names, " + ")
}

// Fetch fetches every part. It reports notModified only when every part
// does; a part that is not modified while another is contributes its last
// bytes. Any part's error fails the whole fetch, naming the part.
func (j *JoinSource) Fetch(ctx context.Context) ([]byte, bool, error) {
	if len(j.parts) == 0 {
		return nil, false, errors.New("fetch service tags: a join source with no parts")
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	fresh := make([][]byte, len(j.parts))
	allSame := true
	for i, p := range j.parts {
		data, notModified, err := p.Fetch(ctx)
		switch {
		case err != nil:
			return nil, false, fmt.Errorf("fetch part %d of %s: %w", i+1, j, err)
		case notModified && j.last[i] == nil:
			return nil, false, fmt.Errorf("fetch part %d of %s: not modified, but it was never fetched", i+1, j)
		case notModified:
			fresh[i] = j.last[i]
		default:
			fresh[i] = data
			allSame = false
		}
	}
	copy(j.last, fresh)
	if allSame {
		return nil, true, nil
	}
	return bytes.Join(fresh, []byte{partSeparator}), false, nil
}

// NewFeedSource returns the Source of feed f at urls, or at the provider's
// published URLs (Feed.DefaultURLs) when urls is empty: an HTTPSource, or a
// JoinSource of one per URL for a feed published in parts. A url may also
// be a local path (see NewSource).
func NewFeedSource(f Feed, opt HTTPOptions, urls ...string) (Source, error) {
	if _, ok := feeds[f]; !ok {
		return nil, fmt.Errorf("new feed source %q: %w", string(f), ErrUnknownFeed)
	}
	if len(urls) == 0 {
		urls = f.DefaultURLs()
	}
	parts := make([]Source, 0, len(urls))
	for _, u := range urls {
		var src Source
		var err error
		if strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://") {
			src, err = NewHTTPSource(u, opt)
		} else {
			src, err = NewSource(u)
		}
		if err != nil {
			return nil, fmt.Errorf("new feed source %q: %w", string(f), err)
		}
		parts = append(parts, src)
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	return NewJoinSource(parts...), nil
}

// splitParts splits what a JoinSource returned into its parts.
func splitParts(data []byte) [][]byte {
	return bytes.Split(data, []byte{partSeparator})
}

// Compile-time interface guard.
var _ Source = (*JoinSource)(nil)

// downloadSource is AsDownload's Source.
type downloadSource struct {
	feed Feed
	src  Source
}

// AsDownload adapts a source of feed f to everything that reads Azure's
// download format, the Keeper first: Fetch parses what src returns with
// ParseFeedAs(f) and returns the document written by MarshalDownload, which
// Parse reads back unchanged (the round trip is lossless). A document the
// feed's parser refuses is a Fetch error naming it, so a Keeper keeps its
// last good document and reports the error in Status; notModified passes
// through. The Keeper's cache file then holds the download form.
func AsDownload(f Feed, src Source) Source { return &downloadSource{feed: f, src: src} }

func (d *downloadSource) String() string { return d.src.String() }

// Fetch fetches, parses and converts.
func (d *downloadSource) Fetch(ctx context.Context) ([]byte, bool, error) {
	data, notModified, err := d.src.Fetch(ctx)
	if err != nil || notModified {
		return nil, notModified, err
	}
	doc, err := ParseFeedAs(d.feed, d.src.String(), data)
	if err != nil {
		return nil, false, fmt.Errorf("fetch %s feed: %w", d.feed, err)
	}
	out, err := MarshalDownload(doc)
	if err != nil {
		return nil, false, fmt.Errorf("fetch %s feed: %w", d.feed, err)
	}
	return out, false, nil
}

var _ Source = (*downloadSource)(nil)
