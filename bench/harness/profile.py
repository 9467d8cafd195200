"""py-spy on a process tree for the length of a phase, and a summary of its collapsed stacks."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path


class Profiler:
    """py-spy on the API process tree for the length of a phase; writes collapsed stacks."""

    def __init__(self, out_dir: Path | None, pid: int, name: str) -> None:
        self.out = out_dir / f"{name}.txt" if out_dir else None
        self.proc: subprocess.Popen[bytes] | None = None
        if self.out is None:
            return
        spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        options = ["--subprocesses", "--rate", "100", "--nonblocking", "--format", "raw", "--duration", "600"]
        self.proc = subprocess.Popen(
            [spy, "record", "--pid", str(pid), *options, "--output", str(self.out)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(1.0)  # let it attach

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        if self.out and self.out.exists():
            print(summarize_profile(self.out), file=sys.stderr)


def summarize_profile(path: Path, top: int = 25) -> str:
    """Self and inclusive sample shares per function from py-spy's collapsed (raw) output."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [re.sub(r":\d+\)$", ")", f) for f in stack.split(";")[1:]]  # drop "process N" and lines
        if not frames:
            continue
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    lines = [f"--- profile {path.name}: {total} active samples ---", "self%   function"]
    lines += [f"{100 * n / total:5.1f}   {f}" for f, n in own.most_common(top)]
    lines += ["incl%   function"]
    lines += [f"{100 * n / total:5.1f}   {f}" for f, n in inclusive.most_common(top + 20)]
    text = "\n".join(lines)
    path.with_suffix(".summary.txt").write_text(text + "\n")
    return text
