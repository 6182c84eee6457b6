#!/usr/bin/env bash
# Tests what the container image will do, without a container engine (issue 16).
#
# Builds the release binary from the files the Dockerfile copies, with its own `swift build` line, stages exactly what the Dockerfile copies
# into an empty directory, and runs it there as a non-root user with an environment holding only what the image sets
# (the Dockerfile's ENV lines and Ubuntu's PATH: no toolchain). Checks that the binary links no Swift runtime
# library, `/health` answers, `healthcheck` exits 0, `simulate` books its move, the database is written to the data
# directory, `check` finds it migrated and names the missing key, and SIGTERM ends the server with status 0.
#
# Usage: Scripts/test-image.sh   (run as root: it creates the image's `voice` user if it is missing)
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
    echo "image test FAILED: $*" >&2
    exit 1
}

dockerfile=Dockerfile
build_path=.build-static

echo "--- image: the build context, as the Dockerfile's build stage copies it"
# Each `COPY <path> ./<path>` of the build stage, mirrored into one folder that keeps unchanged files as they are
# (so a second run builds incrementally), less what .dockerignore leaves out. A file the Dockerfile forgets to copy
# makes the build below fail.
context="$build_path/context"
copies=$(sed -n '/^FROM .* AS build/,/^FROM /s/^COPY \([^ ]*\) \.\/.*$/\1/p' "$dockerfile")
[ -n "$copies" ] || fail "no COPY lines in the Dockerfile's build stage"
python3 - "$context" $copies <<'PYTHON'
import filecmp, fnmatch, os, shutil, sys
context, sources = sys.argv[1], sys.argv[2:]
# What Docker leaves out of the context: a path is ignored when it, or a folder above it, matches a pattern.
patterns = [line.strip() for line in open(".dockerignore") if line.strip() and not line.startswith("#")]
def ignored(path):
    parts = os.path.normpath(path).split(os.sep)
    return any(fnmatch.fnmatchcase(os.sep.join(parts[:n]), pattern)
               for n in range(1, len(parts) + 1) for pattern in patterns)
wanted = set()
for source in sources:
    if ignored(source) or not os.path.exists(source):
        sys.exit(f"COPY {source}: not in the build context (missing, or left out by .dockerignore)")
    paths = [source] if os.path.isfile(source) else [
        os.path.join(folder, name) for folder, _, names in os.walk(source) for name in names]
    for path in filter(lambda path: not ignored(path), paths):
        target = os.path.join(context, path)
        wanted.add(os.path.normpath(target))
        if not (os.path.exists(target) and filecmp.cmp(path, target, shallow=False)):
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copy2(path, target)
for folder, _, names in os.walk(context, topdown=False):
    if os.path.relpath(folder, context).split(os.sep)[0] == ".build":
        continue
    for name in names:
        path = os.path.normpath(os.path.join(folder, name))
        if path not in wanted and path != os.path.join(context, "Package.resolved"):
            os.remove(path)
    if folder != context and not os.listdir(folder):
        os.rmdir(folder)
PYTHON
echo "copied: $(echo $copies)"

echo "--- image: build with the Dockerfile's flags"
build_flags=$(sed -n 's/^RUN swift build \(.*\)$/\1/p' "$dockerfile")
[ -n "$build_flags" ] || fail "no 'RUN swift build' line in $dockerfile"
echo "swift build $build_flags (in $context, building into $build_path)"
# shellcheck disable=SC2086 # the flags are words
swift build --package-path "$context" --build-path "$build_path" $build_flags
# shellcheck disable=SC2086
bin_path=$(swift build --package-path "$context" --build-path "$build_path" $build_flags --show-bin-path)
toolchain_libexec="$(dirname "$(readlink -f "$(command -v swift)")")/../libexec/swift/linux"

echo "--- image: stage what the Dockerfile copies"
root=$(mktemp -d /tmp/voice-image.XXXXXX)
trap 'kill "${server_pid:-}" 2>/dev/null || true; rm -rf "$root"' EXIT
app="$root/app"
mkdir -p "$app"
grep -q 'cp "$(swift build --package-path /build -c release --show-bin-path)/voice-server" ./' "$dockerfile" \
    || fail "the Dockerfile no longer stages the binary the way this test does"
grep -q "name '\*.resources'" "$dockerfile" || fail "the Dockerfile no longer stages the resource bundles"
grep -q 'cp /usr/libexec/swift/linux/swift-backtrace-static ./' "$dockerfile" \
    || fail "the Dockerfile no longer stages the backtracer"
