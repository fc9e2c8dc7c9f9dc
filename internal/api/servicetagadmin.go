package api

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/tagwall/tagwall/internal/arm"
	"github.com/tagwall/tagwall/internal/servicetag"
)

// ServiceTagAdmin is the operator's handle on the service-tag catalog
// (*servicetag.Set satisfies it): status, accepting a held document, and
// pinning a tag at a version.
type ServiceTagAdmin interface {
	Status() servicetag.SetStatus
	Accept(source string) error
	Pin(tag string, changeNumber int64) error
	Unpin(tag string) error
}

// ServiceTagAdminVersions are the api-versions of tagwall's own
// service-tag administration resource.
var ServiceTagAdminVersions = []string{"2026-12-01"}

// ServiceTagAdminPath is the path of that resource, under a
// tagwall-specific provider namespace (no Azure resource provider has it):
//
//	GET    /providers/Tagwall.Admin/serviceTags                 the Set's status (servicetag.SetStatus)
//	POST   /providers/Tagwall.Admin/serviceTags/accept          {"source": S}: install the held document ("" = the only source)
//	PUT    /providers/Tagwall.Admin/serviceTags/pins/{tag}      {"changeNumber": N}: pin tag at that version
//	DELETE /providers/Tagwall.Admin/serviceTags/pins/{tag}      unpin
//
// Each answers the status after the operation. Only an administrator (a
// principal of all subscriptions) may call them.
const ServiceTagAdminPath = "/providers/Tagwall.Admin/serviceTags"

func (s *server) registerServiceTagAdmin() {
	s.add(http.MethodGet, ServiceTagAdminPath, ServiceTagAdminVersions, s.serviceTagStatus)
	s.add(http.MethodPost, ServiceTagAdminPath+"/accept", ServiceTagAdminVersions, s.serviceTagAccept)
	s.add(http.MethodPut, ServiceTagAdminPath+"/pins/{tag}", ServiceTagAdminVersions, s.serviceTagPin)
	s.add(http.MethodDelete, ServiceTagAdminPath+"/pins/{tag}", ServiceTagAdminVersions, s.serviceTagUnpin)
}

// tagAdmin checks the caller and returns the admin handle.
func (s *server) tagAdmin(c *call) (ServiceTagAdmin, error) {
	if !c.principal.AllSubscriptions {
		return nil, arm.Errorf(http.StatusForbidden, "AuthorizationFailed",
			"The client '%s' does not have authorization to administer service tags: an administrator is required.", c.principal.Name)
	}
	if s.cfg.ServiceTags == nil {
		return nil, arm.Errorf(http.StatusServiceUnavailable, "ServiceTagsUnavailable", "This server has no service-tag catalog to administer.")
	}
	return s.cfg.ServiceTags, nil
}

func (s *server) serviceTagStatus(c *call) error {
	adm, err := s.tagAdmin(c)
	if err != nil {
		return err
	}
	arm.WriteJSON(c.w, http.StatusOK, adm.Status())
	return nil
}

func (s *server) serviceTagAccept(c *call) error {
	adm, err := s.tagAdmin(c)
	if err != nil {
		return err
	}
	var body struct {
		Source string `json:"source"`
	}
	if err := arm.ReadJSON(c.r, &body, true); err != nil {
		return err
	}
	if err := adm.Accept(body.Source); err != nil {
		return tagAdminError(err)
	}
	s.log.Warn("service tags: held document accepted by the operator", "source", body.Source, "by", c.principal.Name)
	arm.WriteJSON(c.w, http.StatusOK, adm.Status())
	return nil
}

func (s *server) serviceTagPin(c *call) error {
	adm, err := s.tagAdmin(c)
	if err != nil {
		return err
	}
	tag, _ := url.PathUnescape(c.v("tag"))
	var body struct {
		ChangeNumber int64 `json:"changeNumber"`
	}
	if err := arm.ReadJSON(c.r, &body, false); err != nil {
		return err
	}
	if body.ChangeNumber <= 0 {
		return arm.Errorf(http.StatusBadRequest, "InvalidParameter", "The changeNumber of a pin must be a positive integer.")
	}
	if err := adm.Pin(tag, body.ChangeNumber); err != nil {
		return tagAdminError(err)
	}
	s.log.Info("service tags: pinned by the operator", "tag", tag, "changeNumber", body.ChangeNumber, "by", c.principal.Name)
	arm.WriteJSON(c.w, http.StatusOK, adm.Status())
	return nil
}

func (s *server) serviceTagUnpin(c *call) error {
	adm, err := s.tagAdmin(c)
	if err != nil {
		return err
	}
	tag, _ := url.PathUnescape(c.v("tag"))
	if err := adm.Unpin(tag); err != nil {
		return tagAdminError(err)
	}
	s.log.Info("service tags: unpinned by the operator", "tag", tag, "by", c.principal.Name)
	arm.WriteJSON(c.w, http.StatusOK, adm.Status())
	return nil
}

// tagAdminError maps the Set's operator errors to ARM errors.
func tagAdminError(err error) error {
	switch {
	case errors.Is(err, servicetag.ErrUnknownSource), errors.Is(err, servicetag.ErrNotPinned):
		return arm.Errorf(http.StatusNotFound, "NotFound", "%s", err.Error())
	case errors.Is(err, servicetag.ErrNoHold), errors.Is(err, servicetag.ErrUnknownVersion):
		return arm.Errorf(http.StatusConflict, "Conflict", "%s", err.Error())
	}
	return err
}
