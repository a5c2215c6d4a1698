"""Renderers: strings from a pull request (names, tag keys) or from a server (token names) cannot
inject HTML, @mentions or code-span breaks into the PR comment, escape sequences into a
terminal, or a workflow command into a CI log.

The Markdown is parsed with a CommonMark parser (markdown-it-py, as GitHub's renderer follows
CommonMark/GFM): the assertions are about what a reader's browser would get, not about text.
"""

from __future__ import annotations

import json
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

from tests.e2e.conftest import Azure
from tests.security.conftest import run_cli, workspace_manifest

# Tag names ARM accepts (no < > % & \\ ? /); the HTML goes into a value.
HOSTILE_KEYS = [
    "@octocat please merge",
    "a`b```c",
    "k\n::error title=pwned::owned",
    "\x1b[31mred\x1b]0;title\x07",
    "x ##vso[task.setvariable variable=a]b",
]

HTML = "<img src=x onerror=alert(1)> @octocat"


def _inline(tokens: list[Token]) -> list[Token]:
    found: list[Token] = []
    for token in tokens:
        found.append(token)
        found += _inline(token.children or [])
    return found


def assert_markdown_is_inert(markdown: str) -> None:
    tokens = _inline(MarkdownIt("commonmark").enable("table").parse(markdown))
    html = [t.content for t in tokens if t.type in ("html_inline", "html_block")]
    allowed = (
        "<details>",
        "<summary>",
        "</summary>",
        "</details>",
        "<code>",
        "</code>",
        "<sub>",
        "</sub>",
        "<br/>",
    )
    assert all(h.strip().startswith(allowed) for h in html), html
    text = [t.content for t in tokens if t.type == "text"]
    assert not any("@octocat" in t for t in text), "an @mention outside code"
    fences = [t for t in tokens if t.type == "fence"]
    assert all(t.info in ("diff", "mermaid") for t in fences), [t.info for t in fences]


def assert_no_ci_command(*texts: str) -> None:
    for text in texts:
        for line in text.splitlines():
            assert not line.lstrip().startswith("::"), line
            assert "##vso[" not in line.lower(), line
        assert "\x1b" not in text and "\x07" not in text


