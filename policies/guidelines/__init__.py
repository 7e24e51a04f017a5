"""Funding guidelines (Förderrichtlinien) as versioned data: one YAML file per version.

``v<version>.yaml`` in this folder holds the version's validity, its source and its rules with
their parameters; ``policies.rules`` holds the rule functions. A published file is never
edited: new values are a new file with a later ``valid_from``. The version in force on the day
of submission is pinned on the application (``Application.guideline_version``), so a new
version never changes a past check.

Files are validated when they are loaded (unknown rule, missing or unknown parameter, bad
value: ``GuidelineError`` naming file and rule) and cached per path.
"""

import datetime
import functools
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import yaml

from policies.rules import RULES

DIRECTORY = Path(__file__).resolve().parent
ORIGINS = ("seed", "law", "assumption")
_VERSION = re.compile(r"^[0-9]+(\.[0-9]+)*\Z")  # ASCII digits only (defect 10)
_FILE = re.compile(r"^v(?P<version>.+)\.yaml$")
_TOP_KEYS = {"version", "fund", "title", "valid_from", "valid_until", "source", "rules"}
_RULE_KEYS = {"id", "origin", "basis", "description_de", "parameters"}


class GuidelineError(Exception):
    """A guideline file is missing or invalid (a configuration error, found at load time)."""


class NoGuidelineInForce(GuidelineError, LookupError):
    """No guideline version of the fund is valid on the given day."""


@dataclass(frozen=True)
class GuidelineRule:
    id: str
    origin: str
    basis: str
    description_de: str
    parameters: Mapping[str, object]


@dataclass(frozen=True)
class Guideline:
    version: str
    fund: str
    title: str
    valid_from: datetime.date
    valid_until: datetime.date | None
    source: str
    rules: tuple[GuidelineRule, ...]
    # sha256 of the file: stored next to the version, it shows that a re-check used the very
    # same text.
    digest: str

    def is_valid_on(self, day: datetime.date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)

    def rule(self, rule_id: str) -> GuidelineRule:
        for item in self.rules:
            if item.id == rule_id:
                return item
        raise KeyError(rule_id)


def version_key(version: str) -> tuple[int, ...]:
    """'2' < '10'; '1.1' between '1' and '2'."""
    return tuple(int(part) for part in version.split("."))


def _directory(directory) -> Path:
    return DIRECTORY if directory is None else Path(directory).resolve()


def available(directory=None) -> tuple[str, ...]:
    """The versions published in ``directory`` (default: this folder), oldest first."""
    versions = []
    for path in _directory(directory).glob("v*.yaml"):
        version = _FILE.match(path.name)["version"]
        if not _VERSION.match(version):
            raise GuidelineError(f"{path}: the file name must be v<number>.yaml, e.g. v2.yaml.")
        versions.append(version)
    return tuple(sorted(versions, key=version_key))


def load(version: str, directory=None) -> Guideline:
    """The guideline ``version`` (e.g. "1"), validated; cached per file."""
    version = str(version)
    if not _VERSION.match(version):
        raise GuidelineError(f"{version!r} is not a guideline version (e.g. '1' or '2').")
    path = _directory(directory) / f"v{version}.yaml"
    if not path.is_file():
        raise GuidelineError(f"Guideline version {version} does not exist: {path} is missing.")
    return _load_file(path)


def in_force(fund_code: str, on_date: datetime.date, directory=None) -> Guideline:
    """The fund's guideline valid on ``on_date``; if several are, the one that took effect last."""
    candidates = [
        guideline
        for guideline in (load(version, directory) for version in available(directory))
        if guideline.fund == fund_code and guideline.is_valid_on(on_date)
    ]
    if not candidates:
        raise NoGuidelineInForce(
            f"No guideline of fund {fund_code!r} is in force on {on_date.isoformat()}."
        )
    return max(candidates, key=lambda g: (g.valid_from, version_key(g.version)))


