package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/google/uuid"
	"github.com/tagwall/tagwall/internal/arm"
	"github.com/tagwall/tagwall/internal/state"
)

func (s *server) newOperation(c *call, mc *state.ManagedCluster, kind string) *state.Operation {
	return &state.Operation{
		ID: uuid.NewString(), Subscription: mc.Subscription, Namespace: state.ContainerService, Location: mc.Location,
		Kind: kind, ClusterKey: mc.Key(), ResourceID: arm.ManagedClusterID(mc.Subscription, mc.ResourceGroup, mc.Name),
		Generation: mc.Generation, Status: arm.StatusInProgress, StartTime: s.now(),
	}
}

// writeWithOperation stores the operation, then the cluster (conditioned on
// rev) pointing at it. When the cluster write loses a race the operation is
// removed again and the conflict returned.
func (s *server) writeWithOperation(c *call, mc *state.ManagedCluster, rev int64, op *state.Operation) (int64, error) {
	ctx := c.r.Context()
	mc.OperationID = op.ID
	if _, err := s.putRecord(ctx, state.OperationKey(op.ID), 0, op); err != nil {
		return 0, err
	}
	newRev, err := s.putRecord(ctx, mc.Key(), rev, mc)
	if err != nil {
		_, _ = s.cfg.Store.Delete(context.WithoutCancel(ctx), state.OperationKey(op.ID), 0)
		return 0, err
	}
	return newRev, nil
}

func (s *server) operationURLs(c *call, op *state.Operation) (async, result string) {
	base := arm.BaseURL(c.r)
	v := c.apiVersion
	return arm.WithAPIVersion(base+arm.OperationPath(op.Subscription, op.Namespace, op.Location, op.ID), v),
		arm.WithAPIVersion(base+arm.OperationResultPath(op.Subscription, op.Namespace, op.Location, op.ID), v)
}

func (s *server) setOperationHeaders(c *call, op *state.Operation, withLocation bool) {
	async, result := s.operationURLs(c, op)
	if !withLocation {
		result = ""
	}
	arm.SetAsyncHeaders(c.w, async, result)
}

func (s *server) loadOperation(c *call) (state.Operation, error) {
	var op state.Operation
	rev, err := s.getRecord(c.r.Context(), state.OperationKey(c.v("op")), &op)
	if err != nil {
		return op, err
	}
	if rev == 0 || !strings.EqualFold(op.Subscription, c.v("sub")) {
		return op, arm.Errorf(http.StatusNotFound, "NotFound", "The operation '%s' could not be found.", c.v("op"))
	}
	return op, nil
}

func operationJSON(c *call, op *state.Operation) arm.OperationStatus {
	st := arm.OperationStatus{
		ID:     arm.OperationPath(op.Subscription, op.Namespace, op.Location, op.ID),
		Name:   op.ID,
		Status: op.Status,
	}
	start := op.StartTime
	st.StartTime = &start
	if !op.EndTime.IsZero() {
		end := op.EndTime
		st.EndTime = &end
	}
	if op.Error != nil {
		st.Error = &arm.Error{Code: op.Error.Code, Message: op.Error.Message}
	}
	return st
}

// getOperation answers the Azure-AsyncOperation URL.
func (s *server) getOperation(c *call) error {
	op, err := s.loadOperation(c)
	if err != nil {
		return err
	}
	if op.Status == arm.StatusInProgress {
		c.w.Header().Set("Retry-After", "1")
	}
	arm.WriteJSON(c.w, http.StatusOK, operationJSON(c, &op))
	return nil
}

// getOperationResult answers the Location URL: 202 while running, 204 when
// done, the operation's error when it failed.
func (s *server) getOperationResult(c *call) error {
	op, err := s.loadOperation(c)
	if err != nil {
		return err
	}
	switch op.Status {
	case arm.StatusInProgress:
		_, result := s.operationURLs(c, &op)
		c.w.Header().Set("Location", result)
		c.w.Header().Set("Retry-After", "1")
		c.w.WriteHeader(http.StatusAccepted)
		return nil
	case arm.StatusSucceeded:
		c.w.WriteHeader(http.StatusNoContent)
		return nil
	}
	e := &arm.Error{Status: http.StatusConflict, Code: "OperationFailed", Message: "The operation failed."}
	if op.Error != nil {
		e.Code, e.Message = op.Error.Code, op.Error.Message
	}
	return e
}

func (s *server) userCredential(c *call) error       { return s.credential(c, UserCredential) }
func (s *server) adminCredential(c *call) error      { return s.credential(c, AdminCredential) }
func (s *server) monitoringCredential(c *call) error { return s.credential(c, MonitoringCredential) }

// credential answers listClusterUserCredential, listClusterAdminCredential
// and listClusterMonitoringUserCredential: one kubeconfig named for cred.
func (s *server) credential(c *call, cred Credential) error {
	mc, _, err := s.existingCluster(c)
	if err != nil {
		return err
	}
	if s.cfg.Kubeconfig == nil {
		return arm.Errorf(http.StatusNotImplemented, "NotImplemented", "This server does not issue cluster credentials.")
	}
	kc, err := s.cfg.Kubeconfig(c.r.Context(), &mc, cred)
	if err != nil {
		var ae *arm.Error
		if errors.As(err, &ae) {
			return ae
		}
		return err
	}
	arm.WriteJSON(c.w, http.StatusOK, map[string]any{"kubeconfigs": []map[string]any{{"name": string(cred), "value": kc}}})
	return nil
}
