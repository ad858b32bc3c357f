"""A reader for the protobuf text format subset that Triton's ``config.pbtxt`` files use (scalars, enums,
strings, nested messages, repeated fields as ``[...]`` lists or repeated keys), so that tests can check a config
against its ONNX graph without protobuf's generated classes."""

from __future__ import annotations

import re

_SKIP = re.compile(r"(?:\s+|#[^\n]*)*")
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[A-Za-z_][A-Za-z0-9_.]*|-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|[{}\[\]:,;<>]')


def _tokens(text: str) -> list[str]:
    out, pos = [], 0
    while True:
        pos = _SKIP.match(text, pos).end()
        if pos >= len(text):
            return out
        m = _TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"pbtxt: cannot parse near {text[pos:pos + 30]!r}")
        out.append(m.group())
        pos = m.end()


def parse_pbtxt(text: str) -> dict:
    """Parse protobuf text format into a dict; every field maps to a list of values."""
    toks = _tokens(text)
    i = 0

    def scalar(t):
        if t.startswith('"'):
            return bytes(t[1:-1], "utf-8").decode("unicode_escape")
        if re.fullmatch(r"-?\d+", t):
            return int(t)
        if re.fullmatch(r"-?\d+\.\d*(?:[eE][-+]?\d+)?|-?\d+[eE][-+]?\d+", t):
            return float(t)
        return t  # enum / identifier (true/false kept as text)

    def value():
        nonlocal i
        t = toks[i]
        if t in ("{", "<"):
            close = "}" if t == "{" else ">"
            i += 1
            return message(close)
        i += 1
        return scalar(t)

    def field_values():
        """The values after a field name and its optional colon: a ``[...]`` list, or one value."""
        nonlocal i
        if toks[i] != "[":
            return [value()]
        i += 1
        items = []
        while toks[i] != "]":
            items.append(value())
            if toks[i] == ",":
                i += 1
        i += 1
        return items

    def message(close):
        nonlocal i
        msg: dict = {}
        while i < len(toks) and toks[i] != close:
            key = toks[i]
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", key):
                raise ValueError(f"pbtxt: expected a field name, got {key!r}")
            i += 1
            if toks[i] == ":":
                i += 1
            msg.setdefault(key, []).extend(field_values())
            if i < len(toks) and toks[i] in (",", ";"):
                i += 1
        if close is not None:
            if i >= len(toks):
                raise ValueError("pbtxt: unbalanced braces")
            i += 1
        return msg

    result = message(None)
    if i != len(toks):
        raise ValueError("pbtxt: trailing tokens")
    return result
