# This file is part of Tryton MES.  See README.md for license terms.
# The terminal's chart call registers with mes_production's terminal API.
from . import routes  # noqa: F401
