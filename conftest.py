"""Collect Tryton's scenario doctests (tests/scenario_*.rst) with pytest.

Tryton hooks its scenarios into unittest through load_tests, which pytest
ignores; this builds the same doctest suite for each scenario file.
"""
import doctest

import pytest


def pytest_collect_file(parent, file_path):
    if (file_path.suffix == '.rst'
            and file_path.name.startswith('scenario')
            and file_path.parent.name == 'tests'):
        return ScenarioFile.from_parent(parent, path=file_path)


class ScenarioFile(pytest.File):

    def collect(self):
        yield ScenarioItem.from_parent(self, name=self.path.stem)


class ScenarioItem(pytest.Item):

    def runtest(self):
        from trytond.tests.test_tryton import (
            doctest_checker, doctest_setup, doctest_teardown)
        suite = doctest.DocFileSuite(
            str(self.path), module_relative=False,
            setUp=doctest_setup, tearDown=doctest_teardown,
            encoding='utf-8', checker=doctest_checker,
            optionflags=(doctest.ELLIPSIS | doctest.IGNORE_EXCEPTION_DETAIL
                | doctest.REPORT_ONLY_FIRST_FAILURE
                | doctest.NORMALIZE_WHITESPACE))
        result = suite.run(_Result())
        failures = result.failures + result.errors
        if failures:
            raise ScenarioFailure('\n'.join(text for _, text in failures))

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, ScenarioFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, 0, f'scenario: {self.name}'


class ScenarioFailure(Exception):
    pass


def _Result():
    import unittest
    return unittest.TestResult()
