"""Scaffolds an aggregate: `make aggregate name=Book` (or `.venv/bin/python
scripts/new_aggregate.py Book`), then its repository works on memory, SQLite and PostgreSQL.

For a CamelCase name (Book, LoanRequest) it writes a feature of its own, named after the
snake_case plural (books, loan_requests), as docs/aggregates.md tells:

    domain/books.py              the entity: an id, a unique name, notes (its child collection),
                                 create() and one rule, add_note(); its errors (Conflicts)
    application/books.py         BookRepository, and BooksUnitOfWork, which offers `books`
    adapters/books.py            the books and book_notes tables, the row mapping, Books, and
                                 BookRepositories, its declaration
    adapters/unit_of_work.py     BookRepositories listed among the features: the one shared line
                                 (with its import)
    migrations/versions/...      the revision Alembic autogenerates for the two tables
    tests/test_books.py          the whole repository contract, on each backend

Every written file is formatted with ruff. A name that is not CamelCase, or an aggregate whose
files, table or names exist already, is refused with one line and exit code 1, before
anything is written. If a later step fails (Alembic, ruff), every file is put back as it was.

Standard library only: it runs the alembic and ruff of the virtual environment whose Python
runs it. The database it migrates is a throwaway SQLite file, named to Alembic through the
settings' variable (settings.py's env_prefix + DATABASE_URL).
"""

from __future__ import annotations

import argparse
import ast
import builtins
import configparser
import keyword
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from string import Template

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the venv's bin: its alembic and ruff

CAMEL_CASE = re.compile(r"[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+)*")
SNAKE_CASE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
# PostgreSQL cuts longer names short; a unique constraint's name must stay whole, since a
# violation is recognised by it (adapters/kit/sqlalchemy/database.py).
POSTGRES_MAX_IDENTIFIER = 63

UNIT_OF_WORK = Path("adapters/unit_of_work.py")
# The features' repository declarations are the bases of ServiceUnitOfWork, listed before
# the kit's own; a new one goes just above it.
KIT_BASE = "    TransactionalUnitOfWork[RowTransaction],\n"


class Refusal(Exception):
    """Why the aggregate cannot be written, in one line."""


@dataclass(frozen=True)
class Names:
    """An aggregate's names, e.g. LoanRequest, loan_request and loan_requests."""

    camel: str
    snake: str
    plural: str

    @classmethod
    def of(cls, camel: str, plural: str | None) -> Names:
        if not camel:
            raise Refusal("no name given: e.g. make aggregate name=Book")
        if not CAMEL_CASE.fullmatch(camel):
            raise Refusal(f"not a CamelCase name (such as Book or LoanRequest): {camel!r}")
        snake = re.sub(r"(?<!^)(?=[A-Z])", "_", camel).lower()
        if plural is None:
            plural = _plural(snake)
        elif not SNAKE_CASE.fullmatch(plural) or plural == snake:
            raise Refusal(f"not a snake_case plural of {snake}: {plural!r}")
        return cls(camel, snake, plural)

    @property
    def plural_camel(self) -> str:
        return "".join(word.capitalize() for word in self.plural.split("_"))

    def placeholders(self) -> dict[str, str]:
        """What the templates' placeholders stand for."""
        return {
            "Name": self.camel,  # LoanRequest
            "name": self.snake,  # loan_request
            "names": self.plural,  # loan_requests
            "Names": self.plural_camel,  # LoanRequests
            "words": self.snake.replace("_", " "),  # loan request
            "plural_words": self.plural.replace("_", " "),  # loan requests
            "Plural_words": self.plural.replace("_", " ").capitalize(),  # Loan requests
        }


def _plural(snake: str) -> str:
    if re.search(r"(s|x|z|ch|sh)$", snake):
        return snake + "es"
    if re.search(r"[^aeiou]y$", snake):
        return snake[:-1] + "ies"
    return snake + "s"


# The code written, with ${placeholders} (Names.placeholders says what each stands for).

