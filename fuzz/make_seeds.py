"""Seed inputs for the fuzz targets.

  make_seeds.py SHARED_FACES_DIR OUTPUT_DIR      image pipeline: small real photos from ../shared and edge cases of
                                                 every format the decoder reads, made with Pillow (the tooling venv)
                                                 and, when Debian's heif-enc is installed, HEIC
  make_seeds.py --requests OUTPUT_DIR            request parsing: a selector byte (0 multipart, 1 JSON,
                                                 2 Content-Type, 3 X-Request-ID), then what that parser reads
"""

import csv
import io
import shutil
import struct
import subprocess
import sys
from pathlib import Path

from PIL import Image


def save(out: Path, name: str, data: bytes) -> None:
    (out / name).write_bytes(data)


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def exif_orientation(value: int) -> bytes:
    # A minimal little-endian TIFF with one IFD0 entry: Orientation (0x0112), SHORT, count 1.
    tiff = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 1)
    tiff += struct.pack("<HHIHH", 0x0112, 3, 1, value, 0) + struct.pack("<I", 0)
    return b"Exif\x00\x00" + tiff


def request_seeds(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    part = (b'--b\r\nContent-Disposition: form-data; name="image"; filename="x.jpg"\r\n'
            b"Content-Type: image/jpeg\r\n\r\n\xff\xd8\xff\xe0data\r\n"
            b'--b\r\nContent-Disposition: form-data; name="user_id"\r\n\r\nusr_0123\r\n--b--\r\n')
    seeds = {
        "multipart": b"\x00" + part,
        "multipart-own-boundary": b"\x00" + b"xyz\n" + part.replace(b"--b", b"--xyz"),
        "multipart-repeated": b"\x00" + part.replace(b"user_id", b"image"),
        "json": b'\x01{"name": "Ann", "birthdate": "1990-01-01", "email": null, "req_id": "req-00"}',
        "json-nested": b'\x01{"name": {"a": [1, 2.5e3, true]}}',
        "content-type": b"\x02multipart/form-data; charset=utf-8; boundary=\"abc def\"",
        "request-id": b"\x03f09603c9-f8bb-4126-93df-3ac79a03f7ee",
    }
    for name, data in seeds.items():
        save(out, name, data)
    print(f"{len(seeds)} seeds in {out}")


def main() -> None:
    if sys.argv[1] == "--requests":
        request_seeds(Path(sys.argv[2]))
        return
    faces, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    # Real photos: the small ones, so that mutations stay fast.
    with open(faces / "lfw" / "labels.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows[:24]:
        source = faces / "lfw" / row["file"]
        shutil.copy(source, out / f"lfw-{source.name}")
    examples = faces / "face_recognition" / "examples"
    for name in ["obama-240p.jpg", "obama_small.jpg"]:
        shutil.copy(examples / name, out / name)

    photo = Image.open(examples / "obama-240p.jpg").convert("RGB").resize((96, 54))
    save(out, "tiny-1x1.png", encoded(Image.new("RGB", (1, 1), (128, 128, 128)), "PNG"))
    save(out, "strip-1x40.jpg", encoded(Image.new("L", (1, 40), 100), "JPEG"))
    save(out, "grey.jpg", encoded(photo.convert("L"), "JPEG"))
    save(out, "cmyk.jpg", encoded(photo.convert("CMYK"), "JPEG"))
    save(out, "progressive.jpg", encoded(photo, "JPEG", progressive=True))
    for orientation in (3, 6, 8):
        save(out, f"exif-{orientation}.jpg", encoded(photo, "JPEG", exif=exif_orientation(orientation)))
    save(out, "rgba.png", encoded(photo.convert("RGBA"), "PNG"))
    save(out, "grey-alpha.png", encoded(photo.convert("LA"), "PNG"))
    save(out, "palette.png", encoded(photo.convert("P"), "PNG"))
    save(out, "grey16.png", encoded(photo.convert("I;16"), "PNG"))
    save(out, "interlaced.png", encoded(photo, "PNG", interlace=True))
    save(out, "lossy.webp", encoded(photo, "WEBP", quality=60))
    save(out, "lossless-alpha.webp", encoded(photo.convert("RGBA"), "WEBP", lossless=True))
    save(out, "exif-6.webp", encoded(photo, "WEBP", exif=exif_orientation(6)))
    encoder = shutil.which("heif-enc")
    if encoder:
        png = out / "heic-source.png"
        png.write_bytes(encoded(photo, "PNG"))
        subprocess.run([encoder, "-q", "50", "-o", str(out / "photo.heic"), str(png)], check=True,
                       stdout=subprocess.DEVNULL)
        png.unlink()
    print(f"{len(list(out.iterdir()))} seeds in {out}")


if __name__ == "__main__":
    main()
