# Owns the cluster's optional settings: `up`'s flags (or their environment variables), saved beside the running
# cluster so `status`, `env` and a later `up` know what runs.
#   --enforcer kube-router|cilium             (CLUSTER_ENFORCER; default kube-router; kept in $ENFORCER_FILE)
#   --pod-security none|restricted|baseline   (CLUSTER_POD_SECURITY; default none = upstream's privileged)
#   --ip-family ipv4|dual                     (CLUSTER_IP_FAMILY; default ipv4)
# shellcheck shell=bash

SETTINGS_FILE=$NETREACH_STATE/settings

ENFORCER=${CLUSTER_ENFORCER:-kube-router}
POD_SECURITY=${CLUSTER_POD_SECURITY:-none}
IP_FAMILY=${CLUSTER_IP_FAMILY:-ipv4}

_check_settings() {
  case " $ENFORCERS " in *" $ENFORCER "*) ;; *) die "--enforcer: '$ENFORCER' is not one of: $ENFORCERS" ;; esac
  case $POD_SECURITY in none | baseline | restricted) ;; *) die "--pod-security: '$POD_SECURITY' is not none, baseline or restricted" ;; esac
  case $IP_FAMILY in ipv4 | dual) ;; *) die "--ip-family: '$IP_FAMILY' is not ipv4 or dual" ;; esac
  # lib/cilium.sh runs the agent IPv4-only.
  [ "$ENFORCER/$IP_FAMILY" != cilium/dual ] || die "--ip-family dual: not with --enforcer cilium (it runs IPv4 only here)"
}

# parse_up_options ARGS...: the flags of `up`.
parse_up_options() {
  while [ $# -gt 0 ]; do
    case $1 in
      --enforcer) [ $# -ge 2 ] || die "--enforcer needs a value"; ENFORCER=$2; shift 2 ;;
      --enforcer=*) ENFORCER=${1#*=}; shift ;;
      --pod-security) [ $# -ge 2 ] || die "--pod-security needs a value"; POD_SECURITY=$2; shift 2 ;;
      --pod-security=*) POD_SECURITY=${1#*=}; shift ;;
      --ip-family) [ $# -ge 2 ] || die "--ip-family needs a value"; IP_FAMILY=$2; shift 2 ;;
      --ip-family=*) IP_FAMILY=${1#*=}; shift ;;
      *) die "up: unknown option '$1'" ;;
    esac
  done
  _check_settings
}

save_settings() {
  printf 'POD_SECURITY=%s\nIP_FAMILY=%s\n' "$POD_SECURITY" "$IP_FAMILY" >"$SETTINGS_FILE"
}

# The running cluster's settings (for status/env); the requested ones when nothing runs.
load_settings() {
  [ -r "$ENFORCER_FILE" ] && ENFORCER=$(current_enforcer)
  [ -r "$SETTINGS_FILE" ] || return 0
  POD_SECURITY=$(sed -n 's/^POD_SECURITY=//p' "$SETTINGS_FILE")
  IP_FAMILY=$(sed -n 's/^IP_FAMILY=//p' "$SETTINGS_FILE")
}

# True when a running cluster was started with the settings requested now (the enforcer included).
settings_match() {
  [ "$(current_enforcer)" = "$ENFORCER" ] || return 1
  [ "$ENFORCER" != cilium ] || [ "$(cilium_cidr_match_mode)" = "$CILIUM_CIDR_MATCH_MODE" ] || return 1
  [ -r "$SETTINGS_FILE" ] || { [ "$POD_SECURITY" = none ] && [ "$IP_FAMILY" = ipv4 ]; return; }
  [ "$(cat "$SETTINGS_FILE")" = "$(printf 'POD_SECURITY=%s\nIP_FAMILY=%s' "$POD_SECURITY" "$IP_FAMILY")" ]
}

settings_summary() {
  printf '%-24s %s\n' "pod-security" "$(pod_security_summary)"
  printf '%-24s %s\n' "ip-family" "$IP_FAMILY"
}
