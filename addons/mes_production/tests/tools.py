# This file is part of Tryton MES.  See README.md for license terms.
"""Build a small plant through proteus, for scenarios and the demo."""
import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

from proteus import Model


def create_plant(config=None, component_stock=100, prefix=''):
    """Create a plant with two work centers, a product with a BOM and a
    two-operation routing, component lots in stock and an operator.

    Return a namespace of the created records.
    """
    Category = Model.get('production.work.center.category', config=config)
    WorkCenter = Model.get('production.work.center', config=config)
    Uom = Model.get('product.uom', config=config)
    Template = Model.get('product.template', config=config)
    BOM = Model.get('production.bom', config=config)
    Operation = Model.get('production.routing.operation', config=config)
    Routing = Model.get('production.routing', config=config)
    ProductBom = Model.get('product.product-production.bom', config=config)
    Location = Model.get('stock.location', config=config)
    Lot = Model.get('stock.lot', config=config)
    Inventory = Model.get('stock.inventory', config=config)
    Party = Model.get('party.party', config=config)
    Employee = Model.get('company.employee', config=config)

    unit, = Uom.find([('name', '=', 'Unit')])
    warehouse, = Location.find([('code', '=', 'WH')])
    storage, = Location.find([('code', '=', 'STO')])

    machining = Category(name=f'{prefix}Machining')
    machining.save()
    assembly = Category(name=f'{prefix}Assembly')
    assembly.save()
    plant = WorkCenter(name=f'{prefix}Plant')
    plant.save()
    lathe = WorkCenter(
        name=f'{prefix}Lathe 1', parent=plant, category=machining,
        cost_method='hour', cost_price=Decimal('60'))
    lathe.save()
    bench = WorkCenter(
        name=f'{prefix}Assembly Bench 1', parent=plant, category=assembly,
        cost_method='hour', cost_price=Decimal('40'))
    bench.save()

    def goods(name, cost, producible=False):
        template = Template(
            name=name, default_uom=unit, type='goods',
            producible=producible, list_price=Decimal(cost * 2))
        template.lot_required = ['storage', 'production']
        product, = template.products
        product.cost_price = Decimal(cost)
        template.save()
        product, = template.products
        return product

    pump = goods(f'{prefix}Pump P-100', 120, producible=True)
    housing = goods(f'{prefix}Pump Housing', 30)
    shaft = goods(f'{prefix}Drive Shaft', 12)

    bom = BOM(name=f'{prefix}Pump P-100')
    bom.inputs.new(product=housing, quantity=1)
    bom.inputs.new(product=shaft, quantity=1)
    bom.outputs.new(product=pump, quantity=1)
    bom.save()

    turning = Operation(
        name=f'{prefix}Turn shaft', work_center_category=machining)
    turning.save()
    assembling = Operation(
        name=f'{prefix}Assemble pump', work_center_category=assembly)
    assembling.save()
    routing = Routing(name=f'{prefix}Pump P-100')
    routing.boms.append(bom)
    routing.steps.new(operation=turning)
    routing.steps.new(operation=assembling)
    routing.save()
    pump.boms.append(ProductBom(bom=bom, routing=routing))
    pump.save()

    lots = {}
    inventory = Inventory(location=storage)
    for product, number in [(housing, 'H-0001'), (shaft, 'S-0001')]:
        lot = Lot(number=f'{prefix}{number}', product=product)
        lot.save()
        lots[product.id] = lot
        inventory.lines.new(
            product=product, lot=lot, quantity=component_stock)
    inventory.click('confirm')

    operator_party = Party(name=f'{prefix}Olga Operator')
    operator_party.save()
    operator = Employee(party=operator_party)
    operator.save()

    return SimpleNamespace(
        unit=unit, warehouse=warehouse, storage=storage,
        machining=machining, assembly=assembly, plant=plant, lathe=lathe,
        bench=bench, pump=pump, housing=housing, shaft=shaft, bom=bom,
        turning=turning, assembling=assembling, routing=routing,
        housing_lot=lots[housing.id], shaft_lot=lots[shaft.id],
        operator=operator, today=dt.date.today())


def create_production(plant, quantity=10, config=None):
    "Create a production of pumps for the plant, in state waiting."
    Production = Model.get('production', config=config)
    production = Production(
        product=plant.pump, bom=plant.bom, routing=plant.routing,
        work_center=plant.plant, quantity=quantity)
    production.click('wait')
    return production