ENTITY = '''\
"""${Plural_words}: an aggregate written by `make aggregate`, to make your own.

Change its fields and rules here, then its tables and row mapping (adapters/${names}.py), its
contract (tests/test_${names}.py), and add a migration for the tables' changes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import NewType

from domain.errors import Conflict

${Name}Id = NewType("${Name}Id", uuid.UUID)


@dataclass(frozen=True)
class ${Name}Note:
    """A note, one per title: the aggregate's child collection, in a table of its own."""

    title: str
    text: str


@dataclass
class ${Name}:
    """A ${words} and its notes: one aggregate, stored and versioned as a whole.

    Its name is unique: adding or saving one under a taken name raises ${Name}NameTaken.
    """

    id: ${Name}Id
    name: str
    notes: list[${Name}Note] = field(default_factory=list)
    version: int = 0

    @classmethod
    def create(cls, name: str) -> ${Name}:
        """A new one under a fresh id, without notes."""
        return cls(id=${Name}Id(uuid.uuid4()), name=name)

    def add_note(self, title: str, text: str) -> ${Name}Note:
        """A rule of the aggregate: one note per title."""
        if any(note.title == title for note in self.notes):
            raise ${Name}NoteTitleTaken(title)
        note = ${Name}Note(title, text)
        self.notes.append(note)
        self.notes.sort(key=lambda n: n.title)  # in the order they are read back: by title
        return note


class ${Name}NameTaken(Conflict):
    def __init__(self, name: str) -> None:
        super().__init__(f"${words} name taken: {name}")
        self.name = name


class ${Name}NoteTitleTaken(Conflict):
    def __init__(self, title: str) -> None:
        super().__init__(f"${words} already has a note titled {title!r}")
        self.title = title
'''

PORTS = '''\
"""What ${plural_words} need from the outside: their repository, on a unit of work of their own."""

from __future__ import annotations

from typing import Protocol

from application.kit.ports import UnitOfWork
from domain.${names} import ${Name}, ${Name}Id


class ${Name}Repository(Protocol):
    def add(self, ${name}: ${Name}) -> None:
        """Raises ${Name}NameTaken if another one has the name, committed or not."""
        ...

    def get(self, ${name}_id: ${Name}Id) -> ${Name}:
        """A copy of the stored ${words}, notes included; raises NotFound."""
        ...

    def get_for_update(self, ${name}_id: ${Name}Id) -> ${Name}:
        """As get, and no other transaction can change or lock it until this one ends:
        read this way, a check on it still holds when it is saved."""
        ...

    def save(self, ${name}: ${Name}) -> None:
        """Stores changes; raises ConcurrentUpdate if it changed since it was read, and
        ${Name}NameTaken if its new name is another one's.

        On success its version is the stored one, so it can be saved again.
        """
        ...


class ${Names}UnitOfWork(UnitOfWork, Protocol):
    """A unit of work that offers ${plural_words}: what their use cases take."""

    @property
    def ${names}(self) -> ${Name}Repository: ...
'''

ADAPTERS = '''\
"""${Plural_words}' tables, the mapping between their rows and the entity, and their
repository, declared once for every backend."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text, Uuid

from adapters.kit.aggregates import Aggregate, AggregateRepository, Children
from adapters.kit.guard import repository
from adapters.kit.storage import Row
from adapters.kit.tables import metadata
from domain.${names} import ${Name}, ${Name}Id, ${Name}NameTaken, ${Name}Note

${names} = Table(
    "${names}",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("version", Integer, nullable=False),
)

${name}_notes = Table(
    "${name}_notes",
    metadata,
    Column("${name}_id", ForeignKey("${names}.id"), primary_key=True),
    Column("title", String(100), primary_key=True),
    Column("text", Text, nullable=False),
)


def ${name}_row(${name}: ${Name}) -> Row:
    return {
        "id": ${name}.id,
        "name": ${name}.name,
        "${name}_notes": [{"title": n.title, "text": n.text} for n in ${name}.notes],
    }


def ${name}_entity(row: Row) -> ${Name}:
    return ${Name}(
        id=${Name}Id(row["id"]),
        name=row["name"],
        notes=[${Name}Note(n["title"], n["text"]) for n in row["${name}_notes"]],
        version=row["version"],
    )


class ${Names}(AggregateRepository[${Name}]):
    aggregate = Aggregate(
        kind="${words}",
        table=${names},
        to_row=${name}_row,
        to_entity=${name}_entity,
        children=(Children(${name}_notes, parent_column="${name}_id"),),
        conflicts={"name": lambda ${name}: ${Name}NameTaken(${name}.name)},
    )


class ${Name}Repositories:
    """${Plural_words}' repository, on whichever unit of work lists this class."""

    ${names} = repository(${Names})
'''

