"""A lint for secrets written into a spec or into the SQL files it references.

A spec is committed to git and its values are copied into the generated DAG file, so
a password in a spec is a password in two repositories and in Airflow's UI. This
warns (DF209; an error with ``--warnings-as-errors``) on:

* a key named like a credential, in any spelling (``db_password``, ``dbPassword``,
  ``api-key``, ``X-Auth-Token``, ``SECRET_ACCESS_KEY`` ...), at any depth, whose value is
  a literal (or a list of literals), not a template such as ``{{ var.value.db_password }}``;
* a value (or a mapping key) that holds a credential wherever it is: a URI with a password
  in any scheme, ``password=...`` in a query string, connection string or command line,
  an AWS access key id, a private key block, a GitHub or Slack token;
* the same in the text of a referenced ``.sql`` file, plus SQL's own forms
  (``PASSWORD 'x'``, ``IDENTIFIED BY 'x'``, ``secret_key = 'x'``), reported at the line
  of the reference, naming the file and the line in it.

A key that says where a secret lives, or something about it, is not a secret:
``password_conn_id``, ``token_url``, ``secret_name``, ``private_key_path``, ``max_tokens``.

Every scan is linear in the text's length: no pattern here can backtrack over a long run.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

from dagfactory.diagnostics import Diagnostic
from dagfactory.load.document import Document, JsonPath
from dagfactory.load.files import scope_of
from dagfactory.load.references import read_referenced, task_references
from dagfactory.operators import CATALOG
from dagfactory.operators.base import Arg

HINT = (
    "keep secrets out of specs: use an Airflow Variable ({{ var.value.name }}) or a Connection "
    "(conn_id, {{ conn.name.password }}), set in Airflow or a secrets backend"
)

# --- key names ------------------------------------------------------------------------------

# Words of a key in any case style: "dbPassword" -> db, Password; "APIKey" -> API, Key;
# "x-api-key", "DB_PASSWORD", "client.secret", "auth token" split on their separators.
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
# A word that is a credential by itself (plural too: "passwords: [...]")
_CREDENTIAL_WORDS = frozenset(
    {"password", "passwd", "passphrase", "passcode", "pw", "pwd", "secret", "token", "credential", "credentials"}
    | {"apikey", "accesskey", "privatekey", "secretkey", "authorization"}
)
# "<qualifier> key" is a credential ("api key", "access key", "private key" ...); "key" alone is not
_KEY_QUALIFIERS = frozenset(
    {"api", "access", "private", "secret", "signing", "encryption", "master", "app", "account", "session", "shared"}
)
# Glued lowercase spellings: "dbpassword", "accesstoken", "clientsecret", "xapikey"
_GLUED_SUFFIXES = ("password", "passwd", "passphrase", "secret", "token", "apikey", "accesskey", "privatekey")
# A word after the credential that makes the key name where it lives or a property of it
_ABOUT = frozenset(
    {"id", "ids", "conn", "connection", "name", "names", "path", "paths", "file", "files", "filename", "dir"}
    | {"var", "variable", "env", "url", "uri", "endpoint", "host", "arn", "ref", "field", "header", "param"}
    | {"prompt", "policy", "type", "kind", "length", "len", "size", "count", "limit", "ttl", "expiry", "expires"}
    | {"expiration", "timeout", "lifetime", "age", "rotation", "template", "format", "pattern", "regex"}
    | {"prefix", "suffix", "location", "source", "backend", "provider", "mode", "method", "enabled", "required"}
)
# A word anywhere that makes the key a number of them: "max_tokens", "num_tokens"
_QUANTITY = frozenset({"max", "min", "num", "number", "count", "total"})


def _is_credential_word(words: list[str], index: int) -> bool:
    word = words[index]
    single = word[:-1] if word.endswith("s") and len(word) > 3 else word
    if word in _CREDENTIAL_WORDS or single in _CREDENTIAL_WORDS:
        return True
    if single == "key":
        return index > 0 and words[index - 1] in _KEY_QUALIFIERS
    return any(word.endswith(suffix) and len(word) > len(suffix) for suffix in _GLUED_SUFFIXES)


@functools.lru_cache(maxsize=4096)  # a spec repeats its keys (operator, bash_command ...) per task
def names_a_secret(key: str) -> bool:
    """Whether a key (or a parameter, SQL column ...) names a credential, in any case style."""
    words = [w.lower() for w in _WORD.findall(key)]
    last = max((i for i in range(len(words)) if _is_credential_word(words, i)), default=None)
    if last is None or any(w in _QUANTITY for w in words):
        return False
    return not any(w in _ABOUT for w in words[last + 1 :])


# --- values ---------------------------------------------------------------------------------


def _is_reference(text: str) -> bool:
    """A template or a variable standing for the secret, not the secret itself:
    ``{{ var.value.x }}``, ``$PGPASSWORD``, ``${TOKEN}``, ``$(cat file)``, ``%(password)s``."""
    return "{{" in text or text.startswith("$") or (text.startswith("%(") and text.endswith(")s"))


def _is_literal(value: Any) -> bool:
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, (int, float)):
        return True
    return isinstance(value, str) and bool(value.strip()) and not _is_reference(value.strip())


# (fixed strings one of which the text must hold, the pattern, what it is): the strings are
# looked for first (a fast scan in C), so long text without them costs no regex
_TOKENS = (
    (("AKIA", "ASIA"), re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), "an AWS access key id"),
    (("PRIVATE KEY-----",), re.compile(r"-----BEGIN [A-Z ]{0,40}PRIVATE KEY-----"), "a private key"),
    (("ghp_", "gho_", "ghu_", "ghs_", "ghr_"), re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36}\b"), "a GitHub token"),
    (("xox",), re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"), "a Slack token"),
)
_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-")
_NETLOC = re.compile(r"[^\s/?#\"'<>`]*")
# name=value in a query string (?password=), connection string (;Pwd=), command line
# (--password=, PGPASSWORD=x cmd): a name starts the text or follows ? & ; or a space, so
# each attempt starts at most once per run of name characters (no quadratic backtracking)
_ASSIGNMENT = re.compile(r"(?:^|(?<=[?&;\s]))-*([A-Za-z_][\w-]*)=[\"']?([^&;#\s\"']+)")
# SQL: a credential-named word, then = or => or : (or nothing: PASSWORD 'x'), then a quoted literal
_SQL_ASSIGNMENT = re.compile(r"(?<![\w.-])([A-Za-z_][\w-]*)\s*(?:(?:=>?|:)\s*)?'([^'\n]*)'")
_SQL_IDENTIFIED_BY = re.compile(r"\bIDENTIFIED\s+BY\s+(?:'([^'\n]*)'|\"([^\"\n]*)\"|(\w+))", re.IGNORECASE)


def uri_with_password(text: str) -> bool:
    """Whether ``text`` holds ``scheme://user:password@host`` with a literal password, in any
    scheme (``postgresql+psycopg2``), with ``@`` in the password or an IPv6 host.

    Scans from each ``://`` (found with ``str.find``, not a regex that could backtrack
    over a long run of scheme characters): linear in the text.
    """
    start = 0
    while (found := text.find("://", start)) >= 0:
        start = found + 3
        if found == 0 or text[found - 1] not in _SCHEME_CHARS:
            continue  # no scheme before "://"
        netloc_match = _NETLOC.match(text, start)  # always matches, if only ""
        netloc = netloc_match.group() if netloc_match else ""
        userinfo, at, _host = netloc.rpartition("@")
        password = userinfo.partition(":")[2]
        if at and password and not _is_reference(password):
            return True
    return False


def _assignment(text: str) -> str | None:
    for match in _ASSIGNMENT.finditer(text):
        if names_a_secret(match.group(1)) and not _is_reference(match.group(2)):
            return f"a secret in a setting ({match.group(1)}=...)"
    return None


def _sql_secret(text: str) -> str | None:
    for match in _SQL_ASSIGNMENT.finditer(text) if "'" in text else ():
        if names_a_secret(match.group(1)) and _is_literal(match.group(2)):
            return f"a literal {match.group(1)} in SQL"
    identified = _SQL_IDENTIFIED_BY.search(text) if "identified" in text.lower() else None
    if identified and _is_literal(next(g for g in identified.groups() if g is not None)):
        return "a password in SQL (IDENTIFIED BY)"
    return None


def secret_in_text(text: str, *, sql: bool = False) -> str | None:
    """What credential ``text`` seems to hold ("a URI with a password" ...), or None."""
    if uri_with_password(text):
        return "a URI with a password"
    for needles, pattern, label in _TOKENS:
        if any(needle in text for needle in needles) and pattern.search(text):
            return label
    if "=" in text and (found := _assignment(text)):
        return found
    return _sql_secret(text) if sql else None


# --- the spec -------------------------------------------------------------------------------


def find_secrets(doc: Document) -> list[Diagnostic]:
    if not isinstance(doc.data, dict):
        return []
    tasks = doc.data.get("tasks")
    sql = {
        (task_id, arg.name)
        for task_id, task in (tasks.items() if isinstance(tasks, dict) else ())
        for arg in _sql_args(task)
    }
    return [*_scan(doc, doc.data, (), None, sql), *_referenced_files(doc)]


def _scan(
    doc: Document, value: Any, path: JsonPath, secret_key: str | None, sql: set[tuple[Any, Any]]
) -> Iterator[Diagnostic]:
    """``value`` at ``path``; ``secret_key`` is the credential-named key a list of values is under;
    ``sql`` the (task id, argument) pairs holding SQL, scanned for SQL's forms too."""
    if isinstance(value, dict):
        for key, item in value.items():
            item_path = (*path, key)
            in_key = secret_in_text(key)
            if in_key:
                yield _found(doc, item_path, f"this key looks like {in_key}", key=True)
            secret = names_a_secret(key)
            if secret and not isinstance(item, (dict, list)):
                if _is_literal(item) and not in_key:  # one finding per key
                    yield _found(doc, item_path, f"{key!r} looks like a secret written into the spec", key=True)
                continue
            yield from _scan(doc, item, item_path, key if secret else None, sql)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if secret_key is not None and not isinstance(item, (dict, list)):
                if _is_literal(item):
                    yield _found(doc, (*path, index), f"an item of {secret_key!r} looks like a secret")
                continue
            yield from _scan(doc, item, (*path, index), secret_key if isinstance(item, list) else None, sql)
    elif isinstance(value, str):
        what = secret_in_text(value, sql=_holds_sql(path, sql))
        if what:
            yield _found(doc, path, f"this value looks like {what}")


