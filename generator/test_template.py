"""The template, tested as its users meet it: every combination of the yes/no answers renders a
project that passes its own `make test` (PostgreSQL included) and names nothing after keel;
`make aggregate` leaves a project green; and `copier update` from the previous release keeps a
local change while bringing the template's.

Slow (a virtual environment and a suite per project): `make template-test` runs it, and CI.
PostgreSQL: the server of KEEL_TEST_POSTGRES_URL, a database per project; without it, each
project's suite starts its own throwaway server.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy
from sqlalchemy import make_url

TEMPLATE = Path(__file__).resolve().parent.parent
# Each variant under a name of another length: lines naming the project must fit either way.
VARIANTS = {
    "example-and-outbox": ("lending-library-ops1", True, True),
    "example-only": ("libloans", True, False),
    "outbox-only": ("mailer", False, True),
    "neither": ("api", False, False),
}
MARKER = re.compile(r"^\s*(#|<!--|%%)\s*(>>>|<<<)\s", re.MULTILINE)
# What a project's docs may not speak of without the part: words only that part's docs use.
WORDS_OF = {
    "example": ("RegisterAccount", "/accounts", "invitation", "argon2"),
    "outbox": ("outbox", "relay", "SMTP", "welcome"),
}
# The one section that names every part, to say what each answer removes.
ANSWERS_SECTION = "## What the generator's answers keep and remove"
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    finished = subprocess.run(  # noqa: S603 - our own tools
        command, cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert finished.returncode == 0, (
        f"{' '.join(command)} in {cwd}:\n{finished.stdout[-4000:]}\n{finished.stderr[-4000:]}"
    )
    return finished.stdout


def copier(*arguments: str, cwd: Path = TEMPLATE) -> None:
    run([shutil.which("copier") or "copier", *arguments], cwd)


def render(destination: Path, name: str, example: bool, outbox: bool, ref: str = "HEAD") -> Path:
    copier(
        "copy", "--trust", "--defaults", "--quiet", f"--vcs-ref={ref}",
        f"--data=project_name={name}",
        f"--data=include_example={example}",
        f"--data=include_outbox={outbox}",
        str(TEMPLATE), str(destination),
    )  # fmt: skip
    return destination


def files(project: Path) -> dict[str, bytes]:
    skipped = {".git", ".venv", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
    return {
        str(path.relative_to(project)): path.read_bytes()
        for path in sorted(project.rglob("*"))
        if path.is_file() and not skipped.intersection(path.relative_to(project).parts)
    }


@pytest.fixture
def database() -> Iterator[str | None]:
    """A database of its own on KEEL_TEST_POSTGRES_URL's server, or None without one."""
    server_url = os.environ.get("KEEL_TEST_POSTGRES_URL")
    if not server_url:
        yield None
        return
    name = f"template_{uuid.uuid4().hex[:12]}"
    server = sqlalchemy.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    with server.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
    server.dispose()


def make_test(project: Path, prefix: str, database: str | None, target: str = "test") -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KEEL_", "VIRTUAL_ENV"))}
    env["CI"] = "true"
    if database:
        env[f"{prefix}_TEST_POSTGRES_URL"] = database
    return run(["make", target], project, env)


def test_no_marker_of_a_part_stands_inside_a_function() -> None:
    # A part is removed by leaving out its files and its lines at composition points; a marker
    # inside a function body means the seam is in the wrong place.
    tracked = run(["git", "ls-files", "*.py"], TEMPLATE).split()
    inside = []
    for path in tracked:
        text = (TEMPLATE / path).read_text(encoding="utf-8")
        markers = [m.start() for m in MARKER.finditer(text)]
        lines = [text.count("\n", 0, start) + 1 for start in markers]
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                end = node.end_lineno or node.lineno
                inside += [f"{path}:{n}" for n in lines if node.lineno < n <= end]
    assert inside == []


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_rendered_projects_docs_link_to_files_it_has_and_speak_of_no_part_left_out(
    variant: str, tmp_path: Path
) -> None:
    name, example, outbox = VARIANTS[variant]
    project = render(tmp_path / name, name, example, outbox)
    docs = [project / "README.md", *sorted((project / "docs").glob("*.md"))]
    left_out = [word for part, kept in (("example", example), ("outbox", outbox)) if not kept
                for word in WORDS_OF[part]]  # fmt: skip
    dead, spoken = [], []
    for doc in docs:
        text = doc.read_text(encoding="utf-8")
        for target in LINK.findall(text):
            if "://" not in target and not (doc.parent / target).exists():
                dead.append(f"{doc.name} -> {target}")
        said = re.split(r"^## ", text, flags=re.MULTILINE)
        for section in said:
            if not ("## " + section).startswith(ANSWERS_SECTION):
                spoken += [f"{doc.name}: {w}" for w in left_out if w.lower() in section.lower()]
    assert dead == []
    assert sorted(set(spoken)) == []


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_rendered_project_names_nothing_after_keel_and_passes_its_own_make_test(
    variant: str, tmp_path: Path, database: str | None
) -> None:
    name, example, outbox = VARIANTS[variant]
    project = render(tmp_path / name, name, example, outbox)
    rendered = files(project)

    traces = [
        path
        for path, content in rendered.items()
        if path != ".copier-answers.yml" and b"keel" in content.lower()
    ]
    assert traces == []
    assert [p for p, c in rendered.items() if MARKER.search(c.decode("utf-8", "replace"))] == []
    assert ("bench/__init__.py" in rendered) == (example and outbox)
    assert ("adapters/outbox/sql.py" in rendered) == outbox
    assert ("domain/accounts.py" in rendered) == example
    prefix = name.upper().replace("-", "_")
    started = time.monotonic()
    output = make_test(project, prefix, database)
    summary = re.search(r"=+ (\d+ passed.*?) =+\n", output)
    assert summary
    print(f"\n{variant} ({name}): {summary[1]}; make test {time.monotonic() - started:.0f} s")
    if variant == "neither":
        # The scaffold, where a team starts: an aggregate of its own, green at once.
        run(["make", "aggregate", "name=Book"], project)
        make_test(project, prefix, database)


