"""In Chromium: in Chinese the BPMN modeler, the DMN editor and the form editor show their own
texts (palette, context pad, table headings, properties panel) in Chinese; in English they stay
English. Every editor finishes loading, with no 4xx/5xx answer on the way."""

from __future__ import annotations

import re

import pytest

from tests.helpers.browser import sign_in

pytestmark = pytest.mark.browser

# What each editor shows on open (or once an element is selected): the English text of the
# library, and what a Chinese page must show instead.
SHOWN = {
    "bpmn": {
        "Create task": "创建任务",
        "Create gateway": "创建网关",
        "Create start event": "创建开始事件",
        "Activate hand tool": "手形工具（平移画布）",
        "Append task": "追加任务",
        "Append gateway": "追加网关",
        "Change element": "更改元素类型",
        "Delete": "删除",
        "Connect to other element": "连接到其他元素",
    },
    "dmn": {
        "Hit policy:": "命中策略：",
        "Unique": "唯一（Unique）",
        "When": "当",
        "Then": "则",
        "And": "且",
        "Annotations": "注释",
        "View DRD": "查看决策需求图",
        "Add input": "添加输入",
    },
    "drd": {"Create decision": "创建决策", "Create input data": "创建输入数据", "Open decision table": "打开决策表"},
    "form": {
        "Components": "组件",
        "Search components": "搜索组件",
        "Input": "输入",
        "Selection": "选择",
        "Text field": "文本框",
        "Checkbox": "复选框",
        "Browse": "选择文件",
        "No files selected": "未选择文件",
        "General": "常规",
        "Condition": "条件",
        "Validation": "校验",
        "Custom properties": "自定义属性",
        "Field label": "字段标签",
        "Create a Text field element": "创建文本框",
        "Remove Text field": "删除文本框",
    },
}

# Every text and title/placeholder/aria-label of a visible element under `root`.
VISIBLE_TEXTS = """(root) => {
  const out = new Set();
  const shown = e => {
    const box = e.getBoundingClientRect(), style = getComputedStyle(e);
    return box.width > 0 && box.height > 0 && style.visibility !== 'hidden';
  };
  const walker = document.createTreeWalker(document.querySelector(root), NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (n.data.trim() && n.parentElement && shown(n.parentElement)) out.add(n.data.trim());
  }
  document.querySelector(root).querySelectorAll('[title], [placeholder], [aria-label]').forEach(e => {
    if (!shown(e)) return;
    for (const name of ['title', 'placeholder', 'aria-label']) if (e.getAttribute(name)) out.add(e.getAttribute(name).trim());
  });
  return [...out];
}"""


def _check(texts: list[str], kind: str, lang: str) -> None:
    shown = set(texts)
    for english, chinese in SHOWN[kind].items():
        if lang == "zh":
            assert english not in shown, (kind, english)
            assert chinese in shown, (kind, chinese)
        else:
            assert english in shown, (kind, english)
            assert chinese not in shown, (kind, chinese)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_editors_speak_the_page_language(browser, live_server, shots, lang):
    page = browser.new_page(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    failed: list[tuple[int, str]] = []
    page.on("response", lambda r: failed.append((r.status, r.url)) if r.status >= 400 else None)
    console_errors: list[str] = []  # also what page.on("response") does not see, such as /favicon.ico
    page.on("console", lambda m: console_errors.append(m.text) if "Failed to load resource" in m.text else None)
    page_errors: list[str] = []
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    try:
        sign_in(page, live_server, "designer")
        page.click(f".lang-switch button[value={lang}]")
        page.goto(live_server + "/designer")
        modeler_url = page.get_attribute("[data-testid=process-small_works] [data-testid=edit-bpmn]", "href")
        editors = live_server + re.sub(r"/bpmn$", "", modeler_url)

        page.goto(editors + "/bpmn")
        page.wait_for_selector("#canvas[data-ready='1']")
        page.evaluate("""() => { const m = window.designerModeler;  // the context pad shows on a selected task
            m.get('selection').select(m.get('elementRegistry').get('first_visit')); }""")
        page.wait_for_selector(".djs-context-pad .entry")
        page.screenshot(path=str(shots / f"editor-bpmn-{lang}.png"))
        _check(page.evaluate(VISIBLE_TEXTS, "#canvas"), "bpmn", lang)

        page.goto(editors + "/dmn?file=enforcement_routing.dmn")
        page.wait_for_selector("#dmn[data-ready='1'] .tjs-table")
        page.screenshot(path=str(shots / f"editor-dmn-{lang}.png"))
        _check(page.evaluate(VISIBLE_TEXTS, "#dmn"), "dmn", lang)
        page.click("#dmn .view-drd-button")
        page.wait_for_selector("#dmn .djs-palette .entry")
        page.screenshot(path=str(shots / f"editor-drd-{lang}.png"))
        _check(page.evaluate(VISIBLE_TEXTS, "#dmn"), "drd", lang)

        # registration.json holds only form-js's own components, so the form-js editor opens it.
        page.goto(editors + "/form?file=forms/registration.json")
        page.wait_for_selector("#form-editor[data-ready='1'] .fjs-palette")
        assert not page.locator("#form-editor.fallback").count()
        page.locator("#form-editor .fjs-form-field-textfield").first.click()
        general = page.locator("#form-editor .bio-properties-panel-group-header").first  # 常规 / General
        if "open" not in (general.get_attribute("class") or ""):
            general.click()
        page.wait_for_selector("#form-editor #bio-properties-panel-label")
        page.screenshot(path=str(shots / f"editor-form-{lang}.png"))
        _check(page.evaluate(VISIBLE_TEXTS, "main"), "form", lang)
        # After an edit form-js renders again: its texts stay translated, the designer's own
        # label is not touched although it reads like one of them ("Name": 名称).
        label = page.locator("#form-editor .fjs-editor-selected .fjs-form-field-label").first
        before = label.inner_text()
        page.fill("#form-editor #bio-properties-panel-label", "Name")
        page.wait_for_function("([e, before]) => e.innerText !== before", arg=[label.element_handle(), before])
        assert label.inner_text().startswith("Name")
        _check(page.evaluate(VISIBLE_TEXTS, "main"), "form", lang)
    finally:
        page.close()
    assert failed == []
    assert console_errors == []
    assert page_errors == []