TESTS = '''\
"""${Plural_words}' repository under the whole contract, on every backend."""

from __future__ import annotations

import uuid

import pytest

from adapters.unit_of_work import ServiceUnitOfWork
from domain.${names} import ${Name}, ${Name}NameTaken, ${Name}Note
from tests.kit.rule_contracts import RequiredContract, UniqueChangeContract
from tests.support import Backend


@pytest.fixture
def uow(backend: Backend) -> ServiceUnitOfWork:
    return backend.uow


class Test${Names}(UniqueChangeContract, RequiredContract):
    clash_error = ${Name}NameTaken

    def repository(self, uow: ServiceUnitOfWork) -> object:
        return uow.${names}

    def new(self, uow: ServiceUnitOfWork) -> ${Name}:
        ${name} = ${Name}.create(f"${words} {uuid.uuid4().hex}")
        ${name}.add_note("first", "a note")
        ${name}.add_note("second", "another note")
        return ${name}

    def change(self, ${name}: ${Name}) -> None:
        ${name}.name = f"renamed {uuid.uuid4().hex}"
        ${name}.notes = [${Name}Note(n.title, f"{n.text}, edited") for n in ${name}.notes[1:]]
        ${name}.add_note(f"note {uuid.uuid4().hex}", "added")

    def clash(self, ${name}: ${Name}) -> ${Name}:
        return ${Name}.create(${name}.name)

    def take_unique(self, ${name}: ${Name}, other: ${Name}) -> None:
        ${name}.name = other.name

    def without_required(self, ${name}: ${Name}) -> ${Name}:
        return ${Name}(${name}.id, None)  # type: ignore[arg-type]
'''

# The shared line: the feature among the bases of the service's unit of work, and its import.
UNIT_OF_WORK_BASE = "    ${Name}Repositories,\n"
UNIT_OF_WORK_IMPORT = "from adapters.${names} import ${Name}Repositories\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("name", help="the aggregate's name in CamelCase, e.g. Book, LoanRequest")
    parser.add_argument("--plural", help="its snake_case plural, when not the name + s or es")
    arguments = parser.parse_args(argv)
    try:
        names = Names.of(arguments.name, arguments.plural)
        files = planned_files(names)
        ruff = tool("ruff")
        with tempfile.TemporaryDirectory() as scratch:
            alembic = Alembic.find(Path(scratch) / "head.db")
            alembic.upgrade_to_head_and_check("the tables already differ from the migrations")
            written = write(files, alembic, ruff, names)
    except Refusal as refusal:
        print(f"make aggregate: {refusal}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    print(
        f"{names.camel}'s repository is uow.{names.plural}; read the migration, make "
        f"domain/{names.plural}.py your own, then run `make test`."
    )
    return 0


