package arm

import (
	"net/http"
	"slices"
	"strings"
)

// API versions accepted per resource family.
var (
	ManagedClustersVersions = []string{"2022-11-01", "2023-01-01", "2023-08-01", "2024-02-01", "2024-05-01",
		"2024-07-01", "2024-09-01", "2024-10-01", "2025-01-01", "2025-02-01", "2025-03-01", "2025-04-01",
		"2025-05-01", "2025-07-01"}
	FeaturesVersions      = []string{"2015-12-01", "2021-07-01", "2025-03-01"}
	ResourcesVersions     = []string{"2019-11-01", "2020-01-01", "2021-01-01", "2021-04-01", "2022-01-01", "2022-09-01", "2022-12-01", "2023-07-01", "2024-03-01", "2024-11-01"}
	ServiceTagsVersions   = []string{"2022-01-01", "2022-07-01", "2023-09-01", "2024-05-01", "2025-01-01", "2025-05-01"}
	SubscriptionsVersions = []string{"2016-06-01", "2019-11-01", "2020-01-01", "2021-01-01", "2022-12-01"}
)

// CheckAPIVersion returns the request's api-version when it is one of
// supported, or a 400 MissingApiVersionParameter / InvalidApiVersionParameter.
func CheckAPIVersion(r *http.Request, supported []string) (string, error) {
	v := r.URL.Query().Get("api-version")
	if v == "" {
		return "", &Error{Status: http.StatusBadRequest, Code: "MissingApiVersionParameter",
			Message: "The api-version query parameter (?api-version=) is required for all requests."}
	}
	if slices.Contains(supported, v) || slices.Contains(supported, strings.TrimSuffix(v, "-preview")) {
		return v, nil
	}
	return "", Errorf(http.StatusBadRequest, "InvalidApiVersionParameter",
		"The api-version '%s' is invalid. The supported versions are '%s'.", Printable(v), strings.Join(supported, ","))
}
