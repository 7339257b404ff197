# This file is part of Tryton MES.  See README.md for license terms.
from trytond.pool import PoolMeta
from trytond.rpc import RPC

from . import labels
from .lot import check_label_size


class Work(metaclass=PoolMeta):
    __name__ = 'production.work'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__rpc__.update({
                'label': RPC(),
                })

    def label_lines(self):
        "The text of the work's work-order label, under its title."
        production = self.production
        return [
            self.operation.rec_name if self.operation else '',
            production.product.rec_name if production.product else '',
            f'{production.quantity or 0:g} '
            f'{production.unit.symbol if production.unit else ""}',
            ]

    def label_image(self, size):
        return labels.label_image(
            labels.work_payload(self.id), self.production.rec_name,
            self.label_lines(), size=size)

    @classmethod
    def label(cls, work_ids, size='50x25'):
        "PNG work-order labels with a QR code the terminal opens (RPC)."
        check_label_size(size)
        return {work.id: labels.label_png(
                    labels.work_payload(work.id), work.production.rec_name,
                    *work.label_lines(), size=size)
            for work in cls.browse(work_ids)}
