# Shared by every script under examples/curl: builds the mmrpc 2.0 envelope, posts it, prints
# the reply. Sourced, not run. Files starting with `_` are helpers, not methods.
#
# Environment:
#   MMLN_USERPASS  the daemon's rpc_password, or an access key (required; `mmln sandbox` prints the password)
#   MMLN_PORT      RPC port (default 7783, your node in the sandbox; peers are 7784 and 7785)
#   MMLN_HOST      RPC host (default 127.0.0.1)
#   MMLN_COIN      the lightning ticker (default tBTC-lightning)

MMLN_HOST="${MMLN_HOST:-127.0.0.1}"
MMLN_PORT="${MMLN_PORT:-7783}"
MMLN_COIN="${MMLN_COIN:-tBTC-lightning}"

# Prints the script's header comment (its usage) and exits.
usage() {
    sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$0" >&2
    exit "${1:-0}"
}

for arg in "$@"; do
    case "$arg" in
        -h | --help) usage 0 ;;
    esac
done

die() {
    echo "$(basename "$0"): $*" >&2
    exit 2
}

# A JSON string literal of $1 (escapes backslash, quote and control characters).
json_str() {
    local s="$1" out="" c i code
    for ((i = 0; i < ${#s}; i++)); do
        c="${s:i:1}"
        case "$c" in
            '"') out+='\"' ;;
            '\') out+='\\' ;;
            $'\n') out+='\n' ;;
            $'\r') out+='\r' ;;
            $'\t') out+='\t' ;;
            *)
                printf -v code '%d' "'$c"
                if ((code >= 0 && code < 32)); then
                    printf -v c '\\u%04x' "$code"
                fi
                out+="$c"
                ;;
        esac
    done
    printf '"%s"' "$out"
}

# A JSON object from key/value pairs, values already JSON; pairs with an empty value are left
# out, so optional params are simply not sent. `json_obj a 1 b "" c '"x"'` gives {"a":1,"c":"x"}.
json_obj() {
    local out="" sep=""
    while (($# >= 2)); do
        if [[ -n "$2" ]]; then
            out+="$sep$(json_str "$1"):$2"
            sep=","
        fi
        shift 2
    done
    printf '{%s}' "$out"
}

# $1 as a JSON number if it is an unsigned integer, else dies naming the argument ($2).
json_uint() {
    [[ -z "$1" ]] && return 0
    [[ "$1" =~ ^[0-9]+$ ]] || die "$2 must be an unsigned integer, got '$1'"
    printf '%s' "$1"
}

# $1 as JSON true/false (accepts true/false/1/0/yes/no), empty stays empty.
json_bool() {
    case "$1" in
        "") ;;
        true | 1 | yes) printf 'true' ;;
        false | 0 | no) printf 'false' ;;
        *) die "$2 must be true or false, got '$1'" ;;
    esac
}

# paging_options from a page number, or from an id to start just after (a payment hash or a
# channel uuid): `paging_json 2` gives {"PageNumber":2}, `paging_json <hash>` {"FromId":"<hash>"}.
paging_json() {
    if [[ -z "$1" ]]; then
        return 0
    elif [[ "$1" =~ ^[0-9]+$ ]]; then
        printf '{"PageNumber":%s}' "$1"
    else
        printf '{"FromId":%s}' "$(json_str "$1")"
    fi
}

# The coin param every lightning method takes.
coin_json() {
    json_str "$MMLN_COIN"
}

# Posts one request: mmrpc METHOD [PARAMS_JSON]. Prints the reply (pretty when python3 is
# there); exits 1 when the daemon answers with an HTTP error status (the reply is still shown).
# The request goes through stdin, so the userpass never shows up in `ps`.
mmrpc() {
    local method="$1" params="${2:-}" request reply status
    : "${MMLN_USERPASS:?set MMLN_USERPASS to the rpc_password of the daemon, as mmln sandbox prints it}"
    request="{\"mmrpc\":\"2.0\",\"userpass\":$(json_str "$MMLN_USERPASS"),\"method\":$(json_str "$method")"
    [[ -n "$params" ]] && request+=",\"params\":$params"
    request+=",\"id\":1}"
    reply=$(printf '%s' "$request" | curl -sS --max-time "${MMLN_TIMEOUT:-120}" \
        -H 'Content-Type: application/json' --data-binary @- \
        -w '\n%{http_code}' "http://$MMLN_HOST:$MMLN_PORT/") || {
        echo "$(basename "$0"): no answer from http://$MMLN_HOST:$MMLN_PORT (is the daemon running?)" >&2
        exit 1
    }
    status="${reply##*$'\n'}"
    reply="${reply%$'\n'*}"
    if command -v python3 >/dev/null 2>&1 && printf '%s' "$reply" | python3 -m json.tool 2>/dev/null; then
        :
    else
        printf '%s\n' "$reply"
    fi
    if [[ "$status" != 200 ]]; then
        echo "$(basename "$0"): $method answered HTTP $status" >&2
        exit 1
    fi
}
