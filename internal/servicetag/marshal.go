package servicetag

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// downloadDoc and downloadTag are the download format as written by
// MarshalDownload.
type downloadDoc struct {
	ChangeNumber int64         `json:"changeNumber"`
	Cloud        string        `json:"cloud"`
	Values       []downloadTag `json:"values"`
}

type downloadTag struct {
	Name       string        `json:"name"`
	ID         string        `json:"id"`
	Properties downloadProps `json:"properties"`
}

type downloadProps struct {
	ChangeNumber    int64          `json:"changeNumber"`
	Region          string         `json:"region"`
	RegionID        int            `json:"regionId"`
	Platform        string         `json:"platform,omitempty"`
	SystemService   string         `json:"systemService"`
	AddressPrefixes []netip.Prefix `json:"addressPrefixes"`
	NetworkFeatures []string       `json:"networkFeatures,omitempty"`
}

// MarshalDownload writes d in the download format (integer changeNumbers,
// two-space indentation). Parse of the result yields a Document equal to d
// except for Format, which becomes FormatDownload.
func MarshalDownload(d *Document) ([]byte, error) {
	out := downloadDoc{ChangeNumber: d.ChangeNumber, Cloud: d.Cloud, Values: make([]downloadTag, len(d.Tags))}
	for i := range d.Tags {
		out.Values[i] = toDownloadTag(&d.Tags[i])
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("marshal service tags %s: %w", d.Cloud, err)
	}
	return b, nil
}

// MarshalTag writes one tag as it stands in the download format's values
// array (two-space indentation).
func MarshalTag(t *Tag) ([]byte, error) {
	b, err := json.MarshalIndent(toDownloadTag(t), "", "  ")
	if err != nil {
		return nil, fmt.Errorf("marshal service tag %s: %w", t.Name, err)
	}
	return b, nil
}

func toDownloadTag(t *Tag) downloadTag {
	prefixes := t.Prefixes
	if prefixes == nil {
		prefixes = []netip.Prefix{}
	}
	return downloadTag{Name: t.Name, ID: t.ID, Properties: downloadProps{
		ChangeNumber:    t.ChangeNumber,
		Region:          t.Region,
		RegionID:        t.RegionID,
		Platform:        t.Platform,
		SystemService:   t.SystemService,
		AddressPrefixes: prefixes,
		NetworkFeatures: t.NetworkFeatures,
	}}
}

// discoveryDoc and discoveryTag are the discovery-API response body as
// written by MarshalDiscovery (string changeNumbers).
type discoveryDoc struct {
	Name         string         `json:"name"`
	ID           string         `json:"id"`
	Type         string         `json:"type"`
	ChangeNumber string         `json:"changeNumber"`
	Cloud        string         `json:"cloud"`
	Values       []discoveryTag `json:"values"`
	NextLink     *string        `json:"nextLink"`
}

type discoveryTag struct {
	Name                   string         `json:"name"`
	ID                     string         `json:"id"`
	ServiceTagChangeNumber string         `json:"serviceTagChangeNumber"`
	Properties             discoveryProps `json:"properties"`
}

type discoveryProps struct {
	ChangeNumber    string         `json:"changeNumber"`
	Region          string         `json:"region"`
	RegionID        int            `json:"regionId"`
	Platform        string         `json:"platform"`
	SystemService   string         `json:"systemService"`
	AddressPrefixes []netip.Prefix `json:"addressPrefixes"`
	NetworkFeatures []string       `json:"networkFeatures"`
}

// DiscoveryOptions shape one discovery-API response body. The zero value
// (apart from SubscriptionID) asks for the whole document in one body, as
// Azure answers: the Azure SDKs (armnetwork ServiceTagsClient.List) and az
// make one call and never follow nextLink.
type DiscoveryOptions struct {
	SubscriptionID string
	// Skip is the index of the first tag written (a $skipToken); a Skip at
	// or past the end writes no tags.
	Skip int
	// Top caps the tags written when positive (a $top-style request). When
	// tags remain after the page, nextLink is NextLink(Skip+written); with
	// Top <= 0 every tag from Skip on is written and nextLink is null.
	Top int
	// NextLink builds the nextLink URL for the page starting at tag index
	// next. It is required when Top > 0 and tags remain.
	NextLink func(next int) string
}

// MarshalDiscovery writes d as the body of the ARM serviceTags discovery
// API (GET /subscriptions/{sub}/providers/Microsoft.Network/locations/
// {location}/serviceTags): name and id end in the lower-cased cloud, as
// Azure's do; changeNumbers are strings; every tag carries
// serviceTagChangeNumber (armnetwork's ServiceTagInformation field) and
// regionId, platform and networkFeatures ([] when absent). It is the one
// encoder of that body: the API server and tests use it. With opt.Top <= 0
// (the default) the whole document is written with "nextLink": null, and
// Parse of the result yields a Document equal to d except for Format, which
// becomes FormatDiscovery. A paged body (opt.Top > 0) whose nextLink is set
// is refused by Parse; ParsePages merges the pages.
func MarshalDiscovery(d *Document, opt DiscoveryOptions) ([]byte, error) {
	start := min(max(opt.Skip, 0), len(d.Tags))
	end := len(d.Tags)
	if opt.Top > 0 {
		end = min(start+opt.Top, end)
	}
	cloud := strings.ToLower(d.Cloud)
	out := discoveryDoc{
		Name:         cloud,
		ID:           "/subscriptions/" + opt.SubscriptionID + "/providers/Microsoft.Network/serviceTags/" + cloud,
		Type:         "Microsoft.Network/serviceTags",
		ChangeNumber: strconv.FormatInt(d.ChangeNumber, 10),
		Cloud:        d.Cloud,
		Values:       make([]discoveryTag, 0, end-start),
	}
	for i := start; i < end; i++ {
		out.Values = append(out.Values, toDiscoveryTag(&d.Tags[i]))
	}
	if end < len(d.Tags) {
		if opt.NextLink == nil {
			return nil, fmt.Errorf("marshal service tags %s: page ends at tag %d of %d and no NextLink is given", d.Cloud, end, len(d.Tags))
		}
		next := opt.NextLink(end)
		out.NextLink = &next
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("marshal service tags %s: %w", d.Cloud, err)
	}
	return b, nil
}

func toDiscoveryTag(t *Tag) discoveryTag {
	prefixes, features := t.Prefixes, t.NetworkFeatures
	if prefixes == nil {
		prefixes = []netip.Prefix{}
	}
	if features == nil {
		features = []string{}
	}
	cn := strconv.FormatInt(t.ChangeNumber, 10)
	return discoveryTag{Name: t.Name, ID: t.ID, ServiceTagChangeNumber: cn, Properties: discoveryProps{
		ChangeNumber:    cn,
		Region:          t.Region,
		RegionID:        t.RegionID,
		Platform:        t.Platform,
		SystemService:   t.SystemService,
		AddressPrefixes: prefixes,
		NetworkFeatures: features,
	}}
}
