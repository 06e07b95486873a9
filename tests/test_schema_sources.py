"""`make schemas` fetches exactly the upstream files the conformance tests read: the manifest
matches ../shared/schemas/SOURCES.md row for row and covers every file of the folder."""

from __future__ import annotations

import pytest

from tests import schema_sources
from tests.conftest import SCHEMAS

needs_schemas = pytest.mark.skipif(
    not (SCHEMAS / "SOURCES.md").is_file(), reason="../shared/schemas is not present"
)


@needs_schemas
def test_the_manifest_is_sources_md():
    listed = schema_sources.from_sources_md((SCHEMAS / "SOURCES.md").read_text())
    assert schema_sources.manifest() == listed


@needs_schemas
def test_the_manifest_covers_every_schema_file_and_its_digest():
    sources = {s.file: s for s in schema_sources.manifest()}
    present = {str(p.relative_to(SCHEMAS)) for p in SCHEMAS.rglob("*") if p.is_file()} - {
        "SOURCES.md"
    }
    assert present == set(sources)
    mismatched = [f for f, s in sources.items() if not s.matches((SCHEMAS / f).read_bytes())]
    assert mismatched == []


def test_each_file_is_fetched_from_its_pinned_commit():
    sources = schema_sources.manifest()
    assert len(sources) > 100
    for source in sources:
        assert len(source.commit) == 40 and int(source.commit, 16) >= 0, source
        assert source.url == (
            f"https://raw.githubusercontent.com/{source.repository}/{source.commit}/{source.path}"
        )
        assert source.repository.count("/") == 1 and not source.file.startswith("/")


def test_fetch_keeps_only_files_whose_size_and_digest_match(tmp_path, monkeypatch):
    import hashlib

    upstream = tmp_path / "upstream"
    data = b"kind: CustomResourceDefinition\n"
    good = schema_sources.Source(
        "x/crds/a.yaml",
        "o/r",
        "crds/a.yaml",
        "v1",
        "a" * 40,
        len(data),
        hashlib.sha256(data).hexdigest()[:16],
    )
    bad = schema_sources.Source(
        "x/crds/b.yaml", "o/r", "crds/b.yaml", "v1", "a" * 40, len(data), "0" * 16
    )
    for source in (good, bad):
        path = upstream / source.repository / source.commit / source.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    monkeypatch.setattr(schema_sources, "RAW", upstream.as_uri())
    dest = tmp_path / "schemas"
    assert schema_sources.fetch(dest, [good, bad]) == 1
    assert (dest / good.file).read_bytes() == data
    assert not (dest / bad.file).exists()
