# This file is part of Tryton MES.  See README.md for license terms.
from trytond.modules.company.tests import CompanyTestMixin
from trytond.tests.test_tryton import ModuleTestCase


class MesProductionTestCase(CompanyTestMixin, ModuleTestCase):
    "Test MES Production module"
    module = 'mes_production'


del ModuleTestCase
