"""Writes ../resources/utf8_replace.json: random byte strings and what CPython's UTF-8 codec
with errors="replace" makes of them (one U+FFFD per maximal ill-formed subpart, the Unicode
Standard's recommended practice). The oracle for Utf8Decoder's REPLACE mode.

    python3 gen_utf8_replace.py
"""
import json
import random
import sys
from pathlib import Path

# Bytes at the edges of UTF-8's ranges, so that short random strings hit every case often.
EDGES = [0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF,
         0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFE, 0xFF]
VALID = ["A", "é", "€", "日", "\U0001F600", "\U0010FFFF", "\uFFFD", "\uD7FF", "\uE000"]


def random_bytes(rng):
    out = bytearray()
    for _ in range(rng.randint(0, 12)):
        pick = rng.random()
        if pick < 0.6:
            out.append(rng.choice(EDGES))
        elif pick < 0.8:
            out.append(rng.randrange(256))
        else:
            out += rng.choice(VALID).encode("utf-8")
    return bytes(out)


def main():
    rng = random.Random(20240607)
    cases = [random_bytes(rng) for _ in range(3000)]
    oracle = "CPython %s bytes.decode('utf-8', 'replace')" % sys.version.split()[0]
    lines = [json.dumps({"hex": b.hex(), "text": b.decode("utf-8", "replace")}) for b in cases]
    text = '{"oracle": %s,\n"cases": [\n%s\n]}\n' % (json.dumps(oracle), ",\n".join(lines))
    path = Path(__file__).resolve().parent.parent / "resources" / "utf8_replace.json"
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
