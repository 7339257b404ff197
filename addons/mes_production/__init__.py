# This file is part of Tryton MES.  See README.md for license terms.
# The terminal's web routes register on trytond's WSGI app at import.
from . import routes  # noqa: F401