def planned_files(names: Names) -> dict[Path, str]:
    """Every file to write, with its new text; refuses before anything is written."""
    values = names.placeholders()
    new = {
        Path(f"domain/{names.plural}.py"): ENTITY,
        Path(f"application/{names.plural}.py"): PORTS,
        Path(f"adapters/{names.plural}.py"): ADAPTERS,
        Path(f"tests/test_{names.plural}.py"): TESTS,
    }
    for path in new:
        if (ROOT / path).exists():
            raise Refusal(f"{path} exists already: {names.camel} is an aggregate already")
    longest = max((f"uq_{names.plural}_name", f"pk_{names.snake}_notes"), key=len)
    if len(longest) > POSTGRES_MAX_IDENTIFIER:
        raise Refusal(f"{names.camel} is too long: PostgreSQL would cut the name {longest}")
    for table in (names.plural, f"{names.snake}_notes"):
        declared_in = table_declared(table)
        if declared_in is not None:
            raise Refusal(f"a table named {table} exists already, in {declared_in}")
    unit_of_work = read(UNIT_OF_WORK)
    refuse_taken_names(names, unit_of_work)
    files = {path: Template(template).substitute(values) for path, template in new.items()}
    if unit_of_work.count(KIT_BASE) != 1:
        raise Refusal(f"{UNIT_OF_WORK} does not list {KIT_BASE.strip()!r} once")
    listed = unit_of_work.replace(
        KIT_BASE, Template(UNIT_OF_WORK_BASE).substitute(values) + KIT_BASE
    )
    files[UNIT_OF_WORK] = with_imports(
        UNIT_OF_WORK, listed, Template(UNIT_OF_WORK_IMPORT).substitute(values)
    )
    return files


def table_declared(name: str) -> Path | None:
    """The file declaring a table of that name (`Table("name", ...)`), if any."""
    for directory in ("adapters", "tests"):
        for path in sorted((ROOT / directory).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id == "Table"
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and node.args[0].value == name
                ):
                    return path.relative_to(ROOT)
    return None


def refuse_taken_names(names: Names, unit_of_work: str) -> None:
    """Refuses a name that would shadow a builtin, be a reserved word, or clash with a name
    the service's unit of work binds already."""
    camel, snake = names.camel, names.snake
    if keyword.iskeyword(snake) or keyword.iskeyword(names.plural) or snake in ("self", "cls"):
        raise Refusal(f"{snake} is a reserved word in Python: choose another name")
    bound = bound_names(ast.parse(unit_of_work))
    for identifier in (camel, names.plural_camel, names.plural, f"{camel}Repositories"):
        if hasattr(builtins, identifier):
            raise Refusal(f"{identifier} is a Python builtin: choose another name")
        if identifier in bound:
            raise Refusal(f"{identifier} already names something in {UNIT_OF_WORK}")


def bound_names(tree: ast.Module) -> set[str]:
    """The names a module binds at its top level and in its classes' bodies."""
    bodies = [tree.body, *(s.body for s in tree.body if isinstance(s, ast.ClassDef))]
    found: set[str] = set()
    for statement in (statement for body in bodies for statement in body):
        if isinstance(statement, ast.Import | ast.ImportFrom):
            found.update((alias.asname or alias.name).split(".")[0] for alias in statement.names)
        elif isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found.add(statement.name)
        elif isinstance(statement, ast.Assign):
            found.update(target.id for target in statement.targets if isinstance(target, ast.Name))
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            found.add(statement.target.id)
    return found


def with_imports(path: Path, text: str, imports: str) -> str:
    """The text with the imports added after its last top-level import (ruff sorts them)."""
    tree = ast.parse(text)
    last = None
    for statement in tree.body:
        if isinstance(statement, ast.Import | ast.ImportFrom):
            last = statement
        elif last is not None:
            break
    if last is None or last.end_lineno is None:
        raise Refusal(f"{path} has no imports to add the new ones to")
    lines = text.splitlines(keepends=True)
    return "".join([*lines[: last.end_lineno], imports, *lines[last.end_lineno :]])


def read(path: Path) -> str:
    try:
        return (ROOT / path).read_text(encoding="utf-8")
    except OSError as error:
        raise Refusal(f"cannot read {path}: {error.strerror}") from None


def tool(name: str) -> Path:
    path = BIN / name
    if not path.exists():
        raise Refusal(f"no {name} beside {sys.executable}: run it with the project's venv")
    return path


