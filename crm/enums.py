"""Small helpers for the product's enums (every app's vocabulary builds on them)."""


class Labelled:
    """For an enum whose members have a `label`: its form choices, and the label of a stored value."""

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(member.value, member.label) for member in cls]

    @classmethod
    def label_of(cls, value: str) -> str:
        """A value the enum no longer knows is shown as it is."""
        try:
            return cls(value).label
        except ValueError:
            return value
