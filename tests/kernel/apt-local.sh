#!/bin/bash
# Project-local apt: an apt-get that reads only tests/kernel/sources and
# keeps its lists and downloads under the cache directory, so that the
# system's apt sources and state are never touched.
#
# usage: apt-local.sh update
#        apt-local.sh download PKG...      (into the current directory)
#        apt-local.sh source PKG=VERSION   (.dsc and tarballs into the current
#                                           directory, not unpacked)
#        apt-local.sh policy PKG
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${VTC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vtimer-cache}
state=$cache/apt
mkdir -p "$state/lists/partial" "$state/archives/partial"

apt_opts=(
	-o "Dir::Etc::SourceList=$here/sources"
	-o "Dir::Etc::SourceParts=/dev/null"
	-o "Dir::State::Lists=$state/lists"
	-o "Dir::Cache::Archives=$state/archives"
	-o "Dir::Cache::pkgcache=$state/pkgcache.bin"
	-o "Dir::Cache::srcpkgcache=$state/srcpkgcache.bin"
	-o "Acquire::Check-Valid-Until=false"
	-o "Acquire::Check-Date=false"
	-o "APT::Sandbox::User=root"
	-o "APT::Architecture=amd64"
	-o "APT::Architectures::=amd64"
	-o "APT::Architectures::=arm64"
)

cmd=${1:-}
shift || true
case "$cmd" in
update)
	apt-get "${apt_opts[@]}" -q update
	;;
download)
	apt-get "${apt_opts[@]}" -q download "$@"
	;;
source)
	apt-get "${apt_opts[@]}" -q source --download-only "$@"
	;;
policy)
	apt-cache "${apt_opts[@]}" policy "$@"
	;;
show)
	apt-cache "${apt_opts[@]}" show "$@"
	;;
*)
	echo "usage: $0 update|download PKG...|source PKG=VERSION|policy PKG|show PKG" >&2
	exit 2
	;;
esac
