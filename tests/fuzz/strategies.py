"""Hypothesis strategies for suite files and models files, YAML and JSON.

:func:`suite_files` and :func:`models_files` draw a :class:`FuzzFile` (a name
and the bytes to write) from one of these families:

- ``valid``: a correct document (suites: native or the cookbook's test-case
  format); it must load.
- ``wrong_types``: a valid document with values at random key paths replaced
  by values of other types or odd values (huge numbers and strings, NaN, odd
  Unicode, deep lists, YAML tags), keys dropped, unknown keys added.
- ``damaged``: a valid document's bytes cut, spliced, flipped, re-encoded.
- ``noise``: random bytes, or random text made of YAML/JSON punctuation.
- ``deep``: nesting far past any limit (up to 100,000 levels), alone or
  inside a valid document.
- ``yaml_tricks``: tags, anchors and aliases (bombs, recursion, duplicates),
  directives, several documents, complex keys.
"""

from __future__ import annotations

import copy
import json
import math
import re
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

__all__ = [
    "FAMILIES",
    "FuzzFile",
    "Raw",
    "models_files",
    "suite_files",
    "to_json",
    "to_yaml",
    "valid_cookbooks",
    "valid_models",
    "valid_suites",
]

FAMILIES = ("valid", "wrong_types", "damaged", "noise", "deep", "yaml_tricks")


class Raw(str):
    """Text written into the file as is: a token no serializer would produce."""


@dataclass(frozen=True)
class FuzzFile:
    """One generated file."""

    name: str
    content: bytes
    family: str

    @property
    def valid(self) -> bool:
        """Generated as a correct document."""
        return self.family == "valid"


# ---------------------------------------------------------------- serializers

def to_json(value: Any, indent: int | None = 2, level: int = 0) -> str:
    """JSON text; floats that JSON cannot hold are written as NaN/Infinity."""
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, dict | list):
        items = ([f"{to_json(str(k), indent)}: {to_json(v, indent, level + 1)}"
                  for k, v in value.items()] if isinstance(value, dict)
                 else [to_json(v, indent, level + 1) for v in value])
        opening, closing = "{}" if isinstance(value, dict) else "[]"
        if not items:
            return opening + closing
        if indent is None or level > 4:
            return opening + ", ".join(items) + closing
        pad = "\n" + " " * indent * (level + 1)
        return opening + pad + ("," + pad).join(items) + "\n" + " " * indent * level + closing
    return _json_scalar(value)


def _json_scalar(value: Any) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return json.dumps(value)


def to_yaml(value: Any) -> str:
    """YAML text: block style near the top, flow style below."""
    if isinstance(value, dict) and value and not isinstance(value, Raw):
        return _yaml_block(value, 0)
    return _yaml_flow(value) + "\n"


def _yaml_block(value: dict[Any, Any] | list[Any], indent: int) -> str:
    pad = "  " * indent
    lines = []
    pairs = value.items() if isinstance(value, dict) else ((None, v) for v in value)
    for key, item in pairs:
        head = f"{pad}{_yaml_key(key)}:" if isinstance(value, dict) else f"{pad}-"
        if isinstance(item, dict | list) and item and indent < 2:
            lines.append(f"{head}\n{_yaml_block(item, indent + 1)}")
        else:
            lines.append(f"{head} {_yaml_flow(item)}\n")
    return "".join(lines)


def _yaml_flow(value: Any) -> str:
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_yaml_key(k)}: {_yaml_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_yaml_flow(v) for v in value) + "]"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    return yaml_quote(str(value))


