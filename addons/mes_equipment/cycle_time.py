# This file is part of Tryton MES.  See README.md for license terms.
from trytond.model import ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool
from trytond.transaction import Transaction


class CycleTime(ModelSQL, ModelView):
    "The ideal cycle time of a machine for a product and/or an operation."
    __name__ = 'mes.equipment.cycle_time'
    __string__ = "Ideal Cycle Time"
    equipment = fields.Many2One(
        'mes.equipment', "Machine", required=True, ondelete='CASCADE')
    product = fields.Many2One(
        'product.product', "Product", ondelete='CASCADE',
        help="Empty applies to every product of the operation.")
    operation = fields.Many2One(
        'production.routing.operation', "Operation", ondelete='CASCADE',
        help="Empty applies to every operation on the product.")
    ideal_cycle_time = fields.Float(
        "Ideal Cycle Time", digits=(16, 3), required=True,
        domain=[('ideal_cycle_time', '>', 0)],
        help="Seconds per unit.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('equipment_product_operation_unique',
                Unique(t, t.equipment, t.product, t.operation),
                'mes_equipment.msg_cycle_time_unique'),
            ]

    @classmethod
    def ideal_times(cls, equipment_ids):
        """Return a function (equipment id, product id, operation id) →
        seconds per unit: the most specific cycle time of the machine
        (product and operation, then operation, then product), else the
        machine's own."""
        pool = Pool()
        Equipment = pool.get('mes.equipment')
        table = cls.__table__()
        equipment = Equipment.__table__()
        cursor = Transaction().connection.cursor()
        ids = list(equipment_ids)
        defaults = {}
        if ids:
            cursor.execute(*equipment.select(
                    equipment.id, equipment.ideal_cycle_time,
                    where=equipment.id.in_(ids)))
            defaults = {i: t or 0 for i, t in cursor}
        specific = {}
        if ids:
            cursor.execute(*table.select(
                    table.equipment, table.product, table.operation,
                    table.ideal_cycle_time,
                    where=table.equipment.in_(ids)))
            specific = {(e, p, o): t for e, p, o, t in cursor}

        def ideal_time(equipment_id, product_id, operation_id):
            keys = []
            if product_id and operation_id:
                keys.append((equipment_id, product_id, operation_id))
            if operation_id:
                keys.append((equipment_id, None, operation_id))
            if product_id:
                keys.append((equipment_id, product_id, None))
            for key in keys:
                if key in specific:
                    return specific[key]
            return defaults.get(equipment_id, 0)
        return ideal_time
