"""The node test harness: skip or fail without node, run scripts against installed packages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.npm import REQUIRE_ENV, NodePackages, NodeScriptError, node_packages


def test_without_node_tests_skip_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv(REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="node is not installed"):
        node_packages("@linear/sdk@98.0.0", cache_dir=tmp_path / "cache")


def test_without_node_ci_fails_instead(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv(REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match=f"{REQUIRE_ENV}=1 but node is not installed"):
        node_packages("@linear/sdk@98.0.0", cache_dir=tmp_path / "cache")


def test_without_npm_tests_skip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    node = tmp_path / "node"
    node.write_text("#!/bin/sh\n")
    node.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv(REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="npm is not installed"):
        node_packages("@linear/sdk@98.0.0", cache_dir=tmp_path / "cache")


@pytest.fixture(scope="module")
def sdk(node_packages: Callable[..., NodePackages]) -> NodePackages:
    return node_packages("@linear/sdk@98.0.0")


def test_a_node_script_imports_the_installed_sdk_and_returns_json(sdk: NodePackages) -> None:
    script = """
    import { LinearClient, LinearErrorType } from "@linear/sdk";
    const client = new LinearClient({ apiKey: process.env.KEY, apiUrl: process.argv[2] });
    console.log(JSON.stringify({
      issue: typeof client.issue,
      createIssue: typeof client.createIssue,
      errorTypes: Object.keys(LinearErrorType).length > 5,
      key: process.env.KEY.slice(-3),
    }));
    """
    out = sdk.run(script, args=["http://127.0.0.1:9/graphql"], env={"KEY": "lin_api_abc"})
    assert out == {"issue": "function", "createIssue": "function", "errorTypes": True, "key": "abc"}
    assert list((sdk.directory / ".scripts").iterdir()) == []
    # The same set is installed once per checkout: asking again returns the same object.
    assert node_packages("@linear/sdk@98.0.0") is sdk


def test_script_failures_and_non_json_output_are_assertion_errors(
    sdk: NodePackages, tmp_path: Path
) -> None:
    with pytest.raises(NodeScriptError, match="(?s)node exited with 1.*boom"):
        sdk.run('throw new Error("boom");')
    script = tmp_path / "hello.mjs"
    script.write_text('console.log("hello");\n')
    with pytest.raises(NodeScriptError, match="(?s)printed no JSON.*hello"):
        sdk.run(script)