@functools.lru_cache(maxsize=64)
def _load_file(path: Path) -> Guideline:
    raw = path.read_bytes()
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise GuidelineError(f"{path}: not valid YAML: {exc}") from exc
    return _parse(data, path, hashlib.sha256(raw).hexdigest())


def _parse(data, path: Path, digest: str) -> Guideline:
    def fail(message):
        raise GuidelineError(f"{path}: {message}")

    if not isinstance(data, dict):
        fail("expected a mapping with version, fund, valid_from, rules, ...")
    _check_keys(data, _TOP_KEYS, _TOP_KEYS, "the file", fail)
    version = data["version"]
    if not isinstance(version, str) or path.name != f"v{version}.yaml":
        fail(f'version must be a quoted string matching the file name (here "{path.stem[1:]}").')
    for key in ("fund", "title", "source"):
        _text(data[key], key, fail)
    valid_from = _date(data["valid_from"], "valid_from", fail)
    valid_until = None
    if data["valid_until"] is not None:
        valid_until = _date(data["valid_until"], "valid_until", fail)
        if valid_until < valid_from:
            fail("valid_until lies before valid_from.")
    if not isinstance(data["rules"], list) or not data["rules"]:
        fail("rules must be a non-empty list.")
    rules = tuple(_parse_rule(item, fail) for item in data["rules"])
    ids = [item.id for item in rules]
    duplicates = sorted({rule_id for rule_id in ids if ids.count(rule_id) > 1})
    if duplicates:
        fail(f"rule {duplicates[0]!r} is listed twice.")
    return Guideline(
        version=version,
        fund=data["fund"],
        title=data["title"],
        valid_from=valid_from,
        valid_until=valid_until,
        source=data["source"],
        rules=rules,
        digest=digest,
    )


def _parse_rule(item, fail) -> GuidelineRule:
    if not isinstance(item, dict):
        fail(f"every rule must be a mapping with id, origin, basis, ... (got {item!r}).")
    rule_id = item.get("id")
    spec = RULES.get(rule_id) if isinstance(rule_id, str) else None
    if spec is None:
        fail(f"unknown rule {rule_id!r}; known rules: {', '.join(sorted(RULES))}.")
    where = f"rule {rule_id!r}"
    _check_keys(item, _RULE_KEYS - {"parameters"}, _RULE_KEYS, where, fail)
    if item["origin"] not in ORIGINS:
        fail(f"{where}: origin must be one of {', '.join(ORIGINS)} (got {item['origin']!r}).")
    _text(item["basis"], f"{where}: basis", fail)
    _text(item["description_de"], f"{where}: description_de", fail)
    given = item.get("parameters") or {}
    if not isinstance(given, dict):
        fail(f"{where}: parameters must be a mapping.")
    _check_keys(given, set(spec.parameters), set(spec.parameters), f"{where}: parameters", fail)
    parameters = {}
    for name, convert in spec.parameters.items():
        try:
            parameters[name] = convert(given[name])
        except ValueError as exc:
            fail(f"{where}: parameter {name!r}: {exc}.")
    return GuidelineRule(
        id=rule_id,
        origin=item["origin"],
        basis=item["basis"],
        description_de=item["description_de"],
        parameters=MappingProxyType(parameters),
    )


def _check_keys(data: dict, required: set, allowed: set, where: str, fail) -> None:
    missing = sorted(required - data.keys())
    if missing:
        fail(f"{where}: missing {', '.join(missing)}.")
    unknown = sorted(str(key) for key in data.keys() - allowed)
    if unknown:
        fail(f"{where}: unknown {', '.join(unknown)} (allowed: {', '.join(sorted(allowed))}).")


def _text(value, where: str, fail) -> None:
    if not isinstance(value, str) or not value.strip():
        fail(f"{where} must be a non-empty text.")


def _date(value, where: str, fail) -> datetime.date:
    # YAML reads 2017-01-01 as a date; a timestamp or a quoted text is refused.
    if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
        fail(f"{where} must be a date like 2017-01-01 (got {value!r}).")
    return value
