#!/bin/bash
# As the official image does: every environment variable whose name has a dot (discovery.type=…)
# becomes an -E setting; the node listens on every interface.
set -eu
settings=(-Enetwork.host=0.0.0.0)
while IFS='=' read -r -d '' name value; do
    [[ $name == *.* ]] && settings+=("-E$name=$value")
done < <(env -0)
exec /usr/share/opensearch/bin/opensearch "${settings[@]}"
