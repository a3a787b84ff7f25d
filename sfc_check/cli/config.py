"""Audit options from a configuration file: `sfc-check.yaml` or `.sfc-check.yaml` in the current folder, or
`[tool.sfc-check]` in its `pyproject.toml`. The command line overrides the file; `sfc-check config show`
prints the effective settings and where each came from.

    # sfc-check.yaml
    audit:
      profile: firm.yaml          # paths are relative to this file
      fail-on: medium
      require: [clients, perp_trades]
      output: [reports/today.json, reports/today.html]
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import RuleFileError, did_you_mean
from ..yamlsafe import load_yaml_file

CONFIG_NAMES = ("sfc-check.yaml", ".sfc-check.yaml")
SECTIONS = ("audit",)
PATH_OPTIONS = {"data_dir", "rules", "waivers", "baseline", "policy", "profile", "output"}  # relative to the file


@dataclass
class Config:
    """Option values per command, each with where it was written (file and line)."""

    path: str | None = None
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    origins: dict[str, dict[str, str]] = field(default_factory=dict)

    def default_map(self) -> dict[str, dict[str, Any]]:
        return self.values


def find_config(folder: Path) -> Config:
    """The first configuration found in `folder`; an empty one when there is none."""
    for name in CONFIG_NAMES:
        if (folder / name).is_file():
            return _from_yaml(folder / name)
    pyproject = folder / "pyproject.toml"
    if pyproject.is_file():
        return _from_pyproject(pyproject)
    return Config()


def _from_yaml(path: Path) -> Config:
    doc = load_yaml_file(path)
    data = doc.data if doc.data is not None else {}
    if not isinstance(data, dict):
        raise RuleFileError("a configuration holds a mapping of sections (audit:) to options", str(path), 1)
    config = Config(path=str(path))
    for section, options in data.items():
        if section not in SECTIONS:
            raise RuleFileError(f"unknown section {section!r}{did_you_mean(str(section), SECTIONS)} (sections: "
                                f"{', '.join(SECTIONS)})", str(path), doc.line_of([section]))
        if not isinstance(options, dict):
            raise RuleFileError(f"{section}: expected option: value lines", str(path), doc.line_of([section]))
        for key, value in options.items():
            line = doc.line_of([section, key])
            _set(config, section, str(key), value, path.parent, f"{path}:{line}" if line else str(path))
    return config


def _from_pyproject(path: Path) -> Config:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RuleFileError(f"unreadable TOML: {exc}", str(path)) from None
    tool = data.get("tool", {}).get("sfc-check")
    config = Config(path=str(path) if tool else None)
    if not isinstance(tool, dict):
        return config
    for section, options in tool.items():
        where = f"{path} [tool.sfc-check.{section}]"
        if section not in SECTIONS or not isinstance(options, dict):
            raise RuleFileError(f"unknown section {section!r} in [tool.sfc-check] (sections: {', '.join(SECTIONS)})",
                                str(path))
        for key, value in options.items():
            _set(config, section, key, value, path.parent, where)
    return config


def _set(config: Config, section: str, key: str, value: Any, base: Path, origin: str) -> None:
    name = key.replace("-", "_")
    if name in PATH_OPTIONS and value is not None:
        value = [str(base / str(v)) for v in value] if isinstance(value, list) else str(base / str(value))
    config.values.setdefault(section, {})[name] = value
    config.origins.setdefault(section, {})[name] = origin


def option_name(param: Any) -> str:
    """An option as the user writes it: `fail-on` for --fail-on, `data-dir` for the DATA_DIR argument."""
    flags = [o for o in getattr(param, "opts", []) if o.startswith("--")]
    return flags[0][2:] if flags else str(param.name).replace("_", "-")


def bind_names(config: Config, command: Any) -> None:
    """Each key to its option (`format` is the parameter fmt); a key no option has stops the run, since a
    misspelt one would silently do nothing."""
    for section in list(config.values):
        params = {option_name(p).replace("-", "_"): p.name for p in command.commands[section].params}
        shown = sorted(k.replace("_", "-") for k in params)
        values, origins = config.values[section], config.origins[section]
        for key in list(values):
            if key not in params:
                raise RuleFileError(f"unknown {section} option {key.replace('_', '-')!r}"
                                    f"{did_you_mean(key.replace('_', '-'), shown)}", origins[key])
            values[params[key]] = values.pop(key)
            origins[params[key]] = origins.pop(key)
