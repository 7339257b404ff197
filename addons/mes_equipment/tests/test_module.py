# This file is part of Tryton MES.  See README.md for license terms.
from trytond.modules.company.tests import CompanyTestMixin
from trytond.tests.test_tryton import ModuleTestCase


class MesEquipmentTestCase(CompanyTestMixin, ModuleTestCase):
    "Test mes_equipment module"
    module = 'mes_equipment'


del ModuleTestCase