_PLAIN_KEY = re.compile(r"[a-z_][a-z0-9_]*")
# YAML 1.1 reads U+0085, U+2028 and U+2029 as line breaks: they are escaped too.
_NEEDS_ESCAPE = re.compile(
    r"[^\x20\x21\x23-\x5b\x5d-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)


def _yaml_key(key: Any) -> str:
    if isinstance(key, Raw):
        return str(key)
    text = str(key)
    plain = _PLAIN_KEY.fullmatch(text) and text not in ("null", "true", "false")
    return text if plain else yaml_quote(text)


def yaml_quote(text: str) -> str:
    """A YAML double-quoted scalar holding exactly ``text`` (lone surrogates too)."""

    def escape(match: re.Match[str]) -> str:
        code = ord(match.group())
        if match.group() in '"\\':
            return "\\" + match.group()
        return f"\\x{code:02x}" if code < 0x100 else (
            f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")

    return '"' + _NEEDS_ESCAPE.sub(escape, text) + '"'


# ---------------------------------------------------------------- valid documents

_SAFE = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")
safe_text = st.text(_SAFE, max_size=24)
_WORD = st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,9}", fullmatch=True)
_NAME = st.from_regex(r"[a-z_][a-z0-9_]{0,7}", fullmatch=True)
_TEMPLATE_TEXT = st.text(st.characters(exclude_categories=["Cs"],
                                       exclude_characters="\x00{}"), max_size=20)
_finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
plain_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63) | _finite | safe_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(safe_text, inner, max_size=3),
    max_leaves=6,
)


@st.composite
def _template(draw: st.DrawFn, names: list[str]) -> str:
    parts = [draw(_TEMPLATE_TEXT)]
    for name in names:
        parts.append("{" + name + "}")
        parts.append(draw(_TEMPLATE_TEXT | st.just("{{literal}}")))
    return "".join(parts)


#: A gold text an answer can be compared with: not blank.
_gold_text = safe_text.filter(lambda text: bool(text.strip())) | st.integers(-999, 999)


def _gold_field(rule: Any) -> st.SearchStrategy[Any]:
    """A gold value a json_fields rule can compare with."""
    if isinstance(rule, dict):
        return st.integers(-(2**31), 2**31) | _finite
    return _gold_text if rule == "contains" else safe_text


@st.composite
def valid_suites(draw: st.DrawFn) -> dict[str, Any]:
    """A suite document that loads."""
    names = draw(st.lists(_NAME, max_size=3, unique=True))
    kind = draw(st.sampled_from(["label", "text", "json"]))
    suite: dict[str, Any] = {
        "task": draw(st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,15}", fullmatch=True)),
        "prompt": {"user": draw(_template(names))},
    }
    if draw(st.booleans()):
        suite["prompt"]["system"] = draw(_TEMPLATE_TEXT)
    for key, value in (("version", safe_text | st.integers(0, 99)),
                       ("description", safe_text),
                       ("repeats", st.integers(1, 10_000)),
                       ("qualify", st.fixed_dictionaries(
                           {"min_pass_rate": st.floats(0, 1)})),
                       ("params", st.fixed_dictionaries({}, optional={
                           "temperature": st.floats(0, 2), "max_tokens": st.integers(1, 4096),
                           "timeout_s": st.floats(0.1, 600), "seed": st.integers(0, 2**31),
                           "top_p": st.floats(0, 1), "stop": st.lists(safe_text, max_size=2)}))):
        if draw(st.booleans()):
            suite[key] = draw(value)
    output: dict[str, Any] = {"kind": kind}
    labels: list[str] = []
    if kind == "label":
        labels = draw(st.lists(_WORD, min_size=1, max_size=4,
                               unique_by=lambda label: label.lower()))
        output["labels"] = labels
        check: dict[str, Any] = {"type": "label"}
    elif kind == "text":
        check = {"type": draw(st.sampled_from(["exact", "contains", "regex", "python"]))}
        if check["type"] == "python":
            check["function"] = "checks:verdict"
    else:
        check = {"type": draw(st.sampled_from(["json_fields", "json_schema", "exact"]))}
        if check["type"] == "json_schema":
            output["schema"] = {"type": "object", "required": ["answer"],
                                "properties": {"answer": {"type": "string"}}}
    if draw(st.booleans()):
        output["constrain"] = draw(st.booleans())
    suite["output"] = output
    if check["type"] != "label" or draw(st.booleans()):
        suite["check"] = check
    fields = draw(st.lists(_NAME, min_size=1, max_size=3, unique=True))
    if check["type"] == "json_fields":
        check["fields"] = {field: draw(st.sampled_from(["exact", "ci", "contains"])
                                       | st.builds(lambda t: {"numeric": t}, st.floats(0, 10)))
                           for field in fields}
    ids = draw(st.lists(safe_text.filter(bool), min_size=1, max_size=4, unique=True))
    cases = []
    for case_id in ids:
        case: dict[str, Any] = {"id": case_id,
                                "vars": {name: draw(plain_values) for name in names}}
        if kind == "label":
            case["expected"] = draw(st.sampled_from(labels))
        elif check["type"] == "regex":
            case["expected"] = re.escape(draw(safe_text.filter(bool)))
        elif check["type"] == "json_fields":
            case["expected"] = {field: draw(_gold_field(rule))
                                for field, rule in check["fields"].items()}
        elif check["type"] in ("exact", "contains"):
            case["expected"] = draw(st.dictionaries(safe_text, plain_values, max_size=3)
                                    if kind == "json" else _gold_text)
        else:
            case["expected"] = draw(plain_values)
        for key in ("difficulty", "why", "type"):
            if draw(st.booleans()):
                case[key] = draw(safe_text)
        if draw(st.integers(0, 7)) == 0:
            case["images"] = [PNG_DATA_URI]
        cases.append(case)
    suite["cases"] = cases
    return suite


