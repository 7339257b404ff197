# This file is part of Tryton MES.  See README.md for license terms.
from trytond.modules.company.tests import CompanyTestMixin
from trytond.modules.mes_production.tests.database import (
    OnProductionDatabase)
from trytond.tests.test_tryton import ModuleTestCase


class MesConnectorTestCase(
        OnProductionDatabase, CompanyTestMixin, ModuleTestCase):
    "Test mes_connector module"
    module = 'mes_connector'


del ModuleTestCase
