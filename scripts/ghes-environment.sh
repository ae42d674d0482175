#!/usr/bin/env bash
# Build what GitHub Enterprise Server needs to run small-git's pre-receive gate (docs/server.md):
#   1. small-git-hook-env.tar.gz: a pre-receive hook environment (a Linux chroot) with git, Python and
#      small-git, and the server's policy at /etc/small-git/policy.gitconfig. GitHub Enterprise Server's
#      default environment has no Python, hence this one.
#   2. small-git-pre-receive.sh: the hook script to commit to the repository your hooks live in.
#
#   bash scripts/ghes-environment.sh --policy policy.gitconfig [--out DIR] [--source DIR] [--docker podman]
#   bash scripts/ghes-environment.sh --policy policy.gitconfig --dry-run   # write the build context only
#
# The policy file is a git config file (git config --file policy.gitconfig small.humanLevel pusher); it is
# baked into the environment, so the pushed commits never decide it. Needs docker (or podman) and network
# access to Debian's and Python's package registries while it builds; nothing downloads when the hook runs.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
source_dir="$here"
out="$PWD/ghes-out"
policy=""
docker="docker"
dry_run=no
base_image="python:3.12-slim-bookworm"

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
  --policy) policy="$2"; shift 2 ;;
  --out) out="$2"; shift 2 ;;
  --source) source_dir="$2"; shift 2 ;;
  --docker) docker="$2"; shift 2 ;;
  --base-image) base_image="$2"; shift 2 ;;
  --dry-run) dry_run=yes; shift ;;
  -h | --help) usage; exit 0 ;;
  *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done
if [ -z "$policy" ] || [ ! -f "$policy" ]; then
  echo "error: --policy FILE is required: the server's small-git policy, a git config file, for example:" >&2
  echo "    git config --file policy.gitconfig small.humanLevel pusher" >&2
  echo "    git config --file policy.gitconfig --add small.human octocat" >&2
  echo "    git config --file policy.gitconfig --add small.protectedRef refs/heads/main" >&2
  exit 2
fi
git config --file "$policy" --list >/dev/null || { echo "error: $policy is not a git config file" >&2; exit 2; }

mkdir -p "$out"
context="$out/context"
rm -rf "$context"
mkdir -p "$context"
# the committed source only: what a tag of small-git holds, nothing of the work tree around it
git -C "$source_dir" archive --format=tar --prefix=small-git/ HEAD >"$context/small-git.tar"
cp "$policy" "$context/policy.gitconfig"
cat >"$context/Dockerfile" <<EOF
FROM $base_image
RUN apt-get update && apt-get install -y --no-install-recommends git && rm -rf /var/lib/apt/lists/*
ADD small-git.tar /tmp/
RUN python -m venv /opt/small-git && /opt/small-git/bin/pip install --no-cache-dir /tmp/small-git \\
    && rm -rf /tmp/small-git && /opt/small-git/bin/git-small --version
COPY policy.gitconfig /etc/small-git/policy.gitconfig
EOF
cat >"$out/small-git-pre-receive.sh" <<'EOF'
#!/bin/sh
# small-git's pre-receive gate for GitHub Enterprise Server. It runs in the small-git-hook-env environment
# (scripts/ghes-environment.sh), where small-git and the server's policy live; GitHub names the pushing
# account in GITHUB_USER_LOGIN. The gate refuses before GitHub's 5-second limit (small.timeout).
exec /opt/small-git/bin/git-small hook pre-receive --policy /etc/small-git/policy.gitconfig
EOF
chmod 755 "$out/small-git-pre-receive.sh"
if [ "$dry_run" = yes ]; then
  echo "wrote $context (docker build context) and $out/small-git-pre-receive.sh"
  exit 0
fi

tag="small-git-hook-env:$(git -C "$source_dir" rev-parse --short=12 HEAD)"
"$docker" build -t "$tag" "$context"
container="$("$docker" create "$tag" /bin/true)"
trap '"$docker" rm "$container" >/dev/null' EXIT
"$docker" export "$container" | gzip -9 >"$out/small-git-hook-env.tar.gz"
echo "wrote $out/small-git-hook-env.tar.gz (the hook environment) and $out/small-git-pre-receive.sh (the hook)"
echo "next: docs/server.md, GitHub Enterprise Server"