_COOKBOOK_KEYS = ("id", "type", "difficulty", "expected_verdict", "reasoning")


@st.composite
def valid_cookbooks(draw: st.DrawFn) -> dict[str, Any]:
    """A test-case file in the cookbook's format, with its prompt, that loads."""
    names = draw(st.lists(_NAME.filter(lambda n: n not in _COOKBOOK_KEYS), max_size=3,
                          unique=True))
    prompt = draw(_template(names))
    ids = draw(st.lists(safe_text.filter(bool), min_size=1, max_size=4, unique=True))
    cases = []
    for case_id in ids:
        verdict = draw(st.sampled_from(["PASS", "FAIL"]))
        case: dict[str, Any] = {"id": case_id, "type": verdict, "difficulty": draw(safe_text),
                "expected_verdict": verdict, "reasoning": draw(safe_text)}
        case.update({name: draw(plain_values) for name in names})
        cases.append(case)
    return {
        "task_type": draw(st.from_regex(r"[A-Za-z][A-Za-z0-9 _-]{0,20}", fullmatch=True)),
        "version": draw(st.sampled_from(["1.0", "2"])), "created": "2026-01-01",
        "prompt": draw(st.sampled_from([prompt, {"system": "Grade.", "user": prompt}])),
        "test_cases": cases,
    }


#: A 1x1 grey PNG.
PNG_DATA_URI = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQV"
                "R4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg==")
_BASE_URLS = st.sampled_from([
    "http://127.0.0.1:11434", "https://api.example.com/v1", "http://localhost:${PORT}/v1",
    "https://api.cloudflare.com/client/v4/accounts/${CF_ACCOUNT_ID}/ai/v1",
    "http://[::1]:8000/v1",
])
_PRINTABLE = st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=20)


@st.composite
def valid_models(draw: st.DrawFn) -> dict[str, Any]:
    """A models document that loads."""
    candidate = st.fixed_dictionaries(
        {"provider": st.sampled_from(["llamacpp", "ollama", "openai"]),
         "model": _PRINTABLE.filter(lambda m: m != "*")},
        optional={
            "id": _PRINTABLE, "base_url": _BASE_URLS,
            "api_key_env": st.from_regex(r"[A-Z_][A-Z0-9_]{0,11}", fullmatch=True),
            "headers": st.dictionaries(_WORD, _PRINTABLE, max_size=2),
            "options": st.dictionaries(_NAME, st.integers(0, 4096) | safe_text, max_size=3),
            "price": st.fixed_dictionaries({"input_per_mtok": st.floats(0, 100),
                                            "output_per_mtok": st.floats(0, 100)}),
            "size_gb": st.floats(0, 1000),
        },
    )
    return {"models": draw(st.lists(candidate, min_size=1, max_size=4))}


# ---------------------------------------------------------------- odd values

