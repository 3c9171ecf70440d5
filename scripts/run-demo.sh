#!/usr/bin/env bash
# make run: start plenaryd with a demo room and print the links to open.
#   scripts/run-demo.sh BUILD_DIR [LISTEN]
set -euo pipefail
build=${1:-build}
listen=${2:-0.0.0.0:8080}
top=$(cd "$(dirname "$0")/.." && pwd)
data=${PLENARY_DATA:-$top/data}
bin="$build/plenaryd"
mkdir -p "$data"

config="$data/demo-config.json"
cat > "$config" <<JSON
{
  "rooms": [
    {"id": "demo", "title": "Demo plenary", "public_observers": true, "reveal_hum_counts": true}
  ]
}
JSON

if [ -z "${PLENARY_ADMIN_TOKEN:-}" ]; then
  PLENARY_ADMIN_TOKEN=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  export PLENARY_ADMIN_TOKEN
fi

port=${listen##*:}
host=${listen%:*}
if [ "$host" = "0.0.0.0" ] || [ -z "$host" ]; then host=localhost; fi
base="http://$host:$port"

"$bin" --listen "$listen" --data "$data" --config "$config" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid' INT TERM

for _ in $(seq 1 100); do
  if curl -fs "$base/healthz" >/dev/null 2>&1 ||
     (exec 3<>"/dev/tcp/127.0.0.1/$port" && printf 'GET /healthz HTTP/1.0\r\n\r\n' >&3 &&
      grep -q '200' <&3) 2>/dev/null; then
    break
  fi
  kill -0 $pid 2>/dev/null || { echo "plenaryd did not start" >&2; exit 1; }
  sleep 0.1
done

token() { "$bin" token --data "$data" --room demo "$@"; }
chair=$(token --role chair --name "Chair" --sub demo-chair --group technical)
alice=$(token --role participant --name "Alice (government)" --sub demo-alice --group government)
bruno=$(token --role participant --name "Bruno (civil society)" --sub demo-bruno --group civil_society)
capt=$(token --role captioner --name "Captioner" --sub demo-captioner)
obs=$(token --role observer --name "Observer" --sub demo-observer)

cat <<MSG

Plenary is running ($bin, data in $data). Open these in separate browser windows:

  Web client:    $base/
  Chair:         $base/#room=demo&token=$chair
  Participant:   $base/#room=demo&token=$alice
  Participant:   $base/#room=demo&token=$bruno
  Captioner:     $base/#room=demo&token=$capt
  Observer:      $base/#room=demo&token=$obs
  Observer (no token, public room): $base/#room=demo

  Record:        $base/api/rooms/demo/record.html
  Metrics:       $base/metrics
  Admin token:   $PLENARY_ADMIN_TOKEN   (curl -H "Authorization: Bearer \$TOKEN" ...)

Ctrl-C stops the server.
MSG
wait $pid
