#!/usr/bin/env bash
# Installs every system package nsm and its tests need (Debian 12, as root), then the npm packages, then builds.
# syslog-ng-core cannot be installed beside rsyslog, so it is unpacked privately under var/syslog-ng.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
PKGS=(rsyslog rsyslog-gnutls rsyslog-relp libpcap-dev tcpdump tshark dnsutils dnsmasq-base iproute2
      gnutls-bin openssl curl libpcre3 libnet1 libivykis0 libwrap0 ca-certificates argus-server)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: apt-get install ${missing[*]}" >&2
  $SUDO apt-get update -q
  # tshark asks whether non-root users may capture; answer no without a prompt.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# rsyslog's package starts a system daemon; tests run their own instances, so keep the system one out of the way.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet rsyslog 2>/dev/null; then
  $SUDO systemctl stop rsyslog || true
fi
# argus-server is only the sensor bench's C peer (argus -r FILE): its packaged capture daemon must not run.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet argus 2>/dev/null; then
  $SUDO systemctl disable --now argus || true
fi
if [ ! -x var/syslog-ng/usr/sbin/syslog-ng ]; then
  rm -rf var/syslog-ng var/syslog-ng-debs && mkdir -p var/syslog-ng var/syslog-ng-debs
  ( cd var/syslog-ng-debs && { apt-get download -q syslog-ng-core || { $SUDO apt-get update -q && apt-get download -q syslog-ng-core; }; } )
  dpkg -x var/syslog-ng-debs/syslog-ng-core_*.deb var/syslog-ng
fi
npm ci --no-audit --no-fund
npm run build
