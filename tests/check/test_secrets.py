"""DF209, the secrets lint: credentials under any key spelling, at any depth, in URIs, in
settings, and in referenced .sql files; never a template or a key naming where a secret lives."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from dagfactory.check.secrets import names_a_secret, secret_in_text, uri_with_password
from dagfactory.check.spec import check_document
from dagfactory.load.document import load_file, load_text

from ..conftest import MINIMAL_HEAD, property_settings, run_cli

BASE = "description: x\nowner: me\nbusiness_owner: {name: A}\nstart_date: 2024-01-01\nschedule: null\n"


def secret_findings(text: str) -> list[tuple[int, int, str]]:
    doc, problems = load_text(text, "s.yaml")
    assert doc is not None, problems
    return sorted((d.line, d.column, d.message) for d in check_document(doc) if d.code == "DF209")


# --- key names -----------------------------------------------------------------------------

SECRET_KEYS = [
    "password", "db_password", "dbPassword", "DB_PASSWORD", "api-key", "X-Api-Key", "apiKey", "APIKey", "apikey",
    "Authorization", "TOKEN", "pw", "pwd", "passwd", "passphrase", "aws_secret_access_key", "clientSecret",
    "client.secret", "auth token", "private_key", "access_token", "refresh-token", "passwords", "dbpassword",
    "slackToken", "SECRET_KEY", "password2", "api_key_v2", "credentials", "x-auth-token", "signingKey",
]  # fmt: skip
NOT_SECRET_KEYS = [
    "password_conn_id", "token_url", "secret_name", "password_file", "password_var", "max_tokens", "num_tokens",
    "privateKeyPath", "ssh-private-key-file", "key", "key_id", "access_key_id", "tokenizer", "secretary",
    "username", "token_type", "secret_arn", "passport", "monkey", "api_key_env", "TOKEN_ENDPOINT", "pw_length",
    "secretsBackend", "password_policy", "conn_id", "bypass",
]  # fmt: skip


@pytest.mark.parametrize("key", SECRET_KEYS)
def test_key_spellings_of_credentials_are_secrets(key: str):
    assert names_a_secret(key)


@pytest.mark.parametrize("key", NOT_SECRET_KEYS)
def test_keys_naming_where_a_secret_lives_or_how_many_are_not(key: str):
    assert not names_a_secret(key)


# --- values --------------------------------------------------------------------------------

URIS_WITH_PASSWORD = [
    "postgresql+psycopg2://etl:s3cret@db:5432/sales",
    "mysql://etl:p@ss@db:3306/x",  # "@" in the password: the last "@" ends it
    "http://user:pw@[::1]:8080/path",  # IPv6 host
    "redis://:pw@cache:6379/0",
    "SMTP://u:p@mail",
    "run psql postgres://etl:s3cret@db/x --quiet",
    "mongodb+srv://app:abc@cluster0.example.net/?retryWrites=true",
]
URIS_WITHOUT = [
    "postgres://etl@db/x",
    "http://[::1]:8080/",
    "postgres://{{ conn.db.login }}:{{ conn.db.password }}@db/x",
    "postgres://etl:{{conn.db.password}}@db/x",
    "postgres://etl:$PGPASSWORD@db/x",
    "http://host/a:b@c",
    "https://host?mail=a:b@c",
    "s3://bucket/key:with@signs",
]


@pytest.mark.parametrize("uri", URIS_WITH_PASSWORD)
def test_uris_with_a_password_in_any_scheme(uri: str):
    assert uri_with_password(uri)


@pytest.mark.parametrize("uri", URIS_WITHOUT)
def test_uris_without_a_literal_password(uri: str):
    assert not uri_with_password(uri)


@pytest.mark.parametrize(
    "text",
    [
        "https://api.example.com/v1?password=abc",
        "https://api.example.com/v1?x=1&access_token=abc",
        "Server=db;Uid=etl;Pwd=abc;",
        "mysql --password=hunter2 sales",
        "PGPASSWORD=hunter2 psql -h db",
    ],
)
def test_credential_settings_in_text(text: str):
    assert secret_in_text(text)


@pytest.mark.parametrize(
    "text",
    [
        "https://api.example.com/v1?token={{ var.value.api_token }}",
        "mysql --password=$MYSQL_PWD sales",
        "https://h/x?token_type=bearer&max_tokens=5",
        "SELECT * FROM users u JOIN creds c ON u.password=c.password",
        "echo {{ ds }} > /tmp/out",
    ],
)
def test_references_and_non_secrets_in_text(text: str):
    assert secret_in_text(text) is None


def test_secrets_at_any_depth_in_lists_nested_values_and_keys():
    found = secret_findings(
        BASE + "params:\n"  # 6
        "  config:\n"
        "    - name: a\n"
        "      dbPassword: hunter2\n"  # 9: camelCase, in a mapping in a list
        "    - [x, 'postgresql+psycopg2://u:p@h/db']\n"  # 10: a URI in a list in a list
        "  api-key: [k1, '{{ var.value.k2 }}']\n"  # 11: a list under a credential key: its literal item
        "  extra: {'https://h/?token=abc': 1}\n"  # 12: a mapping key holding a credential
        "  password_conn_id: my_db\n"  # where the secret lives: fine
        "tasks:\n"
        "  a:\n"
        "    operator: http\n"
        "    endpoint: /v1\n"
        "    headers: {Authorization: Bearer abc, X-Request-Id: '1'}\n"  # 18
        "    params: {nested: {deeper: {SECRET_TOKEN: 42}}}\n"  # 19: an integer is a literal too
    )
    assert found == [
        (9, 7, "'dbPassword' looks like a secret written into the spec"),
        (10, 11, "this value looks like a URI with a password"),
        (11, 13, "an item of 'api-key' looks like a secret"),
        (12, 11, "this key looks like a secret in a setting (token=...)"),
        (18, 15, "'Authorization' looks like a secret written into the spec"),
        (19, 32, "'SECRET_TOKEN' looks like a secret written into the spec"),
    ]


# --- referenced .sql files ---------------------------------------------------------------------


def test_secrets_in_a_referenced_sql_file_are_reported_at_the_reference(tmp_path: Path):
    (tmp_path / "queries").mkdir()
    (tmp_path / "queries" / "load.sql").write_text(
        "-- load users\n"
        "CREATE USER loader PASSWORD 'hunter2';\n"  # 2
        "SELECT '{{ var.value.x }}' AS password;\n"
        "COPY t FROM 's3://b/k' CREDENTIALS 'aws_access_key_id=abc;aws_secret_access_key=x';\n"
        "ALTER USER app IDENTIFIED BY tiger;\n"  # 5
        "SELECT * FROM t WHERE token_type = 'bearer' AND secret_key = '{{ var.value.k }}';\n"
    )
    (tmp_path / "queries" / "clean.sql").write_text("SELECT 1;\n")
    spec = tmp_path / "s.yaml"
    spec.write_text(
        BASE + "tasks:\n"
        "  a: {operator: sql, conn_id: db, sql: queries/load.sql}\n"  # 7
        "  b: {operator: sql, conn_id: db, sql: [queries/clean.sql, queries/load.sql]}\n"  # 8
        "  c: {operator: sql, conn_id: db, sql: \"CREATE USER x PASSWORD 'abc'\"}\n"  # 9: inline SQL too
    )
    doc, problems = load_file(spec, "s.yaml")
    assert doc is not None
    assert not problems
    found = sorted((d.line, d.column, d.message) for d in check_document(doc) if d.code == "DF209")
    in_file = [
        "queries/load.sql line 2 looks like a literal PASSWORD in SQL",
        "queries/load.sql line 4 looks like a secret in a setting (aws_secret_access_key=...)",
        "queries/load.sql line 5 looks like a password in SQL (IDENTIFIED BY)",
    ]
    assert found == sorted(
        [(7, 40, m) for m in in_file]
        + [(8, 60, m) for m in in_file]
        + [(9, 40, "this value looks like a literal PASSWORD in SQL")]
    )


def test_a_file_full_of_secrets_is_reported_by_its_first_lines(tmp_path: Path):
    (tmp_path / "many.sql").write_text("ALTER USER u PASSWORD 'x';\n" * 25)
    spec = tmp_path / "s.yaml"
    spec.write_text(BASE + "tasks:\n  a: {operator: sql, conn_id: db, sql: many.sql}\n")
    doc, _ = load_file(spec, "s.yaml")
    assert doc is not None
    found = [d.message for d in check_document(doc) if d.code == "DF209"]
    assert len(found) == 10
    assert found[-1].endswith("line 10 looks like a literal PASSWORD in SQL (and 15 more lines)")


# --- properties ----------------------------------------------------------------------------

CREDENTIALS = [
    ("password",), ("passwd",), ("pwd",), ("pw",), ("passphrase",), ("secret",), ("token",), ("credentials",),
    ("api", "key"), ("access", "key"), ("private", "key"), ("secret", "key"), ("auth", "token"),
    ("client", "secret"), ("access", "token"), ("apikey",),
]  # fmt: skip
HARMLESS_WORDS = ["db", "aws", "my", "prod", "service", "smtp", "slack", "x", "main", "2", "v2"]


def _spell(words: list[str], style: str) -> str:
    if style == "snake":
        return "_".join(words)
    if style == "screaming":
        return "_".join(words).upper()
    if style == "kebab":
        return "-".join(words)
    if style == "train":  # X-Api-Key, as HTTP headers are written
        return "-".join(w.capitalize() for w in words)
    if style == "dot":
        return ".".join(words)
    if style == "space":
        return " ".join(words)
    if style == "pascal":
        return "".join(w.capitalize() for w in words)
    return words[0] + "".join(w.capitalize() for w in words[1:])  # camel


key_spellings = st.builds(
    lambda before, credential, after, style: _spell([*before, *credential, *after], style),
    st.lists(st.sampled_from(HARMLESS_WORDS), max_size=2),
    st.sampled_from(CREDENTIALS),
    st.lists(st.sampled_from(HARMLESS_WORDS), max_size=1),
    st.sampled_from(["snake", "screaming", "kebab", "train", "dot", "space", "pascal", "camel"]),
)
literal_values = st.one_of(
    st.integers(min_value=0, max_value=10**9),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E) | st.sampled_from("é데☃"), min_size=1, max_size=20)
    .map(str.strip)
    .filter(lambda s: s and "{{" not in s and not s.startswith("$")),
)
template_values = st.sampled_from(["var.value", "conn"]).flatmap(
    lambda kind: st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True).map(
        lambda name: f"{{{{ var.value.{name} }}}}" if kind == "var.value" else f"{{{{ conn.{name}.password }}}}"
    )
)
# (where in the spec, the text that opens it); the nesting goes below
SECTIONS = [
    ("params", "params:\n"),
    ("macros", "macros:\n"),
    ("env", "tasks:\n  job:\n    operator: bash\n    bash_command: echo\n    env:\n"),
    ("op_kwargs", "tasks:\n  job:\n    operator: python\n    python_callable: m:f\n    op_kwargs:\n"),
    ("headers", "tasks:\n  job:\n    operator: http\n    endpoint: /x\n    headers:\n"),
    ("task params", "tasks:\n  job:\n    operator: empty\n    params:\n"),
]
SECTION_INDENT = {"params": 2, "macros": 2}
# Their keys are names in templates ({{ params.x }}): Python identifiers, else DF105
IDENTIFIER_KEYED = {"params", "macros"}
nestings = st.lists(st.sampled_from(["list", "config", "nested", "options", "level"]), max_size=6)


class _Target:
    """Marks the credential key (or list under it) in the value tree handed to _emit."""

    def __init__(self, key: str, value: Any):
        self.key, self.value = key, value


def _scalar(value: Any) -> str:
    return str(value) if isinstance(value, int) else json.dumps(value, ensure_ascii=False)


def _emit(node: Any, indent: int, lines: list[str], marks: list[int]) -> None:
    """Block-style YAML of ``node``; ``marks`` gets the 1-based line of each value to be reported."""
    pad = " " * indent
    if isinstance(node, _Target):
        key = json.dumps(node.key)
        if isinstance(node.value, list):
            lines.append(f"{pad}{key}:")
            for item in node.value:
                lines.append(f"{pad}  - {_scalar(item)}")
                marks.append(len(lines))
        else:
            lines.append(f"{pad}{key}: {_scalar(node.value)}")
            marks.append(len(lines))
    elif isinstance(node, list):
        lines.append(f"{pad}- plain")
        lines.append(f"{pad}-")
        _emit(node[0], indent + 2, lines, marks)
    else:
        ((key, value),) = node.items()
        lines.append(f"{pad}filler: 1")
        lines.append(f"{pad}{key}:")
        _emit(value, indent + 2, lines, marks)


def _fits_the_schema(section: tuple[str, str], nesting: list[str], key: str) -> bool:
    """A key right under ``params:``/``macros:`` must be an identifier; deeper keys are free."""
    if nesting or section[0] not in IDENTIFIER_KEYED:
        return True
    return re.fullmatch(r"[A-Za-z_]\w*", key, re.ASCII) is not None


def _findings_of_valid_spec(text: str) -> list[int]:
    """Lines of DF209 in ``text``, which must be a valid spec: an invalid one hides every warning."""
    doc, problems = load_text(text, "s.yaml")
    assert doc is not None, problems
    found = check_document(doc)
    assert not [d for d in found if d.is_error], (text, found)
    return sorted(d.line for d in found if d.code == "DF209")


def _spec(section: tuple[str, str], nesting: list[str], target: _Target) -> tuple[str, list[int]]:
    node: Any = target
    for level in reversed(nesting):
        node = [node] if level == "list" else {level: node}
    name, opening = section
    lines = (BASE + opening).rstrip("\n").split("\n")
    marks: list[int] = []
    body: list[str] = []
    _emit({"wrapper": node} if isinstance(node, list) else node, SECTION_INDENT.get(name, 6), body, marks)
    tail = [] if "tasks:" in opening else ["tasks:", "  job:", "    operator: empty"]  # a whole spec
    return "\n".join(lines + body + tail) + "\n", [m + len(lines) for m in marks]


@property_settings("DAGFACTORY_HYPOTHESIS_EXAMPLES", 150)
@given(
    section=st.sampled_from(SECTIONS),
    nesting=nestings,
    key=key_spellings,
    value=st.one_of(literal_values, st.lists(literal_values, min_size=1, max_size=3)),
)
def test_literal_credentials_are_found_at_their_line_however_spelt_and_nested(
    section: tuple[str, str], nesting: list[str], key: str, value: Any
):
    assume(_fits_the_schema(section, nesting, key))
    text, lines = _spec(section, nesting, _Target(key, value))
    assert _findings_of_valid_spec(text) == lines, text


@property_settings("DAGFACTORY_HYPOTHESIS_EXAMPLES", 100)
@given(
    section=st.sampled_from(SECTIONS),
    nesting=nestings,
    key=key_spellings,
    value=st.one_of(template_values, st.lists(template_values, min_size=1, max_size=3)),
)
def test_templated_credentials_are_never_reported(section: tuple[str, str], nesting: list[str], key: str, value: Any):
    assume(_fits_the_schema(section, nesting, key))
    text, _ = _spec(section, nesting, _Target(key, value))
    assert _findings_of_valid_spec(text) == [], text


# --- the CLI: a warning, or an error with --warnings-as-errors ------------------------------------------


def test_a_secret_is_a_warning_and_an_error_with_warnings_as_errors(project: Path):
    (project / "specs" / "leaky.yaml").write_text(
        MINIMAL_HEAD + "params:\n  dbPassword: hunter2\ntasks:\n  only:\n    operator: empty\n"
    )
    warned = run_cli("validate", cwd=project)
    assert warned.returncode == 0, warned.stdout + warned.stderr
    assert warned.stdout.startswith("specs/leaky.yaml:8:3: warning[DF209]: 'dbPassword' looks like a secret")
    strict = run_cli("validate", "--warnings-as-errors", cwd=project)
    assert strict.returncode == 1, strict.stdout + strict.stderr
    assert strict.stdout.startswith("specs/leaky.yaml:8:3: error[DF209]: 'dbPassword' looks like a secret")
    compiled = run_cli("compile", "--warnings-as-errors", cwd=project)
    assert compiled.returncode == 1
    assert not (project / "generated_dags" / "leaky.py").exists()
