# This file is part of Tryton MES.  See README.md for license terms.
"""Lot and work-order labels with a QR code, without the ORM.

A lot label's QR code encodes "MES:LOT:<lot number>", which the terminal's
scan field accepts like the bare lot number; a work-order label's encodes
"MES:WORK:<work id>", which opens that work on the terminal.
"""
import io

import qrcode
from PIL import Image, ImageDraw, ImageFont

LOT_PREFIX = 'MES:LOT:'
WORK_PREFIX = 'MES:WORK:'
# Common label stock, width × height in millimetres.
SIZES = {
    '50x25': (50, 25),
    '62x29': (62, 29),
    '100x50': (100, 50),
    '100x150': (100, 150),
    }
FORMATS = ('png', 'pdf')


def lot_payload(lot_number: str) -> str:
    return LOT_PREFIX + lot_number


def work_payload(work_id: int) -> str:
    return f'{WORK_PREFIX}{int(work_id)}'


def label_image(payload: str, title: str, lines: list[str] | tuple = (),
        size: str = '50x25', dpi: int = 300) -> Image.Image:
    """A label of the given size: the QR code of the payload on the left,
    the title and the lines of text on the right, black on white for
    thermal printers."""
    if size not in SIZES:
        raise ValueError(f"unknown label size {size!r}: {sorted(SIZES)}")
    width_mm, height_mm = SIZES[size]
    width = round(width_mm / 25.4 * dpi)
    height = round(height_mm / 25.4 * dpi)
    qr = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    qr.add_data(payload)
    qr.make(fit=True)
    side = min(height, width // 2)
    code = qr.make_image(fill_color='black', back_color='white')
    code = code.get_image().convert('L').resize(
        (side, side), Image.Resampling.NEAREST)
    label = Image.new('L', (width, height), 255)
    label.paste(code, (0, (height - side) // 2))
    draw = ImageDraw.Draw(label)
    font_size = max(min(height // 6, (width - side) // 9), 10)
    text_x = side + font_size // 2
    y = max(height // 4 - font_size // 2, 0)
    draw.text((text_x, y), title, fill=0,
        font=ImageFont.load_default(size=font_size))
    small = max(font_size * 2 // 3, 8)
    y += font_size * 3 // 2
    for line in lines:
        if y + small > height:
            break
        draw.text((text_x, y), str(line)[:28], fill=0,
            font=ImageFont.load_default(size=small))
        y += small * 5 // 4
    return label


def label_png(payload: str, title: str, *lines: str, size: str = '50x25',
        dpi: int = 300) -> bytes:
    "One label as PNG."
    buffer = io.BytesIO()
    label_image(payload, title, lines, size=size, dpi=dpi).save(
        buffer, format='PNG', dpi=(dpi, dpi))
    return buffer.getvalue()


def labels_pdf(images: list[Image.Image], dpi: int = 300) -> bytes:
    "Labels as one PDF, a page per label at its real size."
    if not images:
        raise ValueError("no label to print")
    buffer = io.BytesIO()
    first, *others = [i.convert('RGB') for i in images]
    first.save(buffer, format='PDF', resolution=dpi, save_all=True,
        append_images=others)
    return buffer.getvalue()