def _holds_sql(path: JsonPath, sql: set[tuple[Any, Any]]) -> bool:
    """Whether the value at ``path`` is (part of) a SQL argument: given plain, or mapped over in
    ``expand`` (tasks.t.expand.sql.0) or an ``expand_kwargs`` item (tasks.t.expand_kwargs.0.sql)."""
    if len(path) < 3 or path[0] != "tasks":
        return False
    if path[2] == "expand" and len(path) >= 4:
        return (path[1], path[3]) in sql
    if path[2] == "expand_kwargs" and len(path) >= 5:
        return (path[1], path[4]) in sql
    return (path[1], path[2]) in sql


def _found(doc: Document, path: JsonPath, message: str, *, key: bool = False) -> Diagnostic:
    return doc.diagnostic(path, "DF209", message, key=key, severity="warning", hint=HINT)


def _sql_args(task: Any) -> list[Arg]:
    """A catalog task's arguments that hold SQL (and may name a .sql file)."""
    operator = task.get("operator") if isinstance(task, dict) else None
    entry = CATALOG.get(operator) if isinstance(operator, str) else None
    return [arg for arg in entry.args if arg.file_suffix] if entry else []


MAX_FILE_FINDINGS = 10  # a file full of secrets is reported by its first lines, then counted


def _referenced_files(doc: Document) -> Iterator[Diagnostic]:
    """Secrets in the text of the ``.sql`` files the spec's tasks reference."""
    scope = scope_of(doc)
    for path, name in task_references(doc.data):
        try:
            text = read_referenced(scope, name)
        except ValueError:
            continue  # DF208 says why
        yield from _file_findings(doc, path, name.strip(), text)


def _file_findings(doc: Document, path: JsonPath, name: str, text: str) -> Iterator[Diagnostic]:
    """One finding per line of the file that holds a secret (the first few, then a count)."""
    found = [(n, what) for n, line in enumerate(text.splitlines(), 1) if (what := secret_in_text(line, sql=True))]
    for count, (line, what) in enumerate(found[:MAX_FILE_FINDINGS], 1):
        more = len(found) - count if count == MAX_FILE_FINDINGS else 0
        tail = f" (and {more} more lines)" if more else ""
        yield _found(doc, path, f"{name} line {line} looks like {what}{tail}")
