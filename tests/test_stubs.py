"""djfast/_djfast.pyi describes the extension that was built: same names, same methods."""

from __future__ import annotations

import ast
import pathlib

from djfast import _djfast

STUB = pathlib.Path(__file__).resolve().parent.parent / "djfast" / "_djfast.pyi"


def _stub_names() -> dict[str, set[str] | None]:
    """Top-level names in the stub; for classes, the set of their member names."""
    tree = ast.parse(STUB.read_text())
    names: dict[str, set[str] | None] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names[node.name] = None
        elif isinstance(node, ast.ClassDef):
            members = set()
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    members.add(item.name)
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    members.add(item.target.id)
            names[node.name] = members
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names[node.target.id] = None
    return names


def test_every_stubbed_name_exists_in_the_extension():
    for name, members in _stub_names().items():
        assert hasattr(_djfast, name), f"_djfast.pyi declares {name}, the extension has none"
        for member in members or ():
            obj = getattr(_djfast, name)
            assert hasattr(obj, member), f"_djfast.pyi declares {name}.{member}, missing"


def test_every_public_name_of_the_extension_is_stubbed():
    stubbed = _stub_names()
    public = {n for n in dir(_djfast) if not n.startswith("__")}
    missing = sorted(public - set(stubbed))
    assert not missing, f"not in _djfast.pyi: {missing}"
