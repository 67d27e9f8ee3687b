// Package cnpconformance is netreach's entry point for the ClusterNetworkPolicy conformance tests of
// sigs.k8s.io/network-policy-api (its conformance/tests package), run against the cluster of $KUBECONFIG.
//
// scripts/cnp-upstream builds it with `go test -c` in a wrapper module that pins network-policy-api, beside a copy
// of upstream's base manifests made at build time (embedded below as `base/`): the same manifests, minus the SCTP
// server containers when the build machine's kernel has no SCTP (they would crash and keep every pod unready).
// The SCTP tests are then reported as skipped with that reason, never as passed. On a one-node cluster the two
// replicas of upstream's hostNetwork StatefulSet (centaur) cannot both run (same host ports on one node) and the
// suite would never start: -netreach.one-node then uses base/manifests-one-node.yaml (centaur as ordinary pods) and
// skips the node-peer tests, which need it on the host network, with the reason given.
package cnpconformance

import (
	"embed"
	"flag"
	"strings"
	"testing"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "sigs.k8s.io/network-policy-api/apis/v1alpha2"
	"sigs.k8s.io/network-policy-api/conformance/tests"
	"sigs.k8s.io/network-policy-api/conformance/utils/flags"
	"sigs.k8s.io/network-policy-api/conformance/utils/suite"
)

//go:embed base
var manifests embed.FS

// Why the SCTP tests do not run (empty: they run). Set by scripts/cnp-upstream from the build's own record.
var noSCTP = flag.String("netreach.no-sctp", "", "skip the SCTP tests, giving this reason")

// Why the node-peer tests do not run on this cluster (empty: they run, with upstream's base manifests).
var oneNode = flag.String("netreach.one-node", "", "use the one-node base manifests and skip the node-peer tests, giving this reason")

func TestConformance(t *testing.T) {
	loading := clientcmd.NewDefaultClientConfigLoadingRules()
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(loading, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		t.Fatalf("reading the kubeconfig: %v", err)
	}
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		t.Fatalf("making the controller-runtime client: %v", err)
	}
	if err := api.Install(c.Scheme()); err != nil {
		t.Fatalf("registering policy.networking.k8s.io/v1alpha2: %v", err)
	}
	clientset, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatalf("making the clientset: %v", err)
	}
	base := ""
	if *oneNode != "" {
		base = "base/manifests-one-node.yaml"
	}
	s := suite.New(suite.Options{
		BaseManifests:              base,
		Client:                     c,
		ClientSet:                  clientset,
		KubeConfig:                 *cfg,
		Debug:                      *flags.ShowDebug,
		CleanupBaseResources:       *flags.CleanupBaseResources,
		SupportedFeatures:          suite.ParseSupportedFeatures(*flags.SupportedFeatures),
		ExemptFeatures:             suite.ParseSupportedFeatures(*flags.ExemptFeatures),
		EnableAllSupportedFeatures: *flags.EnableAllSupportedFeatures,
		FS:                         &manifests,
	})
	s.Setup(t)
	var run []suite.ConformanceTest
	for _, test := range tests.ConformanceTests {
		if *noSCTP != "" && strings.Contains(test.ShortName, "SCTP") {
			t.Run(test.ShortName, func(t *testing.T) { t.Skip(*noSCTP) })
			continue
		}
		if *oneNode != "" && strings.Contains(test.ShortName, "NodePeers") {
			t.Run(test.ShortName, func(t *testing.T) { t.Skip(*oneNode) })
			continue
		}
		run = append(run, test)
	}
	s.Run(t, run)
}
