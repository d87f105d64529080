#!/usr/bin/env bash
# Builds local stand-ins for the .NET base images, for a machine that cannot pull them:
#   disttrain-standin/sdk:10.0     Debian minbase + this machine's whole .NET install (SDK and runtimes)
#   disttrain-standin/aspnet:10.0  Debian minbase + this machine's .NET runtimes only (no SDK)
# Both have what the real images have and deploy/Dockerfile uses: dotnet in /usr/share/dotnet
# (and /usr/bin/dotnet), apt, ca-certificates, ICU, OpenSSL, the non-root user `app` (uid 1654,
# ENV APP_UID). They also carry this machine's CA certificates, so TLS to the package registries
# works inside a build wherever it works on the host. Debian comes from the mirror the host's apt uses.
# The images are kept and reused; they are rebuilt when missing, when the host's .NET has changed,
# or with --rebuild.
# Usage: sudo bash deploy/stand-in-images.sh [--rebuild]
# Needs a running Docker engine; installs debootstrap with apt-get when it is missing. Ends by
# printing the two variables to export so that compose builds on the stand-ins.
set -euo pipefail

suite=bookworm
base_tag=disttrain-standin/debian:$suite
sdk_tag=disttrain-standin/sdk:10.0
runtime_tag=disttrain-standin/aspnet:10.0
app_uid=1654

rebuild=false
[ "${1:-}" = "--rebuild" ] && rebuild=true

# What to tell compose, printed whether the images were built now or found.
print_exports() {
  cat <<EOT

Compose builds on them with these two variables (export them in this shell, or put the two
assignments, without 'export', into .env beside compose.yaml):

  export SDK_IMAGE=$sdk_tag RUNTIME_IMAGE=$runtime_tag
  docker compose up --build        # or: docker-compose up --build
EOT
}

[ "$(id -u)" = 0 ] || { echo "error: run this as root (sudo bash $0): debootstrap and chroot need it"; exit 1; }
command -v docker >/dev/null || { echo "error: no docker command: install Docker first (Debian: apt-get install docker.io)"; exit 1; }
docker info >/dev/null 2>&1 ||
  { echo "error: no Docker engine answers ('docker info' fails): start one (systemctl start docker, or dockerd &) and run this again"; exit 1; }
if ! command -v debootstrap >/dev/null; then
  echo "installing debootstrap with apt-get"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi

have_image() { docker image inspect "$1" >/dev/null 2>&1; }
dotnet_label() { docker image inspect -f '{{ index .Config.Labels "disttrain.standin.dotnet" }}' "$1" 2>/dev/null; }

dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
[ -x "$dotnet_root/dotnet" ] && [ -d "$dotnet_root/shared/Microsoft.AspNetCore.App" ] ||
  { echo "error: no .NET install with the ASP.NET Core runtime found next to $(command -v dotnet)"; exit 1; }
# What the stand-ins were made from: the SDK and runtime versions installed on the host.
dotnet_versions="sdk $(ls "$dotnet_root/sdk" | sort -V | tr '\n' ' ')runtime $(ls "$dotnet_root/shared/Microsoft.AspNetCore.App" | sort -V | tr '\n' ' ')"

if ! $rebuild && [ "$(dotnet_label "$sdk_tag")" = "$dotnet_versions" ] && [ "$(dotnet_label "$runtime_tag")" = "$dotnet_versions" ]; then
  echo "stand-in images present: $sdk_tag, $runtime_tag ($dotnet_versions)"
  print_exports
  exit 0
fi

# The first 'deb' entry for $suite in the host's apt sources (deb822 .sources files, then one-line lists).
debian_mirror() {
  local found=""
  if compgen -G '/etc/apt/sources.list.d/*.sources' >/dev/null; then
    found=$(awk -v suite="$suite" '
      BEGIN { RS = ""; FS = "\n" }
      {
        uri = ""; has_suite = 0; is_deb = 0
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^URIs:/) { split($i, u, /[ \t]+/); uri = u[2] }
          if ($i ~ /^Suites:/) { n = split($i, s, /[ \t]+/); for (j = 2; j <= n; j++) if (s[j] == suite) has_suite = 1 }
          if ($i ~ /^Types:/ && $i ~ /[ \t]deb([ \t]|$)/) is_deb = 1
        }
        if (uri != "" && has_suite && is_deb) { print uri; exit }
      }' /etc/apt/sources.list.d/*.sources)
  fi
  if [ -z "$found" ]; then
    found=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      sed -E 's/\[[^]]*\]//' | awk -v suite="$suite" '$1 == "deb" && $3 == suite { print $2; exit }')
  fi
  echo "$found"
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if $rebuild || ! have_image "$base_tag"; then
  mirror=$(debian_mirror)
  [ -n "$mirror" ] || { echo "error: no '$suite' entry in the host's apt sources to bootstrap Debian from"; exit 1; }
  echo "debootstrap $suite (minbase) from the host's Debian mirror"
  rootfs="$work/rootfs"
  debootstrap --variant=minbase --include=ca-certificates,libicu72,libssl3,tzdata "$suite" "$rootfs" "$mirror" \
    >"$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log"; exit 1; }
  # The host's extra CAs go where update-ca-certificates finds them again if a package reruns it.
  if compgen -G '/usr/local/share/ca-certificates/*' >/dev/null; then
    cp -r /usr/local/share/ca-certificates/. "$rootfs/usr/local/share/ca-certificates/"
  fi
  cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
  chroot "$rootfs" groupadd --gid "$app_uid" app
  chroot "$rootfs" useradd --no-log-init --uid "$app_uid" --gid "$app_uid" --create-home app
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
    "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/*
  tar -C "$rootfs" -c . | docker import - "$base_tag" >/dev/null
  rm -rf "$rootfs"
fi

# Settings the real images carry, plus the host's NuGet revocation mode when it sets one.
common_env="LABEL disttrain.standin.dotnet=\"$dotnet_versions\"
ENV APP_UID=$app_uid DOTNET_RUNNING_IN_CONTAINER=true DOTNET_NOLOGO=true"
cat >"$work/sdk.Dockerfile" <<EOF
FROM $base_tag
COPY . /usr/share/dotnet/
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
$common_env DOTNET_USE_POLLING_FILE_WATCHER=true NUGET_XMLDOC_MODE=skip DOTNET_CLI_TELEMETRY_OPTOUT=1
${NUGET_CERT_REVOCATION_MODE:+ENV NUGET_CERT_REVOCATION_MODE=$NUGET_CERT_REVOCATION_MODE}
EOF
echo "building $sdk_tag from $dotnet_root"
DOCKER_BUILDKIT=0 docker build -q -t "$sdk_tag" -f "$work/sdk.Dockerfile" "$dotnet_root" >/dev/null

runtime_context="$work/runtime"
mkdir -p "$runtime_context"
cp -a "$dotnet_root/dotnet" "$dotnet_root/host" "$dotnet_root/shared" "$runtime_context/"
cp -a "$dotnet_root"/*.txt "$runtime_context/" 2>/dev/null || true
cat >"$work/runtime.Dockerfile" <<EOF
FROM $base_tag
COPY . /usr/share/dotnet/
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
$common_env ASPNETCORE_HTTP_PORTS=8080
EOF
echo "building $runtime_tag"
DOCKER_BUILDKIT=0 docker build -q -t "$runtime_tag" -f "$work/runtime.Dockerfile" "$runtime_context" >/dev/null
echo "stand-in images built: $sdk_tag, $runtime_tag"
print_exports
