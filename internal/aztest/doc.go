// Package aztest drives the real Azure CLI (az 2.45, Debian's azure-cli)
// against an in-process `tagwall serve` on loopback: cloud register, service
// principal login through tagwall's ADFS-style token service, and the seed
// document's feature / provider / group / aks commands unchanged, with the
// front door checked after each change. It has no non-test code.
//
// The test skips when az is not installed, except under CI (the CI
// environment variable set), where a missing az is a failure. az runs with
// an isolated AZURE_CONFIG_DIR and HOME, its proxy variables pointing at a
// loopback trap that fails the test if anything tries to leave the machine.
package aztest
