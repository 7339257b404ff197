# This file is part of Tryton MES.  See README.md for license terms.
"""Test databases of the MES modules, built on the one of mes_production.

Every MES module depends on mes_production, and a database of Tryton's
production, stock and company modules costs most of a module's activation
(about 40 s of a 50 s one on PostgreSQL). With a cache of test databases
(DB_CACHE), a database of mes_production is built once and the other MES
modules are activated on a copy of it, as a plant would add them to its
running database.
"""
import hashlib
import os

from proteus import Model, Wizard
from proteus import config as pconfig
from trytond.tests import tools as trytond_tools
from trytond.tests.test_tryton import (
    DB_CACHE, activate_module, backup_db_cache, drop_db, restore_db_cache)

BASE = 'mes_production'


def _cached(name):
    "Whether the cache holds a database by that name (see test_tryton)."
    from trytond import backend
    if not DB_CACHE or DB_CACHE.startswith('postgresql://'):
        return False
    hash_name = hashlib.shake_128(name.encode('utf8')).hexdigest(40 // 2)
    return os.path.exists(
        os.path.join(DB_CACHE, f'{hash_name}-{backend.name}.dump'))


def _setup_name(setup):
    return '|'.join(f'{f.__module__}.{f.__qualname__}' for f in setup)


def _restart(name):
    "Go on with the cached copy, as the next scenarios will."
    # The pool that activated the modules still holds records of the one
    # before the activation.
    drop_db()
    restore_db_cache(name)
    return pconfig.set_trytond()


def _base(setup):
    "The mes_production database of the module tests, then the set-up."
    name = f'{BASE}--{_setup_name(setup)}'
    if restore_db_cache(name):
        # A new configuration: the last scenario's may have another user.
        return pconfig.set_trytond()
    drop_db()
    activate_module([BASE])
    config = pconfig.set_trytond()
    for func in setup:
        func(config=config)
    backup_db_cache(name)
    return _restart(name)


def activate_modules(modules, *setup):
    """Activate the modules on a new database for a scenario and return
    the proteus configuration, like trytond.tests.tools.activate_modules
    whose set-up functions are run on the mes_production database before
    the other modules are activated."""
    if isinstance(modules, str):
        modules = [modules]
    if not DB_CACHE:
        return trytond_tools.activate_modules(modules, *setup)
    if sorted(modules) == [BASE]:
        return _base(setup)
    name = 'on-%s:%s--%s' % (
        BASE, '-'.join(sorted(modules)), _setup_name(setup))
    if restore_db_cache(name):
        return pconfig.set_trytond()
    _base(setup)
    Module = Model.get('ir.module')
    Module.click(Module.find([('name', 'in', modules)]), 'activate')
    Wizard('ir.module.activate_upgrade').execute('upgrade')
    backup_db_cache(name)
    return _restart(name)


class OnProductionDatabase:
    """Mixin of a ModuleTestCase whose database is built on the cached one
    of mes_production."""

    @classmethod
    def setUpClass(cls):
        modules = [cls.module] + list(cls.extras or [])
        name = '-'.join(modules)
        if DB_CACHE and modules != [BASE] and not _cached(name):
            drop_db()
            activate_module([BASE])
            # The database exists: only the modules missing are activated,
            # then it is cached by its full name for setUpClass to restore.
            activate_module(modules)
            drop_db()
        super().setUpClass()
