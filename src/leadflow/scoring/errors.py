"""Errors of the scoring core: pure, with the words a user needs (the app maps them to 422)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class ModelError:
    """One problem in a scoring model, located by its path in the model's dict shape."""

    path: str
    message: str
    hint: str | None = None
    line: int | None = None
    column: int | None = None

    def as_dict(self) -> dict[str, object]:
        """The error as plain data (for JSON responses)."""
        out: dict[str, object] = {"path": self.path, "message": self.message}
        for name in ("hint", "line", "column"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        return out


class ModelInvalid(ValueError):
    """A scoring model that does not validate; carries every problem found."""

    def __init__(self, errors: list[ModelError]) -> None:
        self.errors = list(errors)
        super().__init__(self._summary())

    def _summary(self) -> str:
        lines = [f"{e.path}: {e.message}" if e.path else e.message for e in self.errors]
        return "invalid scoring model: " + "; ".join(lines)


class SchemaInvalid(ValueError):
    """A bad custom field or custom interaction type declaration."""


class TextFormError(ValueError):
    """A syntax error in the text form of a model, with its position and a hint."""

    def __init__(
        self, message: str, *, line: int, column: int, hint: str | None = None, context: str = ""
    ) -> None:
        self.message = message
        self.line = line
        self.column = column
        self.hint = hint
        self.context = context
        text = f"line {line}, column {column}: {message}"
        if hint:
            text += f" (hint: {hint})"
        super().__init__(text)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A ' did you mean `x`?' suffix naming the closest choice, or ''."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in choices}
        close = [lowered[word.lower()]] if word.lower() in lowered else []
    return f"; did you mean `{close[0]}`?" if close else ""
