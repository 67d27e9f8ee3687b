# Writes reports/peers.md from the raw results of scripts/peers ($OUT): the peers' and netreach's verdicts, wall
# times and probe counts. Scenario titles join the three: e2e leaf texts, Cyclonus case descriptions, and the
# `# upstream: "..."` comment above each phase of suites/upstream/*.yaml.
# shellcheck shell=bash

# Drops Ginkgo's " [Feature:...]" tags from the first column.
_norm_titles() { awk -F'\t' -v OFS='\t' '{ gsub(/ \[Feature:[^]]*\]/, "", $1); print }'; }

# Merges title <TAB> verdict lines: a title fails if any of its lines failed (a plain failure outweighs a known one).
_merge_verdicts() {
  awk -F'\t' '{ if (!($1 in v) || v[$1] == "pass" || $2 == "fail") { if (!($1 in v) || $2 != "pass") v[$1] = $2 } }
               END { for (t in v) print t "\t" v[t] }' | sort -t $'\t' -k1,1
}

# phase <TAB> upstream title, for one suite file.
_phase_titles() {
  awk '/^  # upstream: "/ { t = $0; sub(/^  # upstream: "/, "", t); sub(/"$/, "", t) }
       /^  - name: / { print $3 "\t" t }' "$1"
}

# title <TAB> pass|fail for the scenarios of netreach suites (a scenario fails if one of its phases did).
netreach_verdicts() { # suite-name...
  local s json
  for s in "$@"; do
    json=$OUT/netreach/$s.json
    [ -f "$json" ] || continue
    join -t $'\t' <(_phase_titles "suites/upstream/$s.yaml" | sort -t $'\t' -k1,1) \
      <(jq -r '.phases[] | [.name, (if (.summary.failed + .summary.errors) > 0 then "fail"
                                      elif .summary.known > 0 then "fail (known deviation)" else "pass" end)] | @tsv' \
        "$json" | sort -t $'\t' -k1,1) | cut -f2,3
  done | _merge_verdicts
}
netreach_tables() { netreach_verdicts upstream-80-tables upstream-81-tables; }

# title <TAB> seconds netreach spent on each scenario: its phases' probing, plus each phase's share of its suite's
# fixed cost (deploying, cleaning up: the suite's wall time less its phases' probing).
netreach_scenario_seconds() { # suite-name...
  local s json wall
  for s in "$@"; do
    json=$OUT/netreach/$s.json
    [ -f "$json" ] || continue
    wall=$(awk -v s="$s" '$1 == s { print $2 }' "$OUT/netreach/wall.txt")
    join -t $'\t' <(_phase_titles "suites/upstream/$s.yaml" | sort -t $'\t' -k1,1) \
      <(jq -r --arg wall "${wall:-0}" '(.phases | length) as $n | ([.phases[].probe_millis] | add / 1000) as $probe
          | .phases[] | [.name, (.probe_millis / 1000 + (($wall | tonumber) - $probe) / $n)] | @tsv' "$json" |
        sort -t $'\t' -k1,1) | cut -f2,3
  done | awk -F'\t' '{ s[$1] += $2 } END { for (t in s) printf "%s\t%.1f\n", t, s[t] }' | sort -t $'\t' -k1,1
}
netreach_oracle() { netreach_verdicts upstream-80 upstream-81; }

# title <TAB> pass|fail|<state> for the TCP specs of upstream's main Describe (the ones suites/upstream/ writes).
e2e_verdicts() {
  [ -f "$OUT/e2e/summary.tsv" ] || return 0
  awk -F'\t' -v prefix='[sig-network] Netpol NetworkPolicy between server and client ' '
    index($4, prefix) == 1 { print substr($4, length(prefix) + 1) "\t" ($1 == "passed" ? "pass" : ($1 == "failed" ? "fail" : $1)) }' \
    "$OUT/e2e/summary.tsv" | _norm_titles | _merge_verdicts
}

# title <TAB> run seconds of those specs.
e2e_spec_seconds() {
  [ -f "$OUT/e2e/summary.tsv" ] || return 0
  awk -F'\t' -v prefix='[sig-network] Netpol NetworkPolicy between server and client ' '
    index($4, prefix) == 1 { print substr($4, length(prefix) + 1) "\t" $2 }' "$OUT/e2e/summary.tsv" | _norm_titles |
    sort -t $'\t' -k1,1
}

