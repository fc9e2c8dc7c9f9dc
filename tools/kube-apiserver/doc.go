// Package kubeapiserver only anchors the wrapper module that builds the
// real kube-apiserver; see go.mod and scripts/kube-apiserver.
package kubeapiserver