cp "$bin_path/voice-server" "$app/"
find -L "$bin_path/" -maxdepth 1 -name '*.resources' -exec cp -Ra {} "$app/" \;
cp "$toolchain_libexec/swift-backtrace-static" "$app/"
ls "$app"/*.resources >/dev/null 2>&1 || fail "no resource bundle was staged"
grep -q '^RUN mkdir -p /app/data' "$dockerfile" || fail "the Dockerfile no longer makes the data directory"
mkdir -p "$app/data"

echo "--- image: the binary links no Swift runtime library"
ldd "$app/voice-server" > "$root/ldd.txt"
if grep -E 'libswift|libFoundation|libdispatch|libBlocksRuntime' "$root/ldd.txt"; then
    fail "the binary links a Swift runtime library"
fi
if grep -q 'not found' "$root/ldd.txt"; then
    grep 'not found' "$root/ldd.txt" >&2
    fail "the binary needs a library this system lacks"
fi
echo "links $(wc -l < "$root/ldd.txt") system libraries, none from Swift"

echo "--- image: a non-root user and the image's environment"
id voice >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /app --user-group voice 2>/dev/null \
    || useradd --system --no-create-home --home-dir /app --gid voice voice
chown -R voice:voice "$root"
chmod 755 "$root"
[ "$(id -u voice)" != "0" ] || fail "the voice user is root"
# The Dockerfile's ENV lines, with /app standing for the staging directory, and Ubuntu's default PATH.
image_env=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME="$app")
while read -r -a words; do
    for word in "${words[@]:1}"; do image_env+=("${word//\/app/$app}"); done
done < <(grep '^ENV ' "$dockerfile")
# Like `docker run -p`, pick free ports so the test never collides with another server on this machine.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
admin_port=$(free_port)
for i in "${!image_env[@]}"; do
    case "${image_env[$i]}" in PORT=* | ADMIN_PORT=*) unset 'image_env[i]' ;; esac
done
image_env+=(PORT="$port" ADMIN_PORT="$admin_port")
printf '  %s\n' "${image_env[@]}"
in_image() { (cd "$app" && setpriv --reuid=voice --regid=voice --init-groups env -i "${image_env[@]}" "$@"); }
in_image sh -c 'command -v swift' && fail "the toolchain is on the image's PATH"
[ "$(in_image id -u)" = "$(id -u voice)" ] || fail "not running as the voice user"

echo "--- image: simulate books its move"
in_image ./voice-server simulate > "$root/simulate.log" 2>&1 || { cat "$root/simulate.log"; fail "simulate failed"; }
grep -q "The move was booked and the confirmation sent" "$root/simulate.log" \
    || { cat "$root/simulate.log"; fail "simulate did not book"; }

echo "--- image: serve (the image's ENTRYPOINT and CMD), /health, healthcheck, SIGTERM"
entrypoint=$(sed -n 's/^ENTRYPOINT \[\(.*\)\]$/\1/p' "$dockerfile" | tr -d '",')
command_words=$(sed -n 's/^CMD \[\(.*\)\]$/\1/p' "$dockerfile" | tr -d '",')
[ "$entrypoint" = "./voice-server" ] || fail "unexpected ENTRYPOINT: $entrypoint"
# shellcheck disable=SC2086
(cd "$app" && exec setpriv --reuid=voice --regid=voice --init-groups env -i "${image_env[@]}" \
    $entrypoint $command_words) > "$root/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/health" > "$root/health.json" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$root/serve.log"; fail "the server exited at start-up"; }
    sleep 0.2
done
grep -q '"status":"ok"' "$root/health.json" || { cat "$root/serve.log"; fail "/health did not answer ok"; }
in_image ./voice-server healthcheck || { cat "$root/serve.log"; fail "healthcheck did not exit 0"; }
[ -s "$app/data/bookings.sqlite" ] || fail "the database was not written to the image's data directory"
[ "$(stat -c %U "$app/data/bookings.sqlite")" = "voice" ] || fail "the database is not owned by the voice user"
# `check` in the image: the migrated database is ready; with no keys it names what is missing and exits 1.
status=0
in_image ./voice-server check > "$root/check.log" 2>&1 || status=$?
cat "$root/check.log"
[ "$status" = "1" ] || fail "check exited $status with no OpenAI key"
grep -q '^failing  OPENAI_API_KEY' "$root/check.log" || fail "check did not name the missing OPENAI_API_KEY"
grep -q '^ok       DATABASE_URL (sqlite): reachable; migrated' "$root/check.log" \
    || fail "check did not find the server's database migrated"
kill -TERM "$server_pid"
status=0
wait "$server_pid" || status=$?
server_pid=
[ "$status" = "0" ] || { cat "$root/serve.log"; fail "SIGTERM ended the server with status $status"; }
# Once the server is gone, the health check fails, as the container engine must see.
if in_image ./voice-server healthcheck > /dev/null 2>&1; then fail "healthcheck passed with no server"; fi

echo "image test passed: $(cat "$root/health.json")"
