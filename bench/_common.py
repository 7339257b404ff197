"""Shared set-up for the benchmarks: a throw-away PostgreSQL database."""
import contextlib
import os
import time

import psycopg

PG_DSN = os.environ.get(
    'BENCH_PG_DSN', 'host=127.0.0.1 port=5432 user=postgres')


@contextlib.contextmanager
def scratch_database(prefix):
    "Create a PostgreSQL database for one benchmark run and drop it after."
    name = f'{prefix}_{os.getpid()}_{int(time.time())}'
    with psycopg.connect(PG_DSN + ' dbname=postgres',
            autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(PG_DSN + f' dbname={name}') as connection:
            yield connection
    finally:
        with psycopg.connect(PG_DSN + ' dbname=postgres',
                autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


def create_company(pool, name='Bench plant'):
    "A company for a benchmark's database, created through the ORM."
    Company = pool.get('company.company')
    Party = pool.get('party.party')
    Currency = pool.get('currency.currency')
    currency, = Currency.create([{'name': 'Euro', 'code': 'EUR'}])
    party, = Party.create([{'name': name}])
    company, = Company.create([{'party': party.id, 'currency': currency.id}])
    return company
