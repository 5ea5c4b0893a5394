"""graphql-codegen's pascal-case naming, as change-case does it."""

from __future__ import annotations

import pytest

from fakelinear.schema_tools.naming import args_type_name, pascal_case


@pytest.mark.parametrize(
    ("name", "declared"),
    [
        ("Issue", "Issue"),
        ("IDComparator", "IdComparator"),
        ("IssueIDComparator", "IssueIdComparator"),
        ("SLADayCountType", "SlaDayCountType"),
        ("OAuth2Client", "OAuth2Client"),
        ("JSONObject", "JsonObject"),
        ("ABCDef", "AbcDef"),
        ("Foo_bar", "Foo_Bar"),  # underscores are kept, each part converted
        ("Version2Beta", "Version2Beta"),
    ],
)
def test_pascal_case_matches_codegen(name: str, declared: str) -> None:
    assert pascal_case(name) == declared


def test_args_type_names_follow_the_field() -> None:
    assert args_type_name("Issue", "children") == "IssueChildrenArgs"
    assert args_type_name("Mutation", "attachmentLinkGitHubPR") == "MutationAttachmentLinkGitHubPrArgs"
    assert args_type_name("Query", "attachmentsForURL") == "QueryAttachmentsForUrlArgs"
    assert args_type_name("Query", "issueImportCheckCSV") == "QueryIssueImportCheckCsvArgs"
