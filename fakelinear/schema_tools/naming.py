"""graphql-codegen's type naming, so declaration names can be mapped back to GraphQL names.

The codegen ``typescript`` plugin names every type ``pascalCase(name)`` (change-case, with
underscores kept): ``IDComparator`` is declared as ``IdComparator``, and the arguments of
``Mutation.attachmentLinkURL`` as ``MutationAttachmentLinkUrlArgs``. Object types keep their
real name in ``__typename``; for the others the real name must come from elsewhere (see
:func:`fakelinear.schema_tools.dts.parse_declarations`, ``known_names``).
"""

from __future__ import annotations

import re

__all__ = ["args_type_name", "pascal_case"]

# change-case's noCase: split lower|digit→Upper and Upper→Upper+lower, strip non-alphanumerics.
_SPLIT = (re.compile(r"([a-z0-9])([A-Z])"), re.compile(r"([A-Z])([A-Z][a-z])"))
_STRIP = re.compile(r"[^A-Za-z0-9]+")


def _pascal_part(text: str) -> str:
    for rx in _SPLIT:
        text = rx.sub("\\1\0\\2", text)
    text = _STRIP.sub("\0", text).strip("\0")
    out = []
    for index, word in enumerate(w for w in text.split("\0") if w):
        first, rest = word[0], word[1:].lower()
        out.append(f"_{first}{rest}" if index > 0 and first.isdigit() else first.upper() + rest)
    return "".join(out)


def pascal_case(name: str) -> str:
    """The name graphql-codegen gives a GraphQL type in TypeScript (underscores kept)."""
    return "_".join(_pascal_part(part) for part in name.split("_"))


def args_type_name(owner: str, field: str) -> str:
    """The declaration name of the arguments type of ``owner.field``."""
    return pascal_case(owner + pascal_case(field) + "Args")
