# This file is part of Tryton MES.  See README.md for license terms.
from trytond.modules.company.tests import CompanyTestMixin
from trytond.tests.test_tryton import ModuleTestCase


class MesConnectorTestCase(CompanyTestMixin, ModuleTestCase):
    "Test mes_connector module"
    module = 'mes_connector'


del ModuleTestCase
