# This file is part of Tryton MES.  See README.md for license terms.
