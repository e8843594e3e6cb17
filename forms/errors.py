"""Exceptions raised by forms/; the engine maps them onto its own error types."""

from __future__ import annotations


class FormInvalid(Exception):
    """Submitted data failed validation.

    `fields` maps dotted paths with zero-based row indexes (``members.1.id_number``) to Chinese
    messages, so a caller can show every problem next to its input at once.
    """

    def __init__(self, fields: dict[str, list[str]]):
        self.fields = fields
        summary = "；".join(f"{path}：{'，'.join(msgs)}" for path, msgs in fields.items())
        super().__init__(f"表单填写有误：{summary}")


class FormDefinitionError(Exception):
    """A form file is unusable; `problems` lists every problem found, one Chinese sentence each."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))