# title <TAB> pass|fail from Cyclonus' JUnit.
cyclonus_verdicts() {
  [ -f "$OUT/cyclonus/junit.xml" ] || return 0
  awk '/<testcase / { name = $0; sub(/.*name="/, "", name); sub(/".*/, "", name); failed = ($0 ~ /<failure/)
                      if ($0 ~ /\/>[[:space:]]*$/ || $0 ~ /<\/testcase>/) { print name "\t" (failed ? "fail" : "pass"); name = "" }
                      next }
       /<failure/ { failed = 1 }
       /<\/testcase>/ && name != "" { print name "\t" (failed ? "fail" : "pass"); name = "" }' "$OUT/cyclonus/junit.xml" |
    sed -e "s/&#39;/'/g" -e 's/&#34;/"/g' -e 's/&quot;/"/g' -e 's/&apos;/'"'"'/g' -e 's/&amp;/\&/g' | _norm_titles | _merge_verdicts
}

# "<steps> <probes>": Cyclonus' probed steps, and the connects they made: every try of a step probes each pod pair
# (the pairs of its "N wrong, N ignored, N correct" lines) on one port, or on every server port (2 here: TCP 80
# and 81) when the step probes "all available" ports.
cyclonus_probes() {
  awk '/running probe &\{AllAvailable:true/ { ports = 2; steps++ }
       /running probe &\{AllAvailable:false/ { ports = 1; steps++ }
       /running kube probe on try/ { tries[ports]++ }
       /[0-9]+ wrong, [0-9]+ ignored, [0-9]+ correct/ && !pairs {
         match($0, /[0-9]+ wrong, [0-9]+ ignored, [0-9]+ correct/); split(substr($0, RSTART, RLENGTH), w, " ")
         pairs = w[1] + w[3] + w[5] }
       END { printf "%d %d\n", steps, pairs * (tries[1] + 2 * tries[2]) }' "$OUT/cyclonus/generate.log"
}

# title <TAB> seconds per Cyclonus case: from its first log line to the next case's (the last: to the run's end).
cyclonus_case_seconds() {
  awk '/^test #[0-9]+: / { n = $2; sub(/#/, "", n); sub(/:$/, "", n); t = $0; sub(/^test #[0-9]+: /, "", t); title[n + 0] = t }
       /^starting test case #/ { n = $0; sub(/.*#/, "", n); current = n + 0; want = 1 }
       /^time="/ && want { ts = $0; sub(/^time="/, "", ts); sub(/".*/, "", ts); gsub(/[-T:Z]/, " ", ts)
                           start[current] = mktime(ts); want = 0; last = current }
       /^time="/ { ts = $0; sub(/^time="/, "", ts); sub(/".*/, "", ts); gsub(/[-T:Z]/, " ", ts); end = mktime(ts) }
       END { for (i = 1; i <= last; i++) print title[i] "\t" ((i < last ? start[i + 1] : end) - start[i]) }' \
    "$OUT/cyclonus/generate.log" | _norm_titles
}

# The enforcer whose process runs on this machine, with its version (the local cluster's binaries are cached by
# version), or "the network plugin of the configured cluster".
enforcer_running() {
  local path
  path=$(ps -eo args | awk '$1 ~ /\/(kube-router|cilium-agent)$/ { print $1; exit }')
  case $path in
    */kube-router-v*/kube-router) path=${path#*/kube-router-}; echo "kube-router ${path%%/*}" ;;
    */cilium-v*/cilium-agent) path=${path#*/cilium-}; echo "Cilium ${path%%/*}" ;;
    *) echo "the network plugin of the configured cluster" ;;
  esac
}

