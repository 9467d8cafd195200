"""The baseline: `drain3` (`pip install -e '.[bench]'`) with the masking its README and examples ship.

Default tree (depth 4, similarity 0.4, 100 children) and the example `drain3.ini` masks: MAC-like
ids, IPv4, hex sequences, `0x…` hex and signed integers. Masks become `<*>` for parsing accuracy.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

_MASKS = [
    (r"((?<=[^A-Za-z0-9])|^)(([0-9a-f]{2,}:){3,}([0-9a-f]{2,}))((?=[^A-Za-z0-9])|$)", "ID"),
    (r"((?<=[^A-Za-z0-9])|^)(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})((?=[^A-Za-z0-9])|$)", "IP"),
    (r"((?<=[^A-Za-z0-9])|^)([0-9a-f]{6,} ?){3,}((?=[^A-Za-z0-9])|$)", "SEQ"),
    (r"((?<=[^A-Za-z0-9])|^)([0-9A-F]{4} ?){4,}((?=[^A-Za-z0-9])|$)", "SEQ"),
    (r"((?<=[^A-Za-z0-9])|^)(0x[a-f0-9A-F]+)((?=[^A-Za-z0-9])|$)", "HEX"),
    (r"((?<=[^A-Za-z0-9])|^)([\-\+]?\d+)((?=[^A-Za-z0-9])|$)", "NUM"),
]
_MASK_NAME = re.compile(r"<[A-Z]+>")


def available() -> bool:
    try:
        import drain3  # noqa: F401
    except ImportError:
        return False
    return True


def mine(lines: Sequence[str]) -> tuple[list[str], dict[str, str], Any]:
    """Cluster ids per line, the final template of each id, and the miner (for timing callers)."""
    from drain3 import TemplateMiner
    from drain3.masking import MaskingInstruction
    from drain3.template_miner_config import TemplateMinerConfig

    config = TemplateMinerConfig()
    config.masking_instructions = [MaskingInstruction(pattern, name) for pattern, name in _MASKS]
    miner = TemplateMiner(config=config)
    ids = [str(miner.add_log_message(line)["cluster_id"]) for line in lines]
    templates = {
        str(cluster.cluster_id): _MASK_NAME.sub("<*>", cluster.get_template()) for cluster in miner.drain.clusters
    }
    return ids, templates, miner
