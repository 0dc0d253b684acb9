"""Turns a copy of keel into a project of its own: copier runs this after every copy.

It removes the regions of the parts left out, names the project, and writes its LICENSE.
A region is the lines between two marker comments, in any text file (`%%` is a comment in
a mermaid diagram):

    # >>> example                 <!-- >>> outbox -->        %% >>> example
    ...                           ...                        ...
    # <<< example                 <!-- <<< outbox -->        %% <<< example

An `example` or `outbox` region stays when its part is included (only its markers go), and
an `example|outbox` region when either is. A `template` region is about keel as a template
and never stays. A `project` region, in Markdown, is a comment in keel that becomes text in
the project:

    <!-- >>> project
    # @name@
    <<< project -->

Safe to run twice, as `copier update` does: a second run finds nothing left to change.
"""

from __future__ import annotations

import argparse
import ast
import re
from datetime import date
from pathlib import Path

KINDS = {"example", "outbox", "template", "project"}
SKIP = {".git", ".venv", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}
LICENSES = Path(__file__).parent / "licenses"
MARKER = re.compile(r"^\s*(?:#|<!--|%%)\s*(>>>|<<<)\s+([\w|]+)(?:\s*-->)?\s*$")
# A Markdown region that is a comment in keel: its opening and closing lines.
PROJECT_OPEN = re.compile(r"^\s*<!--\s*>>>\s+project\s*$")
PROJECT_CLOSE = re.compile(r"^\s*<<<\s+project\s*-->\s*$")


def strip_regions(text: str, keep: dict[str, bool], where: Path) -> str:
    """The text without the regions not kept, and without any marker line. Where lines went,
    the blank lines on either side merge into the larger of the two runs: the text reads as
    if they had never been there."""
    out: list[str] = []
    open_regions: list[str] = []
    before: int | None = None  # blank lines kept just before the last cut, while one is open
    pending: list[str] = []  # blank lines met after that cut
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        marker = MARKER.match(line)
        project = PROJECT_OPEN.match(line) or PROJECT_CLOSE.match(line)
        kept = all(any(keep[k] for k in kind.split("|")) for kind in open_regions)
        if project or marker or not kept:
            if before is None:
                before = next((n for n, kept in enumerate(reversed(out)) if kept.strip()), len(out))
                pending = []
        elif before is not None and not line.strip():
            pending.append(line)
        else:
            if before is not None:
                out.extend(pending[before:] if out else [])
                before = None
            out.append(line)
        if project or marker is None:
            continue
        sign, kind = marker.groups()
        if not set(kind.split("|")) <= KINDS:
            raise SystemExit(f"{where}:{number}: unknown region {kind!r}")
        if sign == ">>>":
            open_regions.append(kind)
        elif not open_regions or open_regions.pop() != kind:
            raise SystemExit(f"{where}:{number}: '<<< {kind}' closes no '>>> {kind}'")
    if open_regions:
        raise SystemExit(f"{where}: region {open_regions[-1]!r} is never closed")
    if before is not None:
        out.extend(pending[before:])
    return "".join(out)


def tidy_python(text: str) -> str:
    """What ruff format wants where a region or a pruned import went: at most two blank lines
    in a row, one inside a block, none opening the body of a class or function, and none at
    the end of the module; and a list or tuple whose every item went written empty, `[]`."""
    text = re.sub(r"([\[(])\n[ \t]*([\])])", r"\1\2", text)
    text = re.sub(r"\n{4,}", "\n\n\n", text)
    text = re.sub(r"\n\n\n+(?=[ \t]+\S)", "\n\n", text)
    text = re.sub(r"^([ \t]*(?:class|def|async def) [^\n]*:\n)\n+", r"\1", text, flags=re.M)
    return text.rstrip("\n") + "\n" if text.strip() else text


def prune_imports(source: str, where: Path) -> str:
    """The module without the imported names nothing uses any more (a removed region used
    them): a statement keeps the names still used, and goes when none is."""
    try:
        module = ast.parse(source)
    except SyntaxError as error:
        message = f"{where}:{error.lineno}: not Python after rendering: {error.msg}"
        raise SystemExit(message) from None
    used = {node.id for node in ast.walk(module) if isinstance(node, ast.Name)}
    lines = source.splitlines(keepends=True)
    for node in reversed(module.body):
        if not isinstance(node, ast.Import | ast.ImportFrom) or node.end_lineno is None:
            continue
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            continue
        kept = [a for a in node.names if (a.asname or a.name).split(".")[0] in used]
        if len(kept) == len(node.names):
            continue
        first, last = node.lineno - 1, node.end_lineno
        if not kept:
            # The blank line after it goes too when one also precedes it.
            blank_before = first > 0 and not lines[first - 1].strip()
            if blank_before and last < len(lines) and not lines[last].strip():
                last += 1
            lines[first:last] = []
            continue
        names = [a.name if a.asname is None else f"{a.name} as {a.asname}" for a in kept]
        if isinstance(node, ast.Import):
            statement = "".join(f"import {name}\n" for name in names)
        else:
            head = f"from {'.' * node.level}{node.module or ''} import "
            statement = head + ", ".join(names) + "\n"
            if len(statement) > 101:
                statement = head + "(\n" + "".join(f"    {n},\n" for n in names) + ")\n"
        lines[first:last] = [statement]
    return "".join(lines)


def rename(text: str, name: str, prefix: str, description: str) -> str:
    """keel's name as the project's: `keel` alone as the name, inside a longer identifier
    (keel_dev) in its snake form, KEEL as the environment prefix."""
    snake = name.replace("-", "_")
    text = text.replace("@name@", name).replace("@description@", description)
    text = re.sub(r"KEEL", prefix, text)
    text = re.sub(r"(?<![\w-])keel(?![\w-])", name, text)
    return re.sub(r"keel", snake, text)


def write_license(project: Path, license_id: str, holder: str) -> None:
    target = project / "LICENSE"
    if license_id == "None":
        target.unlink(missing_ok=True)
        return
    text = (LICENSES / f"{license_id}.txt").read_text()
    target.write_text(text.replace("{year}", str(date.today().year)).replace("{holder}", holder))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("--name", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--description", required=True)
    parser.add_argument("--example", choices=["yes", "no"], required=True)
    parser.add_argument("--outbox", choices=["yes", "no"], required=True)
    parser.add_argument("--license", choices=["MIT", "Apache-2.0", "None"], required=True)
    parser.add_argument("--holder", required=True)
    args = parser.parse_args()

    keep = {
        "example": args.example == "yes",
        "outbox": args.outbox == "yes",
        "template": False,
        "project": True,
    }
    for path in sorted(args.project.rglob("*")):
        inside = path.relative_to(args.project).parts
        if SKIP.intersection(inside) or path.name == ".copier-answers.yml" or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary: copied as it is
        new = strip_regions(text, keep, path)
        if new != text and path.suffix == ".py":
            new = tidy_python(prune_imports(new, path))
        new = rename(new, args.name, args.prefix, args.description)
        if new != text:
            path.write_text(new, encoding="utf-8")
    write_license(args.project, args.license, args.holder)


if __name__ == "__main__":
    main()
