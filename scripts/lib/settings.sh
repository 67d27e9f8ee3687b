# Owns the cluster's optional settings: `up`'s flags (or their environment variables), saved beside the running
# cluster so `status`, `env` and a later `up` know what runs.
#   --pod-security none|restricted|baseline   (CLUSTER_POD_SECURITY; default none = upstream's privileged)
#   --ip-family ipv4|dual                     (CLUSTER_IP_FAMILY; default ipv4)
# shellcheck shell=bash

SETTINGS_FILE=$NETREACH_STATE/settings

POD_SECURITY=${CLUSTER_POD_SECURITY:-none}
IP_FAMILY=${CLUSTER_IP_FAMILY:-ipv4}

_check_settings() {
  case $POD_SECURITY in none | baseline | restricted) ;; *) die "--pod-security: '$POD_SECURITY' is not none, baseline or restricted" ;; esac
  case $IP_FAMILY in ipv4 | dual) ;; *) die "--ip-family: '$IP_FAMILY' is not ipv4 or dual" ;; esac
}

# parse_up_options ARGS...: the flags of `up`.
parse_up_options() {
  while [ $# -gt 0 ]; do
    case $1 in
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
  [ -r "$SETTINGS_FILE" ] || return 0
  POD_SECURITY=$(sed -n 's/^POD_SECURITY=//p' "$SETTINGS_FILE")
  IP_FAMILY=$(sed -n 's/^IP_FAMILY=//p' "$SETTINGS_FILE")
}

# True when a running cluster was started with the settings requested now.
settings_match() {
  [ -r "$SETTINGS_FILE" ] || { [ "$POD_SECURITY" = none ] && [ "$IP_FAMILY" = ipv4 ]; return; }
  [ "$(cat "$SETTINGS_FILE")" = "$(printf 'POD_SECURITY=%s\nIP_FAMILY=%s' "$POD_SECURITY" "$IP_FAMILY")" ]
}

settings_summary() {
  printf '%-24s %s\n' "pod-security" "$(pod_security_summary)"
  printf '%-24s %s\n' "ip-family" "$IP_FAMILY"
}