HUGE_TEXT = "A" * 100_000
_ODD_TEXT = st.sampled_from([
    "", "\x00", "a\x00b", "\ud800", "\udfff", "x\udc80y", "\ufeff", "\u202e", "\x1b[31mred",
    "{", "}", "{x", "{0}", "{__class__}", "{{", "a{b}c", "\n", "\r\n", "\t", "\u2028", "\x85",
    "\ufffe", "\U0001F600", "e\u0301", "null", "true", "yes", "~", "=", "<<", HUGE_TEXT,
    "/dev/zero", "/", "..", "missing.png", "data:,x", "data:image/png;base64,!!",
    "data:image/gif;base64,R0lGODlh", "data:image/png;base64," + "A" * 4000, "x.png\x00",
])
_ODD_NUMBERS = st.one_of(
    st.integers(),
    st.sampled_from([0, -1, 2**31, 2**63, -(2**63) - 1, 2**64, 10**299, 10**300, -(10**300)]),
    st.floats(),
    st.sampled_from([math.inf, -math.inf, math.nan, 1e308, 5e-324, -0.0]),
    st.sampled_from([Raw("1e400"), Raw("-1e400"), Raw("9" * 5000), Raw("-" + "9" * 4400),
                     Raw("1" + "0" * 310), Raw("0." + "0" * 400 + "1"), Raw("1e-400"),
                     Raw("1.0e+400")]),
)
YAML_TOKENS = [
    "!!python/object/apply:os.system ['true']", "!!python/name:os.system", "!!python/none ''",
    "!!binary aGVsbG8=", "!!binary x", "!!timestamp 2020-13-99", "!!timestamp 2024-01-01",
    "!!int abc", "!!int 0x", "!!float y", "!!float .inf", "!!bool maybe", "!!null x",
    "!!str [a]", "!!map [a]", "!!seq {a: b}", "!!set {a, b}", "!!omap [a: 1]",
    "!!pairs [a: 1]", "!foo bar", "!<tag:yaml.org,2002:int> '12'", "!<!> x", "*nope",
    "&a [*a]", "&b {k: *b}", "yes", "no", "on", "off", "~", "=", "<<", "1:30", "190:20:30",
    "0x" + "f" * 4000, "0o17", "0b101", "017", ".inf", "-.inf", ".NaN", "2024-01-01",
    "2024-01-01 10:00:00", "? [a, b]", "|\n  block", ">-\n  folded", "'single''quote'",
    '"\\ud800"', '"\\U0010ffff"', '"\\0"', '"\\x1b"', '"\\N\\_\\L\\P"', "@reserved", "`tick",
    "%", "- a", "a: b", "{a: [b, {c: d}]}", "[[[[[]]]]]", "&x 1", "*x", '"' + "\\" * 3 + '"',
]
_YAML_RAW = st.sampled_from([Raw(token) for token in YAML_TOKENS])


def _nest(depth: int, leaf: Any, as_dict: bool) -> Any:
    value = leaf
    for _ in range(depth):
        value = {"a": value} if as_dict else [value]
    return value


_DEEP_VALUES = st.builds(_nest, st.integers(60, 300), st.just(1), st.booleans())
_ODD_SCALARS = st.one_of(st.none(), st.booleans(), _ODD_NUMBERS, _ODD_TEXT,
                         st.text(st.characters(exclude_categories=()), max_size=12),
                         safe_text, _YAML_RAW)
odd_values = st.one_of(
    _ODD_SCALARS,
    st.recursive(_ODD_SCALARS, lambda inner: st.lists(inner, max_size=3)
                 | st.dictionaries(safe_text | _ODD_TEXT, inner, max_size=3), max_leaves=5),
    _DEEP_VALUES,
)


# ---------------------------------------------------------------- families