# Which run each part's results come from, each part's wall time, and the machine's load while they ran.
run_section() {
  local part stamps="" stamp wall
  echo "## This run"
  echo
  echo "| part | results of the run started | part's wall s (builds excluded) |"
  echo "|---|---|---|"
  for part in e2e cyclonus netreach; do
    stamp=$(cat "$OUT/$part/run.txt" 2>/dev/null || echo "no stamp")
    wall=$(cat "$OUT/$part/part-wall.txt" 2>/dev/null || echo "–")
    stamps="$stamps|$stamp"
    echo "| $part | $stamp | $wall |"
  done
  echo
  if [ "$(echo "$stamps" | tr '|' '\n' | sed '/^$/d' | sort -u | wc -l)" = 1 ] && [ "${stamps#*no stamp}" = "$stamps" ]; then
    echo "Every figure below comes from that one run of \`scripts/peers\`."
  else
    echo "**The parts come from different runs** (\`scripts/peers --only …\`): the figures below mix them."
  fi
  echo
  if [ -s "$OUT/load.txt" ]; then
    echo "Load of the machine (2 cores, shared with other work; 1-minute load average of /proc/loadavg, sampled every"
    echo "30 s) while the parts ran: $(sort -n -k3,3 "$OUT/load.txt" | awk '{ l[++n] = $3 }
      END { if (n) printf "%d samples, min %.1f, median %.1f, max %.1f", n, l[1], l[int((n + 1) / 2)], l[n] }')."
    echo "At each part's start and end: $(awk '$2 != "sample" { printf "%s%s %s %s", sep, $2, $1, $3; sep = ", " }' "$OUT/load.txt")."
    echo "Median load while each part ran: $(awk '/-start / { p = $2; sub(/-start$/, "", p); next } /-end / { p = ""; next }
      p != "" { n[p]++; v[p, n[p]] = $3 }
      END { for (q in n) { m = n[q]; for (i = 1; i <= m; i++) a[i] = v[q, i]
              for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
              printf "%s%s %.1f (%d samples)", sep, q, a[int((m + 1) / 2)], m; sep = ", " } }' "$OUT/load.txt"). The"
    echo "peers and netreach ran under different loads: their times, and so the ratios, carry that difference."
    echo
  fi
}

# "<agreeing> of <shared>": scenarios both verdict lists have, and those with the same verdict.
agreement() { # file-a file-b
  join -t $'\t' "$1" "$2" | awk -F'\t' '{ n++; if ($2 == $3) a++ } END { printf "%d of %d", a, n }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0) printf "%.1fx", a / b; else print "n/a" }'; }

