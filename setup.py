"""Map every addons/<name> folder to the package trytond.modules.<name>.

Tryton resolves the classes of a module as trytond.modules.<name>.<file>,
so the addons must import under that name whatever the install mode.
"""
from pathlib import Path

from setuptools import setup

ADDONS = Path(__file__).parent / 'addons'
DATA_PATTERNS = [
    'tryton.cfg', 'CHANGELOG', '*.xml', '*.rst', '*.html', '*.js', '*.css',
    '*.svg', '*.png', '*.csv', '*.po', '*.fodt', '*.txt']


def module_packages():
    packages, package_dir, package_data, entry_points = [], {}, {}, []
    for module in sorted(ADDONS.iterdir()):
        if not (module / 'tryton.cfg').exists():
            continue
        entry_points.append(
            f'{module.name} = trytond.modules.{module.name}')
        folders = [module] + sorted(
            d for d in module.rglob('*')
            if d.is_dir() and '__pycache__' not in d.parts)
        for folder in folders:
            parts = folder.relative_to(module).parts
            name = '.'.join(['trytond', 'modules', module.name, *parts])
            packages.append(name)
            package_dir[name] = folder.relative_to(ADDONS.parent).as_posix()
            package_data[name] = DATA_PATTERNS
    return packages, package_dir, package_data, entry_points


packages, package_dir, package_data, entry_points = module_packages()
setup(
    packages=packages,
    package_dir=package_dir,
    package_data=package_data,
    include_package_data=True,
    entry_points={
        'trytond.modules': entry_points,
        'console_scripts': [
            'mes-connector = trytond.modules.mes_connector.worker:main',
            'mes-simulator = trytond.modules.mes_connector.simulator:main',
            ],
        },
    )
