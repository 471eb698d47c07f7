#!/bin/sh
# An OpenWrt-style handler for cwmp-cpe over uci (see crates/cwmp-cpe/src/handlers/program.rs
# for the contract). Configure it in the agent's TOML:
#
#   [handlers]
#   apply_program = ["/usr/libexec/cwmp/uci-handler.sh"]     # Time, IPv4Address, Ethernet
#
#   [[handlers.program]]
#   subtree = "Device.WiFi."
#   command = ["/usr/libexec/cwmp/uci-handler.sh"]
#   live = true
#
# Calls (argv only, never a shell string):
#   uci-handler.sh get PATH                  -> prints the value, exit 0 (1: unknown)
#   uci-handler.sh set PATH VALUE [PATH VALUE]...
#                                            -> 0 applied, 20 refused (refused paths on stdout)
#   uci-handler.sh add PATH / delete PATH    -> 0 (rows are fixed here: nothing to do)
#
# A set checks every path first, then stages all of them and commits once: on any failure
# the staged changes are reverted, so the handler itself is all or nothing. Services are
# reloaded after the commit. The mapping below is an example; a device maker extends it.
set -u
UCI=${UCI:-uci}

# Maps a TR-181 instance path to "config.section.option"; empty when unknown.
# Device.IP.Interface.1 is the LAN, 2 the WAN; Device.WiFi.SSID.N is default_radio(N-1).
map() {
    case "$1" in
    Device.Time.Enable) echo system.ntp.enabled ;;
    Device.Time.NTPServer[1-5]) echo system.ntp.server ;;
    Device.Time.LocalTimeZone) echo system.@system[0].timezone ;;
    Device.IP.Interface.1.IPv4Address.1.IPAddress) echo network.lan.ipaddr ;;
    Device.IP.Interface.1.IPv4Address.1.SubnetMask) echo network.lan.netmask ;;
    Device.IP.Interface.2.IPv4Address.1.IPAddress) echo network.wan.ipaddr ;;
    Device.IP.Interface.2.IPv4Address.1.SubnetMask) echo network.wan.netmask ;;
    Device.Ethernet.Interface.[1-9].Enable)
        n=${1#Device.Ethernet.Interface.}; n=${n%%.*}
        echo "network.@device[$((n - 1))].enabled" ;;
    Device.WiFi.SSID.[1-9].SSID)
        n=${1#Device.WiFi.SSID.}; n=${n%%.*}
        echo "wireless.default_radio$((n - 1)).ssid" ;;
    Device.WiFi.SSID.[1-9].Enable)
        n=${1#Device.WiFi.SSID.}; n=${n%%.*}
        echo "wireless.default_radio$((n - 1)).disabled" ;;
    *) echo "" ;;
    esac
}

# TR-181 booleans are true/false; uci uses 1/0 ("disabled" inverts).
to_uci() { # option value
    case "$1" in
    *.disabled) [ "$2" = true ] && echo 0 || echo 1 ;;
    *.enabled) [ "$2" = true ] && echo 1 || echo 0 ;;
    *) printf '%s\n' "$2" ;;
    esac
}

from_uci() { # option value
    case "$1" in
    *.disabled) [ "$2" = 1 ] && echo false || echo true ;;
    *.enabled) [ "$2" = 0 ] && echo false || echo true ;;
    *) printf '%s\n' "$2" ;;
    esac
}

# The NTP server list: NTPServerN is the Nth entry of system.ntp.server.
ntp_index() { n=${1#Device.Time.NTPServer}; echo $((n - 1)); }

# Every path must be known (prints the refused ones).
check() {
    ok=0
    while [ $# -ge 2 ]; do
        if [ -z "$(map "$1")" ]; then printf '%s\tnot handled by uci-handler\n' "$1"; ok=1; fi
        shift 2
    done
    return $ok
}

# Stages every value, then commits each config once; reverts all on a failure.
apply() {
    configs=""
    while [ $# -ge 2 ]; do
        path=$1 value=$2; shift 2
        opt=$(map "$path")
        configs="$configs ${opt%%.*}"
        case "$path" in
        Device.Time.NTPServer*)
            i=$(ntp_index "$path")
            servers=$($UCI -q get "$opt")
            $UCI -q delete "$opt"
            j=0
            for s in $servers; do
                [ $j = "$i" ] && s=$value
                $UCI add_list "$opt=$s" || { revert_all $configs; exit 1; }
                j=$((j + 1))
            done
            if [ $j -le "$i" ]; then $UCI add_list "$opt=$value" || { revert_all $configs; exit 1; }; fi
            ;;
        *)
            $UCI set "$opt=$(to_uci "$opt" "$value")" || {
                printf '%s\tuci refused the value\n' "$path"
                revert_all $configs
                exit 20
            }
            ;;
        esac
    done
    for c in $(echo $configs | tr ' ' '\n' | sort -u); do
        $UCI commit "$c" || exit 1
        case "$c" in
        network) [ -x /etc/init.d/network ] && /etc/init.d/network reload ;;
        wireless) command -v wifi >/dev/null && wifi reload ;;
        system) [ -x /etc/init.d/sysntpd ] && /etc/init.d/sysntpd restart ;;
        esac
    done
    exit 0
}

revert_all() { for c in "$@"; do $UCI revert "$c"; done; }

cmd=${1:-}; [ $# -gt 0 ] && shift
case "$cmd" in
get)
    opt=$(map "${1:-}")
    [ -n "$opt" ] || exit 1
    case "$1" in
    Device.Time.NTPServer*)
        i=$(ntp_index "$1")
        $UCI -q get "$opt" | tr ' ' '\n' | sed -n "$((i + 1))p"
        exit 0 ;;
    esac
    v=$($UCI -q get "$opt") || exit 1
    from_uci "$opt" "$v"
    ;;
set)
    check "$@" || exit 20
    apply "$@"
    ;;
add | delete)
    exit 0
    ;;
*)
    echo "usage: $0 get PATH | set PATH VALUE... | add PATH | delete PATH" >&2
    exit 2
    ;;
esac
