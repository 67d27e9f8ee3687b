// Command oracle-diff evaluates NetworkPolicy cases with Cyclonus' matcher package, as an independent
// engine for netreach's differential check. Input (stdin): {"scenarios": [{"policies": [NetworkPolicy...],
// "cases": [matcher.Traffic...]}]}. Output (stdout): one array per scenario of {"allowed", "ingress",
// "egress"} or {"error"} per case. Policies must already carry API defaulting (policyTypes).
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/mattfenwick/cyclonus/pkg/matcher"
	networkingv1 "k8s.io/api/networking/v1"
)

type scenario struct {
	Policies []*networkingv1.NetworkPolicy `json:"policies"`
	Cases    []*matcher.Traffic            `json:"cases"`
}

type verdict struct {
	Allowed *bool  `json:"allowed,omitempty"`
	Ingress *bool  `json:"ingress,omitempty"`
	Egress  *bool  `json:"egress,omitempty"`
	Error   string `json:"error,omitempty"`
}

// judge runs fn, turning a panic (Cyclonus panics on input it considers invalid) into an error verdict.
func judge(fn func() verdict) (v verdict) {
	defer func() {
		if r := recover(); r != nil {
			v = verdict{Error: fmt.Sprint(r)}
		}
	}()
	return fn()
}

func main() {
	var input struct {
		Scenarios []scenario `json:"scenarios"`
	}
	if err := json.NewDecoder(os.Stdin).Decode(&input); err != nil {
		fmt.Fprintln(os.Stderr, "oracle-diff: bad input:", err)
		os.Exit(2)
	}
	output := make([][]verdict, 0, len(input.Scenarios))
	for _, s := range input.Scenarios {
		var policy *matcher.Policy
		built := judge(func() verdict { policy = matcher.BuildNetworkPolicies(false, s.Policies); return verdict{} })
		verdicts := make([]verdict, 0, len(s.Cases))
		for _, c := range s.Cases {
			if built.Error != "" {
				verdicts = append(verdicts, built)
				continue
			}
			verdicts = append(verdicts, judge(func() verdict {
				r := policy.IsTrafficAllowed(c)
				allowed, ingress, egress := r.IsAllowed(), r.Ingress.IsAllowed(), r.Egress.IsAllowed()
				return verdict{Allowed: &allowed, Ingress: &ingress, Egress: &egress}
			}))
		}
		output = append(output, verdicts)
	}
	if err := json.NewEncoder(os.Stdout).Encode(output); err != nil {
		fmt.Fprintln(os.Stderr, "oracle-diff: cannot write output:", err)
		os.Exit(2)
	}
}
