import os
import shutil
from pathlib import Path

import pytest

from .server import ROOT, TrytondServer

ARTEFACTS = ROOT / 'artefacts'


@pytest.fixture(scope='session')
def server():
    "A running trytond with the five MES modules and the demo plant."
    with TrytondServer(demo=True) as server:
        yield server


@pytest.fixture(scope='session')
def chromium_path():
    path = shutil.which('chromium') or '/usr/bin/chromium'
    if not os.path.exists(path):
        pytest.fail("Debian chromium is missing: run `make browser`.")
    return path


@pytest.fixture
def browser(chromium_path):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path,
            args=['--no-sandbox', '--disable-gpu',
                '--disable-background-networking',
                '--disable-component-update', '--no-first-run',
                '--disable-sync', '--disable-quic'])
        yield browser
        browser.close()


@pytest.fixture
def artefacts(request):
    folder = ARTEFACTS / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    # Keep a picture of every page a failed browser test left open.
    if report.when == 'call' and report.failed and 'browser' in item.funcargs:
        folder = ARTEFACTS / item.name
        folder.mkdir(parents=True, exist_ok=True)
        for index, context in enumerate(item.funcargs['browser'].contexts):
            for number, page in enumerate(context.pages):
                page.screenshot(
                    path=folder / f'failure-{index}-{number}.png')
    return report


def pytest_configure(config):
    Path(ARTEFACTS).mkdir(exist_ok=True)
