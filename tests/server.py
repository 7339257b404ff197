"""Run a real trytond for end-to-end tests, on SQLite or PostgreSQL.

The backend follows TRYTOND_DATABASE__URI (or TRYTOND_DATABASE_URI), like
`make test-postgresql` sets it; SQLite files go to a temporary folder.
"""
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MES_MODULES = [
    'mes_production', 'mes_equipment', 'mes_quality', 'mes_traceability',
    'mes_connector']
ADMIN_PASSWORD = 'admin-e2e'


def database_uri():
    return (os.environ.get('TRYTOND_DATABASE__URI')
        or os.environ.get('TRYTOND_DATABASE_URI') or 'sqlite://')


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class TrytondServer:
    "A database with the MES modules and a trytond serving it and sao."

    def __init__(self, modules=MES_MODULES, demo=False):
        self.modules = list(modules)
        self.demo = demo
        self.tmp = tempfile.TemporaryDirectory(prefix='mes-e2e-')
        self.uri = database_uri()
        self.database = f'mes_e2e_{os.getpid()}_{int(time.time())}'
        self.port = free_port()
        self.url = f'http://127.0.0.1:{self.port}'
        self.process = None

    @property
    def env(self):
        env = dict(os.environ)
        env.pop('TRYTOND_DATABASE_URI', None)
        env.update({
                'TRYTOND_CONFIG': str(self.config_file),
                'TRYTOND_DATABASE__URI': self.uri,
                })
        return env

    def _write_config(self):
        self.config_file = Path(self.tmp.name, 'trytond.conf')
        self.config_file.write_text(
            '[database]\n'
            f'path = {self.tmp.name}\n'
            '[web]\n'
            f'listen = 127.0.0.1:{self.port}\n'
            f'root = {ROOT / "var" / "sao" / "package"}\n'
            '[session]\n'
            'max_attempt = 100\n')

    def _create_database(self):
        if self.uri.startswith('postgresql'):
            subprocess.run(
                ['createdb', '-h', '127.0.0.1', '-U', 'postgres',
                    self.database], check=True)
        else:
            Path(self.tmp.name, f'{self.database}.sqlite').touch()
        passfile = Path(self.tmp.name, 'pass')
        passfile.write_text(ADMIN_PASSWORD)
        env = self.env | {'TRYTONPASSFILE': str(passfile)}
        subprocess.run(
            [BIN / 'trytond-admin', '-d', self.database,
                '--email', 'admin@example.com',
                '-u', *self.modules, '--activate-dependencies'],
            env=env, check=True, capture_output=True)
        if self.demo:
            subprocess.run(
                [BIN / 'python', ROOT / 'demo' / 'load_demo.py',
                    '-d', self.database, '-c', self.config_file],
                env=env, check=True, capture_output=True)

    def create_database(self):
        "Create the database with the modules, without serving it."
        self._write_config()
        self._create_database()
        return self

    def start(self):
        self.create_database()
        self.log = open(Path(self.tmp.name, 'trytond.log'), 'w')
        self.process = subprocess.Popen(
            [BIN / 'trytond', '-d', self.database],
            env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(self.read_log())
            with contextlib.suppress(OSError):
                urllib.request.urlopen(self.url + '/', timeout=2).close()
                return self
            time.sleep(0.2)
        raise RuntimeError('trytond did not start:\n' + self.read_log())

    def read_log(self):
        return Path(self.tmp.name, 'trytond.log').read_text()

    def stop(self):
        if self.process:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.log.close()
        if self.uri.startswith('postgresql'):
            subprocess.run(
                ['dropdb', '--if-exists', '-h', '127.0.0.1', '-U', 'postgres',
                    self.database], check=False, capture_output=True)
        self.tmp.cleanup()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