# The release a project is updated from: a commit, not a tag, since a clone need not carry tags
# (CI's does not). Move it forward when a release changes what projects are made of.
PREVIOUS_RELEASE = "be910d0d74966ae107e5fc7c4093870ed698683b"  # v0.2.0
# Where the previous release keeps `Settings` (settings.py since the settings left bootstrap.py).
SETTINGS_AT_PREVIOUS_RELEASE = "bootstrap.py"
SETTINGS_ANCHOR = "    model_config = SettingsConfigDict("


def add_setting(path: Path, setting: str) -> None:
    """Adds a field to the Settings class in path, after its model_config line."""
    before, after = path.read_text().split(SETTINGS_ANCHOR, 1)
    line_end = after.index("\n") + 1
    path.write_text(before + SETTINGS_ANCHOR + after[:line_end] + setting + after[line_end:])


def previous_release() -> str:
    found = subprocess.run(  # noqa: S603 - our own tools
        ["git", "merge-base", "--is-ancestor", PREVIOUS_RELEASE, "HEAD"],  # noqa: S607
        cwd=TEMPLATE, capture_output=True, check=False,
    )  # fmt: skip
    if found.returncode != 0:
        pytest.fail(
            f"the previous release {PREVIOUS_RELEASE[:7]} is not in this clone's history before "
            "HEAD: clone it whole (not --depth), or move PREVIOUS_RELEASE to a commit it has"
        )
    return PREVIOUS_RELEASE


def test_copier_update_from_the_previous_release_keeps_a_local_change_and_brings_the_templates(
    tmp_path: Path, database: str | None
) -> None:
    old = previous_release()
    project = render(tmp_path / "libloans", "libloans", True, True, ref=old)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    run(["git", "init", "-q"], project)
    run([*git, "add", "-A"], project)
    run([*git, "commit", "-q", "-m", f"libloans from keel {old}"], project)
    # The team's own work: a module of its own, and a setting added to a template's file.
    loans = '"""Loans of books."""\n\nLOAN_DAYS = 21\n'
    (project / "domain" / "loans.py").write_text(loans)
    setting = "    loan_days: PositiveInt = 21  # how long a book may be kept\n"
    add_setting(project / SETTINGS_AT_PREVIOUS_RELEASE, setting)
    run([*git, "add", "-A"], project)
    run([*git, "commit", "-q", "-m", "Loans: how long a book may be kept"], project)

    copier("update", "--trust", "--defaults", "--quiet", "--vcs-ref=HEAD", cwd=project)

    fresh = files(render(tmp_path / "fresh" / "libloans", "libloans", True, True))
    updated = files(project)
    # There was something to bring: the previous release renders otherwise.
    assert files(render(tmp_path / "old" / "libloans", "libloans", True, True, ref=old)) != fresh
    # Only a file the team changed may conflict; docs/upgrading.md says how to settle it.
    conflicted = {p for p, c in updated.items() if b"<<<<<<< " in c or p.endswith(".rej")}
    assert conflicted <= {SETTINGS_AT_PREVIOUS_RELEASE, f"{SETTINGS_AT_PREVIOUS_RELEASE}.rej"}
    if SETTINGS_AT_PREVIOUS_RELEASE != "settings.py":
        # The upgrade note's step: the team's setting in settings.py, bootstrap.py deleted (the
        # package bootstrap/ replaces it).
        (project / SETTINGS_AT_PREVIOUS_RELEASE).unlink(missing_ok=True)
        (project / f"{SETTINGS_AT_PREVIOUS_RELEASE}.rej").unlink(missing_ok=True)
        add_setting(project / "settings.py", setting)
        updated = files(project)
    assert updated.pop("domain/loans.py") == loans.encode()
    assert setting.encode() in updated["settings.py"]
    updated["settings.py"] = updated["settings.py"].replace(setting.encode(), b"", 1)
    assert sorted(p for p in fresh.keys() | updated.keys() if fresh.get(p) != updated.get(p)) == []
    make_test(project, "LIBLOANS", database)
