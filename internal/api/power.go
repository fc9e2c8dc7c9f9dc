package api

import (
	"net/http"

	"github.com/tagwall/tagwall/internal/arm"
	"github.com/tagwall/tagwall/internal/state"
)

func (s *server) registerPower() {
	v := arm.ManagedClustersVersions
	s.add(http.MethodPost, clusterPath+"/stop", v, s.stopCluster)
	s.add(http.MethodPost, clusterPath+"/start", v, s.startCluster)
}

// stopCluster answers POST …/managedClusters/{name}/stop, a long-running
// operation (202, Azure-AsyncOperation and Location; the SDK's begin_stop
// takes the final state from Location). The cluster's powerState.code
// becomes Stopped and its front door refuses every client with reason
// cluster-stopped once the controller applied the change.
func (s *server) stopCluster(c *call) error {
	return s.power(c, state.OpStop, state.PowerStopped, state.Stopping, "stopping")
}

// startCluster answers POST …/start: Running again, the list in force.
func (s *server) startCluster(c *call) error {
	return s.power(c, state.OpStart, state.PowerRunning, state.Starting, "starting")
}

// power moves the cluster to power. A cluster already there is refused
// as AKS refuses it: "managed cluster is in Provisioning State(Succeeded)
// and Power State(Stopped), stopping cannot be performed" (a second stop,
// quoted in MicrosoftDocs/azure-docs #85161; the start text is its mirror,
// and the code and status, 409 OperationNotAllowed, are tagwall's: the
// source shows neither).
func (s *server) power(c *call, kind, power, provisioning, verb string) error {
	_, op, err := s.changeCluster(c, kind, provisioning, func(mc *state.ManagedCluster) error {
		if powerCode(mc) == power {
			return arm.Errorf(http.StatusConflict, "OperationNotAllowed",
				"managed cluster is in Provisioning State(%s) and Power State(%s), %s cannot be performed", mc.ProvisioningState, power, verb)
		}
		mc.PowerState = power
		return nil
	})
	if err != nil {
		return err
	}
	s.setOperationHeaders(c, op, true)
	c.w.WriteHeader(http.StatusAccepted)
	return nil
}

// changeCluster applies change to the stored cluster as one operation of
// kind: the group and the cluster must exist and the cluster must not be
// Deleting; the next generation is written with provisioningState
// provisioning and a new operation, which the controller completes once
// the generation is applied. A conflict with another writer (the
// controller recording a status) is retried on a fresh read.
func (s *server) changeCluster(c *call, kind, provisioning string, change func(mc *state.ManagedCluster) error) (*state.ManagedCluster, *state.Operation, error) {
	if _, _, err := s.loadGroup(c); err != nil {
		return nil, nil, err
	}
	var (
		out state.ManagedCluster
		op  *state.Operation
	)
	err := retry(func() error {
		mc, rev, err := s.loadCluster(c)
		if err != nil {
			return err
		}
		if rev == 0 {
			return s.notFound(c)
		}
		if mc.ProvisioningState == state.Deleting {
			return arm.Errorf(http.StatusConflict, "OperationNotAllowed",
				"Operation is not allowed: the managed cluster '%s' is being deleted.", c.v("name"))
		}
		if err := change(&mc); err != nil {
			return err
		}
		// Changes accumulate (agent pools): bound what one record may
		// grow to by what one request may carry.
		if b, err := state.Encode(&mc); err == nil && len(b) > arm.MaxBodyBytes {
			return arm.Errorf(http.StatusConflict, "QuotaExceeded",
				"The managed cluster '%s' would take %d bytes, more than the %d one cluster may hold.", c.v("name"), len(b), arm.MaxBodyBytes)
		}
		mc.Generation++
		mc.ProvisioningState, mc.UpdatedAt = provisioning, s.now()
		op = s.newOperation(c, &mc, kind)
		if _, err := s.writeWithOperation(c, &mc, rev, op); err != nil {
			return err
		}
		out = mc
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return &out, op, nil
}
