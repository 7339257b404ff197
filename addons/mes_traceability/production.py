# This file is part of Tryton MES.  See README.md for license terms.
from trytond.model import ModelView, Workflow
from trytond.pool import Pool, PoolMeta


class Production(metaclass=PoolMeta):
    __name__ = 'production'

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def do(cls, productions):
        pool = Pool()
        Edge = pool.get('mes.genealogy.edge')
        super().do(productions)
        Edge.record_productions(productions)
