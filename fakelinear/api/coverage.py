"""What the fake does with each root field of the schema it serves, as a Markdown page.

    python -m fakelinear.api.coverage > docs/coverage.md

A test keeps ``docs/coverage.md`` equal to this output, so the page always tells the truth
about the schema fakelinear ships.
"""

from __future__ import annotations

from collections import defaultdict

from fakelinear.api.executor import SchemaBundle, schema_bundle
from fakelinear.api.fields import Binder
from fakelinear.api.special import FIELD_OVERRIDES, root_overrides
from fakelinear.model.rules import RULES


def render(bundle: SchemaBundle) -> str:
    """The coverage page for ``bundle``."""
    catalog = bundle.catalog
    special = root_overrides(bundle.schema, _binder(bundle), bundle.operations)
    by_kind: dict[str, set[str]] = defaultdict(set)
    for op in list(bundle.queries.values()) + list(bundle.operations.values()):
        if op.kind and op.action != "other":
            by_kind[op.kind].add(op.action)
    lines = [
        "# What fakelinear does with Linear's schema",
        "",
        f"Generated from the schema fakelinear serves (@linear/sdk {bundle.source.sdk_version or 'custom'})"
        " by `python -m fakelinear.api.coverage`; a test keeps it current.",
        "",
        "## Stateful kinds",
        "",
        "Created, read, listed (Relay pagination, `filter`, `orderBy`, `includeArchived`), updated and",
        "deleted through one generic store. *Rules* marks kinds with hand-written Linear semantics on top.",
        "",
        "| kind | operations | delete | rules |",
        "|---|---|---|---|",
    ]
    order = ("create", "get", "list", "update", "archive", "unarchive", "delete")
    for kind in sorted(by_kind):
        if kind not in catalog.kinds:
            continue
        actions = ", ".join(a for a in order if a in by_kind[kind])
        spec = catalog.kinds[kind]
        rules = RULES.get(kind)
        mode = (rules.delete_mode if rules and rules.delete_mode else spec.delete_mode)
        lines.append(f"| {kind} | {actions} | {mode} | {'yes' if rules else ''} |")
    lines += ["", "## Hand-written operations", ""]
    hand = sorted(set(special["Query"]) | set(special["Mutation"]))
    lines.append(", ".join(f"`{name}`" for name in hand) + ".")
    computed = sorted(f"`{t}.{f}`" for t, fields in FIELD_OVERRIDES.items() for f in fields)
    lines += ["", "Computed fields: " + ", ".join(computed) + ".", ""]
    defaults = sorted(n for n, op in bundle.queries.items()
                      if op.action == "other" and n not in special["Query"])
    lines += [
        "## Queries answered with schema-valid defaults",
        "",
        "These return `null` where the schema allows it, otherwise empty lists and objects whose fields",
        "take the documented defaults (see README, *Defaults*):",
        "",
        ", ".join(f"`{n}`" for n in defaults) + ".",
        "",
    ]
    unsupported = sorted(n for n, op in bundle.operations.items()
                         if n not in special["Mutation"]
                         and not (op.action in ("update", "delete", "archive", "unarchive")
                                  or (op.action == "create" and op.kind in catalog.kinds
                                      and "input" in bundle.schema.mutation_type.fields[n].args)))  # type: ignore[union-attr]
    lines += [
        "## Mutations answered \"not supported by fakelinear\"",
        "",
        "Each answers `<name> is not supported by fakelinear` with extensions `type: \"not supported\"`,",
        "`code: \"NOT_SUPPORTED\"`, `statusCode: 400` (HTTP 200, `data: null`):",
        "",
        ", ".join(f"`{n}`" for n in unsupported) + ".",
        "",
    ]
    return "\n".join(lines)


def _binder(bundle: SchemaBundle) -> Binder:
    return Binder(bundle.schema, bundle.catalog, bundle.evaluator)


if __name__ == "__main__":
    print(render(schema_bundle()), end="")