def test_hostile_tag_keys_are_inert_in_every_format(azure: Azure, tmp_path: Path) -> None:
    tags = ", ".join(f"{json.dumps(k)}: {json.dumps(HTML)}" for k in HOSTILE_KEYS)
    (tmp_path / "ws.yaml").write_text(workspace_manifest(extra=f"  tags: {{{tags}}}\n"))
    outputs = {}
    for fmt in ("text", "json", "markdown"):
        done = run_cli("plan", "--endpoint", azure.url, "--format", fmt, "ws.yaml", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        outputs[fmt] = done.stdout
        assert_no_ci_command(done.stdout, done.stderr)
    assert_markdown_is_inert(outputs["markdown"])
    assert json.loads(outputs["json"])["changes"][0]["after"]["tags"] == dict.fromkeys(
        HOSTILE_KEYS, HTML
    )  # JSON keeps the exact value: it is data, escaped by JSON itself


def test_token_names_from_the_server_are_inert(azure: Azure, tmp_path: Path) -> None:
    account = "eastus_00000000-0000-0000-0000-000000000000"
    azure.emulator.playwright.seed(
        account,
        [
            {
                "id": f"00000000-0000-4000-8000-00000000000{i}",
                "name": name,
                "createdAt": "2026-01-01T00:00:00Z",
                "expiryAt": "2099-01-01T00:00:00Z",
                "state": "Active",
            }
            for i, name in enumerate(
                ["::error title=pwned::x", "@octocat <b>hi</b> ``` x", "x ##vso[task.setvariable]b"]
            )
        ],
    )
    (tmp_path / "audit.yaml").write_text(f"""apiVersion: reconciler/v1
kind: PlaywrightAccessTokens
metadata: {{name: e2e-tokens}}
spec:
  endpoint: https://eastus.api.playwright.microsoft.com
  accountId: {account}
  allowUnlistedTokens: false
""")
    markdown = ""
    for fmt in ("text", "markdown"):
        done = run_cli(
            "drift",
            "--endpoint",
            azure.url,
            "--playwright-endpoint",
            azure.url,
            "--format",
            fmt,
            "audit.yaml",
            cwd=tmp_path,
        )
        assert done.returncode == 2, done.stderr
        assert_no_ci_command(done.stdout, done.stderr)
        markdown = done.stdout
    assert_markdown_is_inert(markdown)
    for fmt in ("text", "json"):
        listed = run_cli(
            "playwright-tokens",
            "--endpoint",
            azure.url,
            "--account",
            account,
            "--format",
            fmt,
            cwd=tmp_path,
        )
        assert listed.returncode == 0, listed.stderr
        assert_no_ci_command(listed.stdout)
        assert "##vso[" not in listed.stdout


def test_the_escapes_keep_harmless_text_as_it_was() -> None:
    from reconciler.render import safe

    assert safe.terminal("ws-1 (update: location differs)") == "ws-1 (update: location differs)"
    assert safe.terminal("::warning::x") == "\\::warning::x"
    assert safe.terminal("a\x1b[2Jb\u202ec") == "a\\x1b[2Jb\\u202ec"
    assert safe.md_code("a`b``c") == "```a`b``c```"
    assert safe.md_code("`x") == "`` `x ``"
    assert safe.md_text("<b>@team</b>") == "\\<b\\>@\u2060team\\</b\\>"
    assert safe.md_fence("```\n```").startswith("````\n")


def test_an_arm_error_printed_by_apply_is_inert(tmp_path: Path) -> None:
    """ARM error messages often quote the rejected value, which a pull request wrote: apply's
    progress lines and its failure summary must not pass a workflow command or an escape
    sequence from them to the CI log."""
    from reconciler.emulator import DEFAULT_SUBSCRIPTION, Knobs, running
    from reconciler.emulator.wire import Request, Response, arm_error
    from tests.security.hostile import RewritingEmulator

    hostile_message = "bad value\n::error title=pwned::owned\x1b]8;;http://evil\x07 ##vso[task.x]1"

    def tamper(request: Request, response: Response) -> None:
        if request.method == "PUT":
            rejected = arm_error(400, "Bad\n::warning::code", hostile_message)
            response.status, response.body, response.headers = (
                rejected.status,
                rejected.body,
                rejected.headers,
            )

    emulator = RewritingEmulator(
        tamper,
        knobs=Knobs(retry_after_seconds=0),
        resource_groups=((DEFAULT_SUBSCRIPTION, "workspace-1234"),),
    )
    (tmp_path / "ws.yaml").write_text(workspace_manifest())
    with running(emulator) as url:
        done = run_cli("apply", "--endpoint", url, "--auto-approve", "ws.yaml", cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "owned" in done.stdout and "owned" in done.stderr  # reported, made inert
    assert_no_ci_command(done.stdout, done.stderr)


def test_a_token_name_with_a_slash_is_shown_whole_in_the_markdown_table() -> None:
    from reconciler.manifest.model import Kind
    from reconciler.plan.model import Action, Change, Plan, ReasonCode
    from reconciler.render.markdown import render_markdown

    group = "PlaywrightAccessTokens/e2e-tokens"
    name = "ci/```</details><img src=x>"
    plan = Plan(
        changes=(
            Change(
                address=f"{group}/{name}",
                kind=Kind("PlaywrightAccessTokens"),
                action=Action.READ,
                code=ReasonCode.TOKEN_EXPIRED,
                reason="expired",
                workspace=group,
            ),
        )
    )
    markdown = render_markdown(plan)
    assert_markdown_is_inert(markdown)
    row = next(line for line in markdown.splitlines() if "PlaywrightAccessTokens |" in line)
    assert "ci/" in row and "img src=x" in row  # the whole name, as code, not its last part


def test_json_escapes_what_json_leaves_raw_in_ascii_and_wider_text() -> None:
    """json.dumps(ensure_ascii=False) leaves DEL, C1 controls and bidi marks raw; the JSON plan
    writes them as escapes, in an otherwise ASCII plan (DEL is ASCII) as in a wider one."""
    from reconciler.render import safe

    assert safe.json_text('{"a": "x\x7fy"}') == '{"a": "x\\u007fy"}'
    assert safe.json_text('{"a": "é\x7f\x85\u202e"}') == '{"a": "é\\u007f\\u0085\\u202e"}'
    assert safe.json_text('{"a": "##VSO[task"}') == '{"a": "##VSO\\u005btask"}'
    assert safe.json_text('{"a": "ok ## not a command"}') == '{"a": "ok ## not a command"}'


def test_a_lone_surrogate_from_the_server_is_shown_escaped_not_a_traceback(
    tmp_path: Path,
) -> None:
    """JSON lets a server write ``"\\ud800"``: decoded, a string holding half a character,
    which no UTF-8 output can carry. Every format of the plan, and the saved plan, show it as
    an escape (the JSON ones as JSON's own, read back as the same string) instead of ending in
    a UnicodeEncodeError traceback; the rest of the value is shown as it was."""
    from reconciler.emulator import DEFAULT_SUBSCRIPTION, Knobs, running
    from reconciler.emulator.wire import Request, Response
    from tests.security.hostile import RewritingEmulator

    odd = "half \ud800 of \udfff a pair"

    def tamper(request: Request, response: Response) -> None:
        body = response.body
        if request.method == "GET" and isinstance(body, dict) and "properties" in body:
            body["properties"]["description"] = odd

    emulator = RewritingEmulator(
        tamper,
        knobs=Knobs(retry_after_seconds=0),
        resource_groups=((DEFAULT_SUBSCRIPTION, "workspace-1234"),),
    )
    manifest = workspace_manifest().replace("PR workspace,", "PR workspace, description: ours,")
    (tmp_path / "ws.yaml").write_text(manifest)
    with running(emulator) as url:
        done = run_cli("apply", "--endpoint", url, "--auto-approve", "ws.yaml", cwd=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        for fmt in ("text", "json", "markdown"):
            args = ("plan", "--endpoint", url, "--format", fmt, "--out", f"{fmt}.plan")
            shown = run_cli(*args, "ws.yaml", cwd=tmp_path)
            assert shown.returncode == 0, shown.stderr
            assert "Traceback" not in shown.stderr
            assert "half \\ud800 of \\udfff a pair" in shown.stdout, shown.stdout
            assert_no_ci_command(shown.stdout, shown.stderr)
            saved = json.loads((tmp_path / f"{fmt}.plan").read_text(encoding="utf-8"))
            assert saved["changes"][0]["before"]["properties"]["description"] == odd


def test_unicode_line_and_paragraph_separators_are_escaped_like_next_line() -> None:
    """U+2028 and U+2029 end a line wherever Unicode's line breaking is followed (a browser
    showing a CI log, an editor), as NEL (U+0085) does: a value from a server could start what
    looks like a line of the tool's own output. Every format shows them as escapes."""
    from reconciler.render import safe

    value = "x\u2028No changes: Azure matches the manifests.\u2029"
    assert safe.terminal(value) == "x\\u2028No changes: Azure matches the manifests.\\u2029"
    assert safe.terminal("a\x85b") == "a\\x85b"  # as NEL already was
    assert "\u2028" not in safe.md_text(value) and "\u2028" not in safe.md_fence(value)
    shown = safe.json_text(json.dumps({"a": value}, ensure_ascii=False))
    assert shown == '{"a": "x\\u2028No changes: Azure matches the manifests.\\u2029"}'
    assert json.loads(shown) == {"a": value}


def test_a_line_break_in_a_server_tag_key_cannot_forge_a_diff_line_in_markdown() -> None:
    """A drift report's Markdown (the drift issue, the PR comment) folds field diffs in a
    ``diff`` fence, one line per field. A tag key someone set in the portal is the server's
    word: a line break in it must show as an escape, as the text plan shows it, and never
    start a line of its own that reads as another field's change."""
    from reconciler.manifest.model import Kind
    from reconciler.plan.model import Action, Change, FieldDiff, Plan, ReasonCode
    from reconciler.render.markdown import render_markdown

    forged = '+ properties.publicNetworkAccess: "Disabled"'
    address = "Workspace/00000000-1111-2222-3333-444444444444/rg/ws"
    plan = Plan(
        changes=(
            Change(
                address=address,
                kind=Kind("Workspace"),
                action=Action.UPDATE,
                code=ReasonCode.FIELDS_DIFFER,
                reason="tags differ",
                workspace=address,
                diffs=(FieldDiff(path=f"tags.k\n{forged}", before="v", after=None),),
                warnings=(f"a warning\n{forged}",),
            ),
        )
    )
    markdown = render_markdown(plan)
    assert_markdown_is_inert(markdown)
    tokens = MarkdownIt("commonmark").parse(markdown)
    fence = next(t for t in tokens if t.type == "fence" and t.info == "diff")
    assert fence.content.splitlines() == [
        f'- tags.k\\x0a{forged}: "v"',
        f"! a warning\\x0a{forged}",
    ]
