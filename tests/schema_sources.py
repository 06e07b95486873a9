"""Where the upstream schemas the conformance tests read come from, and how to fetch them.

`tests/schema_sources.tsv` lists every file of `../shared/schemas` with the GitHub repository,
path and commit it was copied from, its size and the start of its SHA-256. `make schemas`
(`python -m tests.schema_sources --fetch`) downloads each file at that commit from
raw.githubusercontent.com and keeps it only when size and digest match, so a clone outside CI
gets exactly the files the suite was written against.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path

MANIFEST = Path(__file__).with_name("schema_sources.tsv")
DEFAULT_DEST = Path(__file__).resolve().parent.parent.parent / "shared" / "schemas"
RAW = "https://raw.githubusercontent.com"


@dataclass(frozen=True)
class Source:
    file: str
    repository: str
    path: str
    ref: str
    commit: str
    size: int
    sha256_prefix: str

    @property
    def url(self) -> str:
        return f"{RAW}/{self.repository}/{self.commit}/{self.path}"

    def matches(self, data: bytes) -> bool:
        digest = hashlib.sha256(data).hexdigest()
        return len(data) == self.size and digest.startswith(self.sha256_prefix)


def manifest(path: Path = MANIFEST) -> list[Source]:
    sources = []
    for line in path.read_text().splitlines():
        if line and not line.startswith("#"):
            file, repository, upstream, ref, commit, size, sha = line.split("\t")
            sources.append(Source(file, repository, upstream, ref, commit, int(size), sha))
    return sources


def from_sources_md(text: str) -> list[Source]:
    """The table of `../shared/schemas/SOURCES.md` (repository cells read `github.com/o/r`,
    digests are shown as a prefix followed by an ellipsis)."""
    sources = []
    for line in text.splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) != 9 or not cells[7].isdigit():
            continue
        _, file, repository, upstream, ref, commit, _, size, sha = cells
        repository = repository.removeprefix("github.com/")
        sources.append(Source(file, repository, upstream, ref, commit, int(size), sha.rstrip("…`")))
    return sources


def fetch(dest: Path, sources: list[Source]) -> int:
    """Download what is missing or different; return the number of files that failed."""
    failed = 0
    for i, source in enumerate(sources, 1):
        target = dest / source.file
        if target.is_file() and source.matches(target.read_bytes()):
            continue
        print(f"[{i}/{len(sources)}] {source.file} <- {source.url}", flush=True)
        try:
            with urllib.request.urlopen(source.url, timeout=60) as response:
                data = response.read()
        except OSError as exc:
            print(f"  failed: {exc}", file=sys.stderr)
            failed += 1
            continue
        if not source.matches(data):
            print(f"  failed: size or SHA-256 differs from {MANIFEST.name}", file=sys.stderr)
            failed += 1
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.schema_sources", description=__doc__)
    parser.add_argument("--fetch", action="store_true", help="download missing or changed files")
    parser.add_argument("--dest", type=Path, default=DEFAULT_DEST, help="schemas folder")
    args = parser.parse_args(argv)
    sources = manifest()
    if not args.fetch:
        for source in sources:
            print(f"{source.file}\t{source.url}")
        return 0
    failed = fetch(args.dest, sources)
    print(f"{len(sources) - failed} of {len(sources)} files in {args.dest}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