# One line per spec: state, seconds, probes (agnhost connect execs started), name, failure reason.
e2e_summary() {
  local dir=$1 f
  : >"$dir/summary.tsv"
  for f in "$dir"/batch-*.json; do
    [ -f "$f" ] || continue
    jq -r '.[0].SpecReports[] | select(.LeafNodeType == "It" and .State != "skipped")
      | [.State, (.RunTime / 1e9 | . * 10 | round / 10),
         ([.CapturedGinkgoWriterOutput // "" | scan("Starting probe from pod")] | length),
         ((.ContainerHierarchyTexts + [.LeafNodeText]) | join(" ")),
         ((.Failure.Message // "") | gsub("[\t\n]+"; " ") | .[0:300])] | @tsv' "$f" >>"$dir/summary.tsv"
  done
}

write_report() {
  local tmp k8s enforcer rev
  tmp=$(mktemp -d)
  [ -d "$OUT/e2e" ] && e2e_summary "$OUT/e2e"
  netreach_tables >"$tmp/nr"
  netreach_oracle >"$tmp/nro"
  e2e_verdicts >"$tmp/e2e"
  cyclonus_verdicts >"$tmp/cy"
  k8s=$(kubectl version -o json 2>/dev/null | jq -r '.serverVersion.gitVersion // "unknown"')
  enforcer=$(enforcer_running)
  rev=$(cat "$OUT/netreach/rev.txt" 2>/dev/null || echo "(source not recorded)")
  rev="$rev, report written at $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- harness suites scripts || echo "+uncommitted")"
  cat <<EOF
# netreach side by side with its peers

Written by \`scripts/peers\` on $(date -u +%Y-%m-%dT%H:%MZ) from the raw results in \`$OUT\`. Machine: $(nproc) CPUs,
$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r), shared with other work. Cluster: Kubernetes $k8s,
$enforcer (single node, IPv4). netreach $rev. Peers: upstream's e2e NetworkPolicy tests of
k8s.io/kubernetes $K8S_VERSION (\`test/e2e/network/netpol\`, built into \`$E2E_NETPOL_BIN_DIR\`) and Cyclonus
$CYCLONUS_VERSION (\`$CYCLONUS_BIN_DIR\`), both probing with agnhost built from the same Kubernetes module. How the
scenarios map, what netreach cannot express yet, and every disagreement explained:
[suites/upstream/README.md](../suites/upstream/README.md).

EOF
  run_section
  summary_section "$tmp"
  disagreement_section "$tmp"
  netreach_section
  netreach_time_section
  e2e_section
  cyclonus_section
  scenario_section "$tmp"
  rm -rf "$tmp"
}

summary_section() {
  local tmp=$1 nr_tables="" nr_oracle="" same=""
  if [ -f "$OUT/netreach/wall.txt" ]; then
    nr_tables=$(awk '$1 ~ /-tables$/ { s += $2 } END { printf "%.1f", s }' "$OUT/netreach/wall.txt")
    nr_oracle=$(awk '$1 !~ /-tables$/ { s += $2 } END { printf "%.1f", s }' "$OUT/netreach/wall.txt")
  fi
  echo "## Summary"
  echo
  echo "| peer | scenarios | peer verdicts | peer wall s | netreach wall s | ratio | verdicts agree with netreach's |"
  echo "|---|---|---|---|---|---|---|"
  if [ -f "$OUT/e2e/summary.tsv" ]; then
    local total passed wall spec_sum shared nr_shared
    total=$(wc -l <"$OUT/e2e/summary.tsv")
    passed=$(awk -F'\t' '$1 == "passed"' "$OUT/e2e/summary.tsv" | wc -l)
    wall=$(cat "$OUT"/e2e/batch-*.json | jq -s '[.[][0].RunTime] | add / 1e9 | . * 10 | round / 10')
    spec_sum=$(awk -F'\t' '{ s += $2 } END { printf "%.1f", s }' "$OUT/e2e/summary.tsv")
    # Scenarios both ran: the e2e specs' run time against netreach's time on the same scenarios.
    e2e_spec_seconds >"$tmp/e2es"
    netreach_scenario_seconds upstream-80-tables upstream-81-tables >"$tmp/nrs"
    shared=$(join -t $'\t' "$tmp/e2e" "$tmp/nr" | wc -l)
    same=$(join -t $'\t' "$tmp/e2es" "$tmp/nrs" | awk -F'\t' '{ s += $2 } END { printf "%.1f", s }')
    nr_shared=$(join -t $'\t' "$tmp/e2es" "$tmp/nrs" | awk -F'\t' '{ s += $3 } END { printf "%.1f", s }')
    echo "| upstream e2e, every spec run | $total | $passed passed, $((total - passed)) not | $wall on $(cat "$OUT/e2e/procs.txt") Ginkgo nodes ($spec_sum one after the other) | – | – | – |"
    echo "| upstream e2e, the scenarios of suites/upstream it ran | $shared | $(join -t $'\t' "$tmp/e2e" "$tmp/nr" | awk -F'\t' '$2 == "pass"' | wc -l) passed | $same (their specs' run time, one after the other) | $nr_shared (those scenarios' phases in the tables suites) | $(ratio "$same" "$nr_shared") | $(agreement "$tmp/e2e" "$tmp/nr") |"
  fi
  if [ -f "$OUT/cyclonus/wall.txt" ]; then
    local wall total passed
    wall=$(cut -d' ' -f1 "$OUT/cyclonus/wall.txt")
    total=$(wc -l <"$tmp/cy")
    passed=$(awk -F'\t' '$2 == "pass"' "$tmp/cy" | wc -l)
    local shared shared_secs
    cyclonus_case_seconds | sort -t $'\t' -k1,1 >"$tmp/cys"
    shared=$(join -t $'\t' "$tmp/cy" "$tmp/nr" | wc -l)
    shared_secs=$(join -t $'\t' "$tmp/cys" "$tmp/nr" | awk -F'\t' '{ s += $2 } END { printf "%.0f", s }')
    [ -s "$tmp/nrs" ] || netreach_scenario_seconds upstream-80-tables upstream-81-tables >"$tmp/nrs"
    local nr_cy
    nr_cy=$(join -t $'\t' "$tmp/cys" "$tmp/nrs" | awk -F'\t' '{ s += $3 } END { printf "%.1f", s }')
    echo "| Cyclonus \`generate --include=$CYCLONUS_INCLUDE\`, every case | $total | $passed passed, $((total - passed)) failed | $wall | – | – | – |"
    echo "| Cyclonus, its cases of upstream's scenarios | $shared | $(join -t $'\t' "$tmp/cy" "$tmp/nr" | awk -F'\t' '$2 == "pass"' | wc -l) passed | $shared_secs (their cases' time) | $nr_cy (those scenarios' phases in the tables suites) | $(ratio "$shared_secs" "$nr_cy") | $(agreement "$tmp/cy" "$tmp/nr") |"
  fi
  echo
  echo "netreach wall: \`netreach run\` of suites/upstream/upstream-{80,81}-tables.yaml, end to end (fixtures deployed once"
  echo "per suite, every phase probed until it settles plus a confirmation round, cleanup; with the baseline's known"
  echo "deviations, if any, confirmed once instead of retried until the settle timeout). The \`expect: oracle\` twins"
  echo "(the same phases) took ${nr_oracle:-?} s; their verdicts agree with the tables suites' on $(agreement "$tmp/nro" "$tmp/nr")"
  echo "scenarios."
  echo
}

# Scenarios where a peer's verdict and netreach's differ; the explanations live in suites/upstream/README.md.
disagreement_section() {
  local tmp=$1 rows
  rows=$({ join -t $'\t' "$tmp/e2e" "$tmp/nr" | awk -F'\t' '$2 != $3 { print "| " $1 " | upstream e2e: " $2 " | " $3 " |" }'
    join -t $'\t' "$tmp/cy" "$tmp/nr" | awk -F'\t' '$2 != $3 { print "| " $1 " | Cyclonus: " $2 " | " $3 " |" }'
    join -t $'\t' "$tmp/nro" "$tmp/nr" | awk -F'\t' '$2 != $3 { print "| " $1 " | netreach oracle suites: " $2 " | " $3 " |" }'; })
  echo "## What each found on this cluster"
  echo
  echo "- upstream e2e: $(awk -F'\t' '$1 != "passed"' "$OUT/e2e/summary.tsv" 2>/dev/null | wc -l) failing spec(s) of $(wc -l <"$OUT/e2e/summary.tsv" 2>/dev/null || echo 0); its only wrong probes were loopback cells (a pod to its own Service IP), which it ignores."
  echo "- Cyclonus: $(awk -F'\t' '$2 != "pass"' "$tmp/cy" | wc -l) failing case(s) of $(wc -l <"$tmp/cy")."
  echo "- netreach: $(for j in "$OUT"/netreach/*-tables.json; do [ -f "$j" ] && jq '.summary.failed + .summary.errors + .summary.known' "$j"; done | awk '{ s += $1 } END { print s + 0 }') wrong cell(s) in upstream's scenarios with upstream's tables (listed below; *known*: the baseline lists that deviation), each explained in suites/upstream/README.md."
  echo
  echo "## Disagreements"
  echo
  if [ -z "$rows" ]; then
    echo "None: every scenario both a peer and netreach ran has the same verdict."
  else
    echo "Each is explained in [suites/upstream/README.md](../suites/upstream/README.md#disagreements-on-the-cluster-kube-router-v210)."
    echo
    echo "| scenario | peer verdict | netreach (upstream's tables) |"
    echo "|---|---|---|"
    echo "$rows"
  fi
  echo
}

netreach_section() {
  [ -f "$OUT/netreach/wall.txt" ] || return 0
  echo "## netreach on suites/upstream/"
  echo
  echo "Flags of every \`netreach run\`: \`-q -v $(cat "$OUT/netreach/flags.txt" 2>/dev/null) --json …\`; otherwise the defaults (2 s connect"
  echo "timeout, 30 s settle timeout, retries every 0.5 s, confirmation round 1 s after the apply)."
  echo
  echo "| suite | phases | cells | probes | passed | failed | known | errors | implementation-defined | wall s | exit |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  local s wall code json
  while read -r s wall code; do
    json=$OUT/netreach/$s.json
    if [ -f "$json" ]; then
      jq -r --arg s "$s" --arg w "$wall" --arg c "$code" '"| \($s) | \(.phases | length) | \([.phases[].cells[]] | length) | \([.phases[].cells[].attempts // 0] | add) | \(.summary.passed) | \(.summary.failed) | \(.summary.known) | \(.summary.errors) | \(.summary.implementation_defined) | \($w) | \($c) |"' "$json"
    else
      echo "| $s | – | – | – | – | – | – | – | – | $wall | $code |"
    fi
  done <"$OUT/netreach/wall.txt"
  echo
  local failed
  failed=$(for json in "$OUT"/netreach/*.json; do
    [ -f "$json" ] || continue
    jq -r '.suite as $s | .phases[] | .name as $p | .cells[] | select(.status == "fail" or .status == "error" or .status == "known")
           | "- \($s) / \($p): \(.from) -> \(.to):\(.port) expected \(.expected), observed \(.observed): \(.status), \(.attempts) probes\(if .message then " (" + .message + ")" else "" end)\(if .baseline_reason then " — baseline: " + .baseline_reason else "" end)"' "$json"
  done)
  if [ -n "$failed" ]; then
    echo "Cells that did not pass (first 60):"
    echo
    echo "$failed" | head -60
    echo
  fi
}

# "<deploy> <phases> <probing> <cleanup> <other>" seconds of one netreach run, from its -v log (timestamps) and JSON:
# deploy = first log line to the first policy applied (preflight, namespaces, pods Ready); phases = from there to
# the last probe, of which probing = the phases' probe_millis (the rest: applying and deleting policies, rendering
# tables); cleanup = until the namespaces are gone; other = the wall time left (start, connecting, writing files).
netreach_time_split() { # suite
  local err=$OUT/netreach/$1.err json=$OUT/netreach/$1.json wall
  [ -f "$err" ] && [ -f "$json" ] || return 0
  wall=$(awk -v s="$1" '$1 == s { print $2 }' "$OUT/netreach/wall.txt")
  awk -v wall="$wall" -v probe="$(jq '[.phases[].probe_millis] | add / 1000' "$json")" '
    function t(line,   ts, h) { ts = substr(line, 12, 15); split(ts, h, ":"); return h[1] * 3600 + h[2] * 60 + h[3] }
    /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T/ { now = t($0); if (!first) first = now }
    /applying NetworkPolicy/ && !apply { apply = now }
    /probing done/ { probed = now }
    /cleanup done/ { cleaned = now }
    END { if (!first || !apply || !probed || !cleaned) exit
          printf "%.1f %.1f %.1f %.1f %.1f\n", apply - first, probed - apply, probe, cleaned - probed, wall - (cleaned - first) }' "$err"
}

netreach_time_section() {
  [ -f "$OUT/netreach/wall.txt" ] || return 0
  local s wall split
  echo "## Where netreach's time goes"
  echo
  echo "From each run's \`-v\` log and JSON. Deploy: preflight, namespaces and pods until Ready. Phases: from the first"
  echo "policy applied to the last probe; probing is the phases' own time (from their policies applied to their last"
  echo "probe: at least the 1 s before the confirmation round), the rest of a phase is applying and deleting policies"
  echo "and rendering tables. Cleanup: until the namespaces are gone. Other: starting, connecting, writing the reports."
  echo
  echo "| suite | wall s | deploy s | phases s | of which probing s | cleanup s | other s | slowest phases (s) |"
  echo "|---|---|---|---|---|---|---|---|"
  while read -r s wall _; do
    split=$(netreach_time_split "$s")
    [ -n "$split" ] || split="– – – – –"
    # shellcheck disable=SC2086
    set -- $split
    echo "| $s | $wall | $1 | $2 | $3 | $4 | $5 | $(jq -r '[.phases[] | {n: .name, s: (.probe_millis / 1000)}] | sort_by(-.s) | .[0:3]
      | map("\(.n) \(.s * 10 | round / 10)") | join(", ")' "$OUT/netreach/$s.json" 2>/dev/null) |"
  done <"$OUT/netreach/wall.txt"
  echo
  local phases median
  phases=$(jq -r '.phases[].probe_millis' "$OUT"/netreach/*-tables.json 2>/dev/null | sort -n)
  median=$(echo "$phases" | awk '{ l[++n] = $1 } END { if (n) printf "%.2f", l[int((n + 1) / 2)] / 1000 }')
  echo "Phases of the tables suites: $(echo "$phases" | grep -c .), median probing $median s each, $(echo "$phases" | awk '$1 > 5000' | wc -l) over 5 s."
  echo
}

e2e_section() {
  [ -f "$OUT/e2e/summary.tsv" ] || return 0
  echo "## Upstream e2e (\`[sig-network] Netpol\`)"
  echo
  echo "Per batch (one Ginkgo run and one lock hold each): \`ginkgo run --procs=$(cat "$OUT/e2e/procs.txt" 2>/dev/null)"
  echo "--focus=' (<the batch's full spec names>)\$' --skip='$E2E_SKIP' -v --json-report=… e2e-netpol.test --"
  echo "--kubeconfig=…\`, specs spread over $(cat "$OUT/e2e/procs.txt" 2>/dev/null) parallel Ginkgo nodes as upstream's CI"
  echo "spreads them; upstream's own settings otherwise: 3 probe workers per spec, \`agnhost connect --timeout=1s\`"
  echo "to each pod's Service IP, each probe polled every 1 s until as expected (at most 10 s), the whole matrix probed"
  echo "once more if a cell was wrong, loopback cells ignored. Excluded: the 3 \`[Feature:SCTPConnectivity]\` specs (this"
  echo "kernel has no \`CONFIG_IP_SCTP\`, so their SCTP servers cannot listen). Nothing else is excluded: every spec"
  echo "probes only its own pods' Service IPs (no outside address; the ipBlock specs use /4 and /32 blocks around pod IPs)."
  echo
  echo "Batches (Ginkgo's run time, exit): $(for f in "$OUT"/e2e/batch-*.json; do
    b=${f##*/batch-}; b=${b%.json}
    printf '%s s (exit %s), ' "$(jq '.[0].RunTime / 1e9 | . * 10 | round / 10' "$f")" "$(awk -v b="$b" '$1 == b { print $NF }' "$OUT/e2e/batches.txt")"
  done | sed 's/, $//'). Probes"
  echo "(\`agnhost connect\` jobs started; polling retries inside a job not counted):"
  echo "$(cut -f3 "$OUT/e2e/summary.tsv" | awk '{ s += $1 } END { print s + 0 }')."
  echo
  echo "| spec | state | s | probes | failure |"
  echo "|---|---|---|---|---|"
  awk -F'\t' '{ t = $4; sub(/^\[sig-network\] Netpol /, "", t); gsub(/\|/, "\\|", t); gsub(/\|/, "\\|", $5)
                print "| " t " | " $1 " | " $2 " | " $3 " | " $5 " |" }' "$OUT/e2e/summary.tsv" | sort
  echo
}

cyclonus_section() {
  [ -f "$OUT/cyclonus/wall.txt" ] || return 0
  local steps probes
  read -r steps probes < <(cyclonus_probes)
  echo "## Cyclonus"
  echo
  echo "\`cyclonus generate $(cat "$OUT/cyclonus/flags.txt")\`: $steps probed steps, $probes probes (cells × tries; 15 exec"
  echo "workers, a 5 s wait after each change, one retry). Wall $(cut -d' ' -f1 "$OUT/cyclonus/wall.txt") s, exit"
  echo "$(cut -d' ' -f2 "$OUT/cyclonus/wall.txt") (Cyclonus exits 0 whatever its verdicts: they come from its JUnit)."
  echo
  echo "| case | verdict |"
  echo "|---|---|"
  cyclonus_verdicts | awk -F'\t' '{ print "| " $1 " | " $2 " |" }'
  echo
}

scenario_section() {
  local tmp=$1
  [ -s "$tmp/nr" ] || return 0
  echo "## Per scenario"
  echo
  echo "Upstream's scenarios that suites/upstream/ writes: each tool's verdict (netreach: a scenario fails if any of its"
  echo "phases failed on either port). Empty: the tool has no such case."
  echo
  echo "| scenario | upstream e2e | netreach, upstream's tables | netreach, oracle | Cyclonus |"
  echo "|---|---|---|---|---|"
  join -t $'\t' -a1 -e '' -o 0,2.2,1.2 "$tmp/nr" "$tmp/e2e" |
    join -t $'\t' -a1 -e '' -o 0,1.2,1.3,2.2 - "$tmp/nro" |
    join -t $'\t' -a1 -e '' -o 0,1.2,1.3,1.4,2.2 - "$tmp/cy" |
    awk -F'\t' '{ print "| " $1 " | " $2 " | " $3 " | " $4 " | " $5 " |" }'
  echo
}