class Alembic:
    """The project's `alembic` command on a throwaway SQLite database."""

    def __init__(self, command: Path, variable: str, versions: Path, database: Path) -> None:
        self.command = command
        self.variable = variable  # the settings' database URL variable, e.g. APP_DATABASE_URL
        self.versions = versions
        self.database = database

    @classmethod
    def find(cls, database: Path) -> Alembic:
        match = re.search(r"env_prefix\s*=\s*[\"']([A-Za-z0-9_]*)[\"']", read(Path("settings.py")))
        if match is None:
            raise Refusal("no env_prefix in settings.py's Settings: cannot name the database")
        ini = configparser.ConfigParser(defaults={"here": str(ROOT)})
        if not ini.read(ROOT / "alembic.ini") or not ini.has_option("alembic", "script_location"):
            raise Refusal("alembic.ini has no script_location")
        versions = Path(ini.get("alembic", "script_location")) / "versions"
        return cls(tool("alembic"), f"{match.group(1)}DATABASE_URL", versions, database)

    def run(self, *arguments: str) -> None:
        environment = {**os.environ, self.variable: f"sqlite:///{self.database}"}
        done = subprocess.run(  # noqa: S603  (the venv's alembic, our arguments)
            [str(self.command), *arguments],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            output = (done.stderr or done.stdout).strip().splitlines()
            raise Refusal(f"alembic {arguments[0]} failed: {output[-1] if output else '?'}")

    def upgrade_to_head_and_check(self, problem: str) -> None:
        """Brings the database to head, and refuses if the tables declare more than that."""
        self.run("upgrade", "head")
        try:
            self.run("check")
        except Refusal:
            raise Refusal(f"{problem}: `alembic check` finds changes no revision holds") from None

    def revision(self, message: str) -> Path:
        """Autogenerates a revision from the tables' changes; returns its file."""
        before = set(self.versions.glob("*.py"))
        self.run("revision", "--autogenerate", "-m", message)
        [created] = set(self.versions.glob("*.py")) - before
        text = created.read_text(encoding="utf-8")
        # Alembic's reminder to read it: docs/aggregates.md says so; the file reads better without.
        text = re.sub(r"\n *# ### (commands auto generated by Alembic|end Alembic).*###", "", text)
        created.write_text(text, encoding="utf-8")
        return created


def write(files: dict[Path, str], alembic: Alembic, ruff: Path, names: Names) -> list[Path]:
    """Writes the files, generates the migration and formats them; on any failure puts every
    file back as it was."""
    originals = {
        path: (ROOT / path).read_text(encoding="utf-8") for path in files if (ROOT / path).exists()
    }
    created: list[Path] = []
    try:
        for path, text in files.items():
            if path not in originals:
                created.append(path)
            (ROOT / path).write_text(text, encoding="utf-8")
        migration = alembic.revision(f"{names.plural} and their notes")
        created.append(migration.relative_to(ROOT))
        creates_table = rf"create_table\(\s*['\"]{names.plural}['\"]"
        if not re.search(creates_table, migration.read_text(encoding="utf-8")):
            raise Refusal(f"the autogenerated {migration.name} does not create {names.plural}")
        alembic.upgrade_to_head_and_check("the new migration leaves the tables unmigrated")
        python_files = [str(path) for path in files]
        run_ruff(ruff, "check", "--select", "I", "--fix", *python_files)
        run_ruff(ruff, "format", *python_files, str(migration))
        run_ruff(ruff, "check", *python_files)
    except Exception as error:  # whatever failed, the project is left as it was found
        for path, text in originals.items():
            (ROOT / path).write_text(text, encoding="utf-8")
        for path in created:
            (ROOT / path).unlink(missing_ok=True)
        raise Refusal(f"{error}; every file is back as it was") from None
    return [*files, created[-1]]


def run_ruff(ruff: Path, *arguments: str) -> None:
    done = subprocess.run(  # noqa: S603  (the venv's ruff, our arguments)
        [str(ruff), *arguments, "--quiet"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        output = (done.stdout + done.stderr).strip().splitlines()
        raise Refusal(f"ruff {arguments[0]} fails on the new code: {output[0] if output else '?'}")


if __name__ == "__main__":
    sys.exit(main())
