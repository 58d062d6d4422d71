#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# make demo: build the test VM if needed, boot it with two NUMA nodes and
# watch the hook move a runc container's 256 MiB from node 0 to node 1.
#   demo.sh --cache DIR [--kernel bookworm|trixie] --hook PATH-TO-oci-numa-hook
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec "$here/run.sh" --demo "$@"
