"""Safe YAML loading that keeps line numbers and refuses alias bombs, for every YAML file sfc-check reads."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from .errors import RuleFileError

MAX_FILE_BYTES = 2_000_000
MAX_EXPANDED_NODES = 200_000


# libyaml's parser when PyYAML was built with it (the wheels are): a run parses every rule file, and the C
# parser does that about ten times faster. Both are safe loaders and give the same nodes, marks and values.
if TYPE_CHECKING:
    _SafeLoader = yaml.SafeLoader
else:
    _SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeLoader):
    """A safe loader with YAML 1.2 scalars: dates stay strings and only true/false are booleans.

    Under YAML 1.1 `on:` (a join) would become True and `no`/`Y` flags would silently change type; the
    schemas, not the YAML version, decide what a value means.
    """


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers
            if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))


class _PurePythonLoader(yaml.SafeLoader):
    """The same loader without libyaml, for the wording of a syntax error (see load_yaml_text)."""


_PurePythonLoader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers
MAX_INT_DIGITS = 100  # no parameter, key or count needs more; Python refuses to read past 4,300 digits anyway


def _bounded_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    if len(str(node.value)) > MAX_INT_DIGITS:
        raise yaml.constructor.ConstructorError(None, None, f"refused: a number of more than {MAX_INT_DIGITS} "
                                                "digits", node.start_mark)
    return int(yaml.SafeLoader.construct_yaml_int(loader, node))


for _loader in (_Loader, _PurePythonLoader):
    _loader.add_constructor("tag:yaml.org,2002:int", _bounded_int)


class YamlDocument:
    """A parsed YAML document plus its node tree, so a schema error path can be turned into a line."""

    def __init__(self, path: str, data: Any, root: yaml.Node | None, sha256: str = "") -> None:
        self.path = path
        self.data = data
        self.root = root
        self.sha256 = sha256  # of the file's bytes, for evidence manifests (the file is read once)

    def line_of(self, path_in_doc: list[Any] | tuple[Any, ...]) -> int | None:
        """1-based line of the value at a JSON-pointer-like path (the deepest node found)."""
        node = self.root
        line = node.start_mark.line + 1 if node is not None else None
        for part in path_in_doc:
            if isinstance(node, yaml.MappingNode):
                nxt = None
                for k, v in node.value:
                    if isinstance(k, yaml.ScalarNode) and k.value == str(part):
                        nxt = v
                        line = k.start_mark.line + 1
                        break
                node = nxt
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                break
            if node is None:
                break
        return line


def _expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    """Count nodes as if every alias were copied out; memoised so a bomb is measured in linear time."""
    known = memo.get(id(node))
    if known is not None:
        return known
    memo[id(node)] = 1  # guards against recursive anchors
    size = 1
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            size += _expanded_size(k, memo) + _expanded_size(v, memo)
            if size > MAX_EXPANDED_NODES:
                break
    elif isinstance(node, yaml.SequenceNode):
        for v in node.value:
            size += _expanded_size(v, memo)
            if size > MAX_EXPANDED_NODES:
                break
    memo[id(node)] = size
    return size


def _repeated_key(root: yaml.Node) -> tuple[str, int, int] | None:
    """A key that appears twice in one mapping (its text, first line, second line), if any. YAML keeps the
    last silently, so a rule with two `severity:` lines would quietly take the second."""
    seen: set[int] = set()
    todo = [root]
    while todo:
        node = todo.pop()
        if id(node) in seen:  # an alias: already walked
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            lines: dict[tuple[str, str], int] = {}
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.tag != "tag:yaml.org,2002:merge":
                    first = lines.get((k.tag, k.value))
                    if first is not None:
                        return k.value, first, k.start_mark.line + 1
                    lines[(k.tag, k.value)] = k.start_mark.line + 1
                todo += (k, v)
        elif isinstance(node, yaml.SequenceNode):
            todo += node.value
    return None


def load_yaml_text(text: str, path: str) -> YamlDocument:
    """Parse one YAML document safely; errors name the file, line and column."""
    try:
        try:
            root, data = _parse(_Loader, text, path)
        except yaml.YAMLError as exc:
            if _Loader.__bases__[0] is yaml.SafeLoader:
                raise
            try:  # libyaml refused it: the pure-Python parser says why more exactly (the alias, the token met)
                _parse(_PurePythonLoader, text, path)
            except yaml.YAMLError:
                raise
            raise exc from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            what = f"{exc.problem} ({exc.context})"
        raise RuleFileError(f"YAML syntax error: {what}", path,
                            mark.line + 1 if mark else None, mark.column + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise RuleFileError(f"YAML error: {exc}", path) from None
    except RecursionError:
        raise RuleFileError("refused: the document is nested too deeply", path) from None
    return YamlDocument(path, data, root)


def _parse(loader_class: type[yaml.SafeLoader], text: str, path: str) -> tuple[yaml.Node | None, Any]:
    """The node tree and the values of one document, after the alias-bomb and repeated-key checks."""
    loader = loader_class(text)
    try:
        root = loader.get_single_node()
        if root is not None and _expanded_size(root, {}) > MAX_EXPANDED_NODES:
            raise RuleFileError(
                f"refused: the document expands to more than {MAX_EXPANDED_NODES} nodes "
                "through anchors and aliases (alias bomb?)", path, root.start_mark.line + 1)
        repeated = _repeated_key(root) if root is not None else None
        if repeated is not None:
            key, first, again = repeated
            raise RuleFileError(f"key {key!r} appears twice in the same mapping (first at line {first}); "
                                "keep one", path, again)
        return root, (loader.construct_document(root) if root is not None else None)
    finally:
        loader.dispose()


def load_yaml_file(path: Path | str) -> YamlDocument:
    """Read and parse a YAML file; a missing, unreadable, huge or non-UTF-8 file is a RuleFileError."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise RuleFileError("file not found", str(p)) from None
    except IsADirectoryError:
        raise RuleFileError("is a directory, expected a YAML file", str(p)) from None
    except OSError as exc:
        raise RuleFileError(f"cannot read file: {exc.strerror}", str(p)) from None
    if len(raw) > MAX_FILE_BYTES:
        raise RuleFileError(f"refused: file is larger than {MAX_FILE_BYTES} bytes", str(p))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise RuleFileError(f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
                            "save the file as UTF-8", str(p), line) from None
    doc = load_yaml_text(text, str(p))
    doc.sha256 = hashlib.sha256(raw).hexdigest()
    return doc