def _key_paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    paths: list[tuple[Any, ...]] = []
    stack = [(prefix, value)]
    while stack:
        path, item = stack.pop()
        if path:
            paths.append(path)
        if isinstance(item, dict):
            stack.extend(((*path, k), v) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend(((*path, i), v) for i, v in enumerate(item))
    return sorted(paths, key=repr)


def _parent(document: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        document = document[key]
    return document


@st.composite
def _wrong_types(draw: st.DrawFn, documents: st.SearchStrategy[dict[str, Any]]) -> Any:
    document: Any = copy.deepcopy(draw(documents))
    for _ in range(draw(st.integers(1, 3))):
        paths = _key_paths(document)
        if not paths or draw(st.integers(0, 19)) == 0:
            return draw(odd_values)
        path = draw(st.sampled_from(paths))
        parent = _parent(document, path)
        action = draw(st.sampled_from(["replace", "replace", "replace", "delete", "add"]))
        if action == "replace":
            parent[path[-1]] = draw(odd_values)
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(safe_text | _ODD_TEXT)] = draw(odd_values)
        else:
            parent.append(draw(odd_values))
    return document


def _serialize(draw: st.DrawFn, document: Any, family: str, stem: str) -> FuzzFile:
    fmt = draw(st.sampled_from(["yaml", "json"]))
    if fmt == "json":
        text = to_json(document, indent=draw(st.sampled_from([None, 2])))
        suffix = ".json"
    else:
        text = to_yaml(document)
        suffix = draw(st.sampled_from([".yaml", ".yml"]))
    return FuzzFile(f"{stem}-{family}{suffix}", text.encode("utf-8", "surrogatepass"), family)


_SPLICES = [b"\xef\xbb\xbf", b"\x00", b"\xff", b"\xed\xa0\x80", b"\xc3", b"\r", b"\t", b"&a ",
            b"*a", b"!!", b"[", b"{", b"]", b"}", b"---\n", b"...\n", b"%YAML 1.1\n---\n",
            b'"', b"'", b"\\", b": ", b"- ", b"\n  ", b"#", b"NaN", b"1e400", b"\xe2\x80\xae"]


@st.composite
def _damaged(draw: st.DrawFn, documents: st.SearchStrategy[dict[str, Any]],
             stem: str) -> FuzzFile:
    clean = _serialize(draw, draw(documents), "damaged", stem)
    data = bytearray(clean.content)
    how = draw(st.sampled_from(["edit", "edit", "edit", "encode"]))
    if how == "encode":
        text = clean.content.decode("utf-8", "surrogatepass")
        codec = draw(st.sampled_from(["utf-16", "utf-16-le", "utf-32", "utf-8-sig",
                                      "latin-1", "cp1252"]))
        return FuzzFile(clean.name, text.encode(codec, "replace"), "damaged")
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        operation = draw(st.sampled_from(["flip", "insert", "splice", "delete", "duplicate",
                                          "truncate"]))
        if operation == "flip" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif operation == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif operation == "splice":
            data[at:at] = draw(st.sampled_from(_SPLICES))
        elif operation == "delete":
            del data[at:at + draw(st.integers(1, 40))]
        elif operation == "duplicate":
            data[at:at] = data[at:at + draw(st.integers(1, 200))]
        elif operation == "truncate":
            del data[at:]
    return FuzzFile(clean.name, bytes(data), "damaged")


_PUNCTUATION = "[]{}:,-\"'&*!|>#%@`?\\\n \t.~<=abcxyz019"


@st.composite
def _noise(draw: st.DrawFn, stem: str) -> FuzzFile:
    suffix = draw(st.sampled_from([".yaml", ".json"]))
    if draw(st.booleans()):
        content = draw(st.binary(max_size=600))
    else:
        content = draw(st.text(_PUNCTUATION, max_size=300)).encode()
    return FuzzFile(f"{stem}-noise{suffix}", content, "noise")


@st.composite
def _deep(draw: st.DrawFn, documents: st.SearchStrategy[dict[str, Any]],
          stem: str) -> FuzzFile:
    depth = draw(st.sampled_from([64, 65, 100, 1000, 10_000, 100_000]))
    shape = draw(st.sampled_from(["brackets", "braces", "unclosed", "mixed", "dashes",
                                  "block", "inside"]))
    suffix = draw(st.sampled_from([".yaml", ".json"]))
    if shape == "brackets":
        text = "[" * depth + "]" * depth
    elif shape == "braces":
        text = '{"a": ' * depth + "1" + "}" * depth
    elif shape == "unclosed":
        text = draw(st.sampled_from(["[", "{", '{"a":', "- ["])) * depth
    elif shape == "mixed":
        text = '[{"a": ' * (depth // 2) + "1" + "}]" * (depth // 2)
    elif shape == "dashes":
        text = "- " * depth + "x\n"
    elif shape == "block":
        depth = min(depth, 400)
        text = "".join("  " * level + "a:\n" for level in range(depth)) + "  " * depth + "b\n"
    else:
        document = copy.deepcopy(draw(documents))
        path = draw(st.sampled_from(_key_paths(document)))
        _parent(document, path)[path[-1]] = Raw("[" * depth + "]" * depth)
        clean = _serialize(draw, document, "deep", stem)
        return FuzzFile(clean.name, clean.content, "deep")
    return FuzzFile(f"{stem}-deep{suffix}", text.encode(), "deep")


def _alias_bomb(levels: int, fan_out: int) -> str:
    lines = ["a0: &a0 [" + ", ".join(['"lol"'] * fan_out) + "]"]
    for level in range(1, levels):
        refs = ", ".join([f"*a{level - 1}"] * fan_out)
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


_TRICK_DOCUMENTS = st.one_of(
    st.builds(_alias_bomb, st.integers(2, 12), st.integers(2, 12)),
    st.sampled_from([
        "a: &a [*a]\n", "a: &a {b: *a}\n", "a: &x 1\nb: &x 2\n", "a: *undefined\n",
        "base: &b {x: 1}\nmerged: {<<: *b, y: 2}\n", "m: &m {<<: *m}\n", "<<: 5\n",
        "a: 1\n---\nb: 2\n", "---\n...\n", "%YAML 2.0\n---\na: 1\n", "%TAG ! !foo\n---\n!x a\n",
        "%YAML 1.1\n%YAML 1.1\n---\na: 1\n", "? [a, b]\n: c\n", "? {a: b}\n: c\n",
        "a: b\n a: c\n", "\t- a\n", "a: 'x\n", 'a: "\\q"\n', "- &a a\n- *a\n- &a b\n",
        "!!python/object:__main__.X {}\n", "!!python/object/new:os.system [true]\n",
        "task: !!binary aGVsbG8=\n", "cases: !!set {a, b}\n", "", "\n", "#", "...", "~",
    ]),
)


@st.composite
def _yaml_tricks(draw: st.DrawFn, documents: st.SearchStrategy[dict[str, Any]],
                 stem: str) -> FuzzFile:
    if draw(st.booleans()):
        text = draw(_TRICK_DOCUMENTS)
        if draw(st.booleans()):
            text = to_yaml(draw(documents)) + text
    else:
        document = copy.deepcopy(draw(documents))
        for _ in range(draw(st.integers(1, 3))):
            path = draw(st.sampled_from(_key_paths(document)))
            _parent(document, path)[path[-1]] = draw(_YAML_RAW)
        text = to_yaml(document)
    return FuzzFile(f"{stem}-yaml_tricks.yaml", text.encode("utf-8", "surrogatepass"),
                    "yaml_tricks")


@st.composite
def _serialized(draw: st.DrawFn, source: st.SearchStrategy[Any], family: str,
                stem: str) -> FuzzFile:
    return _serialize(draw, draw(source), family, stem)


def _files(documents: st.SearchStrategy[dict[str, Any]], stem: str) -> st.SearchStrategy[FuzzFile]:
    return st.one_of(
        _serialized(documents, "valid", stem),
        _serialized(_wrong_types(documents), "wrong_types", stem),
        _damaged(documents, stem),
        _noise(stem),
        _deep(documents, stem),
        _yaml_tricks(documents, stem),
    )


def suite_files() -> st.SearchStrategy[FuzzFile]:
    """Suite files of every family."""
    return _files(valid_suites() | valid_cookbooks(), "suite")


def models_files() -> st.SearchStrategy[FuzzFile]:
    """Models files of every family."""
    return _files(valid_models(), "models")
