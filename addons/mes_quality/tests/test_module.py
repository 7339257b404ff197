# This file is part of Tryton MES.  See README.md for license terms.
from trytond.modules.company.tests import CompanyTestMixin
from trytond.tests.test_tryton import ModuleTestCase


class MesQualityTestCase(CompanyTestMixin, ModuleTestCase):
    "Test mes_quality module"
    module = 'mes_quality'
    extras = ['mes_equipment']


del ModuleTestCase
