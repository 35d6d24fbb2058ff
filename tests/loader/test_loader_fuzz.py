"""Random edits to a valid project: loading either succeeds or raises a
RockyError. Nothing else may escape."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rocky.errors import RockyError
from rocky.project import load_project
from rocky.validation import validate_project

BASE: dict[str, bytes] = {
    "rocky.toml": b'[adapter]\ntype = "duckdb"\npath = "${DB:-x.duckdb}"\n'
    b'[pipeline.p]\ntype = "transformation"\n[pipeline.p.execution]\nconcurrency = 2\n',
    "models/_defaults.toml": b'[target]\ncatalog = "wh"\nschema = "s"\n',
    "models/groups/g.toml": b'schema_template = "g_{k}"\n[strategy]\ntype = "view"\n',
    "models/a.sql": b"SELECT 1 AS id\n",
    "models/a.toml": b'depends_on = []\n[strategy]\ntype = "merge"\nunique_key = ["id"]\n',
    "models/b.sql": b'---toml\ngroup = "g"\n[args]\nk = "x"\n'
    b'[target]\ncatalog = "c"\n---\nSELECT 2\n',
    "models/c.rocky": b"from a\nselect { id }\n",
    "models/test_definitions.toml": b'[pos]\ntype = "expression"\nexpression = "id > 0"\n',
    "seeds/s.csv": b"id,name\n1,x\n",
    "seeds/s.toml": b'[column_types]\nid = "INT"\n',
    "contracts/a.contract.toml": b'[[columns]]\nname = "id"\ntype = "Int64"\n',
}

SNIPPETS = [
    b"[",
    b"]",
    b"[[",
    b"=",
    b'"',
    b"'",
    b"\n",
    b"#",
    b"${NOPE}",
    b"${X:-d}",
    b"---toml\n",
    b"\n---\n",
    b"\x00",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"[strategy]\ntype = 5\n",
    b"unique_key = 5\n",
    b'type = "merg"\n',
    b"[target]\n",
    b'schema = ""\n',
    b'group = "h"\n',
    b"[[use_test]]\nname = 'nope'\n",
    b"[[tests]]\n",
    b"{",
    b"}",
    b"1979-05-27",
    b"-9e999",
    b"depends_on = [1]\n",
    b'retention = "x"\n',
    b"[args]\nk = 'a-b'\n",
    b"\r\n",
    b"\t",
    b"name = ''\n",
    b"[adapter.x]\n",
    b"[pipeline.q]\ntype = 'x'\n",
    b"concurrency = -1\n",
    b"a" * 70,
    b"[" * 500,
    b'"""',
    b"\\u0000",
    b"[mask]\npii = 'x'\n",
]

edit = st.tuples(
    st.sampled_from(sorted(BASE)),
    st.sampled_from(["insert", "delete", "replace", "truncate", "empty"]),
    st.floats(0, 1),
    st.floats(0, 1),
    st.one_of(st.sampled_from(SNIPPETS), st.binary(max_size=12)),
)


def _apply(content: bytes, op: str, a: float, b: float, snippet: bytes) -> bytes:
    i = int(a * len(content))
    j = min(len(content), i + int(b * 20))
    if op == "insert":
        return content[:i] + snippet + content[i:]
    if op == "delete":
        return content[:i] + content[j:]
    if op == "replace":
        return content[:i] + snippet + content[j:]
    if op == "truncate":
        return content[:i]
    return b""


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(edit, min_size=1, max_size=4))
def test_random_edits_only_ever_raise_rocky_errors(
    edits: list[tuple[str, str, float, float, bytes]],
) -> None:
    files = dict(BASE)
    for name, op, a, b, snippet in edits:
        files[name] = _apply(files[name], op, a, b, snippet)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for rel, content in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        try:
            project = load_project(root, env={})
            for seed in project.seeds:
                seed.columns()
        except RockyError as err:
            assert str(err) and "\n" not in str(err)  # one line, as the CLI prints it
        report = validate_project(root / "rocky.toml", env={})
        assert isinstance(report.valid, bool)


def test_the_unedited_project_loads() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for rel, content in BASE.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(content)
        project = load_project(root, env={})
        assert sorted(project.models) == ["a", "b", "c"]
        assert project.models["b"].config.target.ref.key == "c.g_x.b"
        assert validate_project(root / "rocky.toml", env={}).models["count"] == 3
        with pytest.raises(RockyError):
            load_project(root, env={}, models_dir=root / "nope")
