package cli

import (
	"context"
)

// serviceTags GETs the discovery API and follows nextLink, appending each
// page's values to the first page (nextLink then prints as null). az prints
// only the first page; tagwall's server pages, so the whole list is more
// useful and --query sees every tag.
func (c *client) serviceTags(ctx context.Context, path string) (any, error) {
	first, err := c.getJSON(ctx, path, apiServiceTags)
	if err != nil {
		return nil, err
	}
	m, ok := first.(map[string]any)
	if !ok {
		return first, nil
	}
	for page := 0; page < 1000; page++ {
		next, _ := m["nextLink"].(string)
		if next == "" {
			break
		}
		v, err := c.getJSON(ctx, next, "")
		if err != nil {
			return nil, err
		}
		pm, _ := v.(map[string]any)
		vals, _ := m["values"].([]any)
		more, _ := pm["values"].([]any)
		m["values"] = append(vals, more...)
		m["nextLink"] = pm["nextLink"]
	}
	return m, nil
}
