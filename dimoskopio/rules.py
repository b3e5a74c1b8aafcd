"""What the packages' business rules share."""


class Refused(Exception):
    """A change the rules do not allow; `reason` names the rule (the views word it)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
