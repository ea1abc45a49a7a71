"""The desktop app: everything that imports PySide6 lives in this package and nowhere else.

PySide6 hooks every import that follows its own to learn whether the new module uses it (for
its opt-in `__feature__` switches, which we never use): it asks `inspect.getsource`, which
tokenizes the module's whole source and keeps every line in `linecache` for the life of the
process. For the hundreds of modules the app imports after Qt (pydantic, httpx, ours) that was
about 80 ms of start-up and 8 MB of memory. The same question, "does the source say PySide6?",
is answered here from the file's bytes, which are not kept.
"""

from __future__ import annotations

import sys
from types import ModuleType

import PySide6.QtCore  # noqa: F401  # loads shiboken's support modules, the hook among them


def _uses_pyside(module: ModuleType, original: object) -> bool:
    path = getattr(module, "__file__", None)
    if isinstance(path, str) and path.endswith(".py"):
        try:
            with open(path, "rb") as source:
                return b"PySide6" in source.read()
        except OSError:
            pass
    return bool(original(module))  # type: ignore[operator]


def _lighter_feature_hook() -> None:
    feature = sys.modules.get("shibokensupport.feature")
    original = getattr(feature, "_mod_uses_pyside", None)
    if feature is None or original is None or getattr(original, "balance_desk", False):
        return

    def uses_pyside(module: ModuleType) -> bool:
        return _uses_pyside(module, original)

    uses_pyside.balance_desk = True  # type: ignore[attr-defined]
    feature._mod_uses_pyside = uses_pyside  # type: ignore[attr-defined]


_lighter_feature_hook()
