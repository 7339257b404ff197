# This file is part of Tryton MES.  See README.md for license terms.
"""Lot labels with a QR code, without the ORM.

The QR code encodes "MES:LOT:<lot number>", which the terminal's scan field
accepts like the bare lot number.
"""
import io

import qrcode
from PIL import Image, ImageDraw, ImageFont

PREFIX = 'MES:LOT:'
# Common label stock, width × height in millimetres.
SIZES = {
    '50x25': (50, 25),
    '62x29': (62, 29),
    '100x50': (100, 50),
    '100x150': (100, 150),
    }


def payload(lot_number: str) -> str:
    return PREFIX + lot_number


def label_png(lot_number: str, product: str, size: str = '50x25',
        dpi: int = 300) -> bytes:
    """A PNG label of the given size: the QR code on the left, the lot
    number and the product on the right, black on white for thermal
    printers."""
    if size not in SIZES:
        raise ValueError(f"unknown label size {size!r}: {sorted(SIZES)}")
    width_mm, height_mm = SIZES[size]
    width = round(width_mm / 25.4 * dpi)
    height = round(height_mm / 25.4 * dpi)
    qr = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    qr.add_data(payload(lot_number))
    qr.make(fit=True)
    side = min(height, width // 2)
    code = qr.make_image(fill_color='black', back_color='white')
    code = code.get_image().convert('L').resize(
        (side, side), Image.Resampling.NEAREST)
    label = Image.new('L', (width, height), 255)
    label.paste(code, (0, (height - side) // 2))
    draw = ImageDraw.Draw(label)
    font_size = max(height // 6, 10)
    font = ImageFont.load_default(size=font_size)
    text_x = side + font_size // 2
    draw.text((text_x, height // 4), lot_number, fill=0, font=font)
    draw.text((text_x, height // 4 + font_size * 3 // 2), product[:24],
        fill=0, font=ImageFont.load_default(size=font_size * 2 // 3))
    buffer = io.BytesIO()
    label.save(buffer, format='PNG', dpi=(dpi, dpi))
    return buffer.getvalue()
