package servicetag

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
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
// written by MarshalDiscovery (string changeNumbers, nextLink null).
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
	Name       string         `json:"name"`
	ID         string         `json:"id"`
	Properties discoveryProps `json:"properties"`
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

// MarshalDiscovery writes d as the body of the ARM serviceTags discovery
// API (GET /subscriptions/{sub}/providers/Microsoft.Network/locations/
// {location}/serviceTags): string changeNumbers, an id under subscriptionID
// and "nextLink": null. Parse of the result yields a Document equal to d
// except for Format, which becomes FormatDiscovery.
func MarshalDiscovery(d *Document, subscriptionID string) ([]byte, error) {
	out := discoveryDoc{
		Name:         d.Cloud,
		ID:           "/subscriptions/" + subscriptionID + "/providers/Microsoft.Network/serviceTags/" + d.Cloud,
		Type:         "Microsoft.Network/serviceTags",
		ChangeNumber: strconv.FormatInt(d.ChangeNumber, 10),
		Cloud:        d.Cloud,
		Values:       make([]discoveryTag, len(d.Tags)),
	}
	for i := range d.Tags {
		t := &d.Tags[i]
		prefixes, features := t.Prefixes, t.NetworkFeatures
		if prefixes == nil {
			prefixes = []netip.Prefix{}
		}
		if features == nil {
			features = []string{}
		}
		out.Values[i] = discoveryTag{Name: t.Name, ID: t.ID, Properties: discoveryProps{
			ChangeNumber:    strconv.FormatInt(t.ChangeNumber, 10),
			Region:          t.Region,
			RegionID:        t.RegionID,
			Platform:        t.Platform,
			SystemService:   t.SystemService,
			AddressPrefixes: prefixes,
			NetworkFeatures: features,
		}}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("marshal service tags %s: %w", d.Cloud, err)
	}
	return b, nil
}
