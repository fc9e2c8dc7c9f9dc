package api

import (
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tagwall/tagwall/internal/aksref"
	"github.com/tagwall/tagwall/internal/arm"
)

// Name rules, as ARM and AKS state them. Every check returns a 400 *arm.Error
// whose target names the field and whose message states the rule.
const (
	ruleResourceGroupName = "resource group names are 1 to 90 characters of letters, digits, underscores, hyphens, " +
		"periods and parentheses, and cannot end in a period"
	ruleClusterName = "managed cluster names are 1 to 63 characters of letters (a-z, A-Z), digits, hyphens and " +
		"underscores, and must begin and end with a letter or a digit"
	ruleDNSPrefix = "the DNS prefix is 1 to 54 characters of letters (a-z, A-Z), digits and hyphens, and must begin and " +
		"end with a letter or a digit"
)

// validResourceGroupName checks name (a path segment or nodeResourceGroup)
// against ARM's rule. Letters and digits are Unicode letters (L*) and
// decimal digits (Nd), as ARM allows; everything else outside _ - . ( ) is
// refused, which covers NUL, control characters, quotes, slashes, emoji,
// bidi controls and invalid UTF-8. target is "resourceGroupName" or the
// body field.
func validResourceGroupName(code, target, name string) error {
	n := utf8.RuneCountInString(name)
	ok := utf8.ValidString(name) && n >= 1 && n <= 90 && !strings.HasSuffix(name, ".")
	for _, r := range name {
		if !ok {
			break
		}
		ok = unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("_-.()", r)
	}
	if !ok {
		return arm.InvalidField(code, target, name, ruleResourceGroupName+".")
	}
	return nil
}

// validClusterName checks a managed cluster name (AKS's rule, ASCII only:
// the name is part of the node resource group and DNS-facing defaults).
func validClusterName(name string) error {
	if !asciiName(name, 63, true) {
		return arm.InvalidField("InvalidResourceName", "resourceName", name, ruleClusterName+".")
	}
	return nil
}

// validDNSPrefix checks properties.dnsPrefix: it becomes the first DNS
// label of the cluster's FQDN.
func validDNSPrefix(p string) error {
	if !asciiName(p, 54, false) {
		return arm.InvalidField("InvalidParameter", "properties.dnsPrefix", p, ruleDNSPrefix+".")
	}
	return nil
}

// asciiName reports whether s is 1..maxLen of [A-Za-z0-9-] (and _ when
// underscore is set), beginning and ending alphanumeric.
func asciiName(s string, maxLen int, underscore bool) bool {
	if len(s) < 1 || len(s) > maxLen || !alnum(s[0]) || !alnum(s[len(s)-1]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !alnum(c) && c != '-' && (c != '_' || !underscore) {
			return false
		}
	}
	return true
}

func alnum(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// checkLocation refuses a location that is not in the server's set, with
// ARM's code for a resource group (forGroup) or a managed cluster.
func (s *server) checkLocation(loc string, forGroup bool) error {
	if s.locations.Contains(loc) {
		return nil
	}
	list := strings.Join(s.locations.Names(), ",")
	if forGroup {
		return &arm.Error{Status: http.StatusBadRequest, Code: "LocationNotAvailableForResourceGroup", Target: "location",
			Message: fmt.Sprintf("The provided location '%s' is not available for resource group. List of available regions is '%s'.", arm.Printable(loc), list)}
	}
	return &arm.Error{Status: http.StatusBadRequest, Code: "LocationNotAvailableForResourceType", Target: "location",
		Message: fmt.Sprintf("The provided location '%s' is not available for resource type '%s'. List of available regions for the resource type is '%s'.",
			arm.Printable(loc), clusterType, list)}
}

// checkKubernetesVersion refuses a version that is not on aksref's
// supported list (a patch version or a minor alias). code is
// K8sVersionNotSupported for the cluster and AgentPoolK8sVersionNotSupported
// for a pool's orchestratorVersion; target names the field. The message
// is AKS's, word for word: Code="AgentPoolK8sVersionNotSupported"
// Message="Version 1.20.7 is not supported in this region. Please use [az
// aks get-versions] command to get the supported version list in this
// region. For more information, please check
// https://aka.ms/supported-version-list" (dspace-group/simphera-reference-
// architecture-azure #29; elastic/cloud-on-k8s #2760, code
// K8sVersionNotSupported).
func checkKubernetesVersion(code, target, v string) error {
	if aksref.SupportedKubernetesVersion(v) {
		return nil
	}
	return &arm.Error{Status: http.StatusBadRequest, Code: code, Target: target, Message: versionNotSupported(v)}
}

// versionNotSupported is AKS's text for a version off the list.
func versionNotSupported(v string) string {
	return fmt.Sprintf("Version %s is not supported in this region. Please use [az aks get-versions] command to get the supported "+
		"version list in this region. For more information, please check https://aka.ms/supported-version-list", arm.Printable(v))
}
