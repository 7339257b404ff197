# This file is part of Tryton MES.  See README.md for license terms.
from trytond.modules.company.tests import CompanyTestMixin
from trytond.modules.mes_production.tests.database import (
    OnProductionDatabase)
from trytond.tests.test_tryton import ModuleTestCase


class MesQualityTestCase(
        OnProductionDatabase, CompanyTestMixin, ModuleTestCase):
    "Test mes_quality module"
    module = 'mes_quality'
    extras = ['mes_equipment']


del ModuleTestCase
