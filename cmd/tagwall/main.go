// Command tagwall is the service-tag aware API-server front door, its
// ARM-compatible control plane and an az-shaped CLI, in one binary.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
