"""A secret string (a Chatwoot token, the bridge token) that never prints itself.

Kept apart from the sealing code so modules that only carry secrets (the live read)
do not load cryptography.
"""

from __future__ import annotations

from cwdash.store import redact


class Secret:
    """A plaintext token that never prints itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        redact.register(value)  # from here on, the log file blanks it wherever it appears

    def reveal(self) -> str:
        """The plaintext: call only where the user asked to see or copy it."""
        return self._value

    def __len__(self) -> int:
        return len(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret is not picklable")
