"""Errors of the geo package: structured, bilingual, free of HTTP."""

from __future__ import annotations

from kernel.errors import DomainError, field

# Enough to fix a file in one pass without flooding a terminal.
MAX_PROBLEMS = 20


class ReferenceFileError(DomainError):
    """A reference data file is refused whole; `problems` lists (where, reason) pairs, first one first."""

    code = "reference-file-invalid"
    kind = "invalid"
    title_zh = "参考数据文件有误，未加载任何数据"
    title_en = "Reference data file is invalid; nothing was loaded"

    def __init__(self, *, file: str, problems: list[tuple[str, str]]) -> None:
        self.file = file
        self.problems = problems[:MAX_PROBLEMS]
        where, reason = self.problems[0]
        super().__init__(
            f"参考数据文件 {file} 有误（{where}）：{reason}；未加载任何数据",
            f"{file}: {where}: {reason}; nothing was loaded",
            errors=[_bilingual(w, r) for w, r in self.problems],
            file=file,
        )
        self.where = where
        self.reason = reason

    def __str__(self) -> str:
        lines = [f"{self.title_zh} / {self.title_en}: {self.file}"]
        lines += [f"  {self.file}: {w}: {r}" for w, r in self.problems]
        return "\n".join(lines)


def _bilingual(where: str, reason: str) -> dict[str, str]:
    """The loader's reasons read "中文 / English"; one without the split is shown as it is in both."""
    zh, sep, en = reason.partition(" / ")
    return field(where, zh, en) if sep else field(where, reason, reason)
