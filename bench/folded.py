"""Where a py-spy raw profile spends its samples: by function (own time) and by module.

    .venv/bin/python -m bench.folded /tmp/orders_spy.txt [--top 30]

py-spy's raw format is one line per distinct stack, frames separated by `;`
(outermost first), then a space and the sample count. "Own" counts the
samples whose innermost frame is the function; "in" the samples whose stack
holds it anywhere (once per stack).
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<name>.*?) \((?P<file>[^:()]+)(?::\d+)?\)$")


def _where(frame: str) -> tuple[str, str]:
    found = _FRAME.match(frame.strip())
    if not found:
        return frame.strip(), "?"
    path = found["file"]
    for marker in ("site-packages/", "src/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{found['name']} ({path})", path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("path")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    own: Counter[str] = Counter()
    inside: Counter[str] = Counter()
    modules: Counter[str] = Counter()
    total = 0
    for line in Path(args.path).read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_where(f) for f in stack.split(";") if f]
        if not frames:
            continue
        name, path = frames[-1]
        own[name] += n
        top = path.split("/")[0] if "/" in path else path
        modules[top.removesuffix(".py")] += n
        for seen in {f for f, _ in frames}:
            inside[seen] += n
    print(f"{total} samples")
    print("\nown time by package (innermost frame):")
    for name, n in modules.most_common(15):
        print(f"  {100 * n / total:5.1f}%  {name}")
    print(f"\nown time, top {args.top} functions:")
    for name, n in own.most_common(args.top):
        print(f"  {100 * n / total:5.1f}%  {name}")
    print(f"\ninclusive, top {args.top} hutong functions:")
    hutong = [(k, v) for k, v in inside.most_common() if "hutong/" in k]
    for name, n in hutong[: args.top]:
        print(f"  {100 * n / total:5.1f}%  {name}")


if __name__ == "__main__":
    main()
