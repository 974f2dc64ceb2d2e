"""What gets installed is exactly what was locked: every package pinned with its hashes, torch alone from its index."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s\\;]+)")


def _locked(name: str) -> dict[str, str]:
    """``{package: version}`` of a generated lock file; asserts every entry carries hashes."""
    text = (ROOT / name).read_text()
    entries = re.split(r"\n(?=[A-Za-z0-9])", text)
    versions = {}
    for entry in entries:
        match = PIN.match(entry)
        if not match:
            continue
        assert "--hash=sha256:" in entry, f"{name}: {match.group(1)} has no hash"
        versions[match.group(1).lower().replace("_", "-")] = match.group(2)
    return versions


def _direct(name: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / name).read_text().splitlines():
        match = PIN.match(line.strip())
        if match:
            pins[re.sub(r"\[.*\]", "", match.group(1)).lower().replace("_", "-")] = match.group(2)
    return pins


def test_the_locks_pin_every_package_with_hashes_and_match_the_inputs():
    runtime, dev = _locked("requirements.txt"), _locked("requirements-dev.txt")
    assert len(runtime) > 50 and len(dev) > len(runtime)
    for package, version in _direct("requirements.in").items():
        assert runtime.get(package) == version, f"requirements.txt is stale for {package}: run make lock"
        assert dev.get(package) == version, f"requirements-dev.txt is stale for {package}: run make lock"
    for package, version in _direct("requirements-dev.in").items():
        assert dev.get(package) == version, f"requirements-dev.txt is stale for {package}: run make lock"


def test_torch_is_installed_alone_and_only_torch_comes_from_its_index():
    assert "torch" not in _locked("requirements.txt")
    assert _direct("requirements-torch.txt") == {"torch": "2.13.0"}
    for name in ("Dockerfile", "Makefile", "requirements.in", "requirements-dev.in", "requirements.txt"):
        commands = [line for line in (ROOT / name).read_text().splitlines() if not line.lstrip().startswith("#")]
        assert not any("--extra-index-url" in line for line in commands), name
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "--no-deps --index-url https://download.pytorch.org/whl/cpu -r requirements-torch.txt" in dockerfile
    assert "--require-hashes -r requirements.txt" in dockerfile
    makefile = (ROOT / "Makefile").read_text()
    assert "--no-deps -r requirements-torch.txt" in makefile
    assert "--require-hashes -r requirements-dev.txt" in makefile
