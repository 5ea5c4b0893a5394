"""Load scenario TOML files into :class:`~scenarios.spec.ScenarioSpec`, with line numbers.

``tomllib`` does not keep positions, so :func:`locator` finds a dotted field
(``promoter.mode``, ``faults.inject[1].cycle``) in the source text by walking table headers;
errors then read ``scenarios/x.toml:12: promoter.mode: must be one of ...``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from pathlib import Path

from scenarios.errors import ScenarioError
from scenarios.spec import Locate, ScenarioSpec, parse_spec

#: Where the curated scenario files live (next to this module).
SCENARIO_DIR = Path(__file__).resolve().parent

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\"']+)\s*=")
_INDEX = re.compile(r"^(.*)\[(\d+)\]$")


def locator(text: str) -> Locate:
    """A function mapping a dotted field name to its 1-based line in ``text`` (or None)."""
    lines = text.splitlines()
    # (table path, array index or None, line number) for each header, plus the root table.
    headers: list[tuple[str, int | None, int]] = [("", None, 0)]
    counts: dict[str, int] = {}
    for n, line in enumerate(lines, start=1):
        m = _HEADER.match(line)
        if not m:
            continue
        name = m.group(2).strip()
        if m.group(1) == "[[":
            idx = counts.get(name, 0)
            counts[name] = idx + 1
            headers.append((name, idx, n))
        else:
            headers.append((name, None, n))

    def section_lines(start: int) -> range:
        nxt = [h[2] for h in headers if h[2] > start]
        end = min(nxt) - 1 if nxt else len(lines)
        return range(start + 1, end + 1)

    def find_key(start: int, key: str) -> int | None:
        for n in section_lines(start):
            m = _KEY.match(lines[n - 1])
            if m and m.group(1).strip("\"'") == key:
                return n
        return None

    def header_line(table: str, idx: int | None) -> int | None:
        for hname, hidx, n in headers:
            if hname == table and (idx is None or hidx == idx):
                return n
        return None

    def locate(fieldname: str) -> int | None:
        parts = fieldname.split(".") if fieldname else []
        # Try the longest table prefix first: "a.b" + key "c", then "a" + key "b", then root.
        for cut in range(len(parts), -1, -1):
            table_parts = parts[:cut]
            idx: int | None = None
            names = []
            for part in table_parts:
                m = _INDEX.match(part)
                names.append(m.group(1) if m else part)
                idx = int(m.group(2)) if m else None
            start = header_line(".".join(names), idx) if names else 0
            if start is None:
                continue
            rest = parts[cut:]
            if not rest:
                return start or None
            found = find_key(start, _INDEX.sub(r"\1", rest[0]))
            if found:
                return found
            if start:
                return start
        return None

    return locate


def loads(text: str, *, path: str | None = None, default_name: str = "scenario") -> ScenarioSpec:
    """Parse scenario TOML text. Raises :class:`ScenarioError` with file, field and line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise ScenarioError(f"not valid TOML: {exc}", path=path, line=int(m.group(1)) if m else None) from None
    return parse_spec(data, path=path, locate=locator(text), default_name=default_name)


def load(path: str | Path) -> ScenarioSpec:
    """Load one scenario file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"cannot read: {exc.strerror or exc}", path=str(p)) from None
    except UnicodeDecodeError as exc:
        line = p.read_bytes()[: exc.start].count(b"\n") + 1
        raise ScenarioError(f"not UTF-8 text (byte {exc.start})", path=str(p), line=line) from None
    return loads(text, path=_display(p), default_name=p.stem)


def curated_paths() -> list[Path]:
    """The curated scenario files, sorted by name."""
    return sorted(SCENARIO_DIR.glob("*.toml"))


def load_all(paths: Iterable[str | Path] | None = None) -> list[ScenarioSpec]:
    """Load the given files, or every curated one."""
    return [load(p) for p in (curated_paths() if paths is None else paths)]


def _display(p: Path) -> str:
    try:
        return str(p.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(p)
