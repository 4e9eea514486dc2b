#!/usr/bin/env bash
# Rebuilds moby-dick-chapters-1-3.txt, the held-out narrative prose of DefaultModelQualityTest:
# chapters 1-3 of Herman Melville's Moby-Dick (1851, public domain), as Debian's r-cran-tokenizers
# package (0.3.0-1, MIT; the chapters are its test data, from Project Gutenberg's plain text)
# ships them. None of it is in the default model's corpus (corpus/LICENSE.md). Line-wrapped
# paragraphs are joined, one paragraph a line, as in the training corpus; nothing else changes.
set -euo pipefail
cd "$(dirname "$0")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download -qq r-cran-tokenizers=0.3.0-1 && dpkg-deb -x r-cran-tokenizers_0.3.0-1_*.deb x)
for i in 1 2 3; do
    zcat "$work/x/usr/share/doc/r-cran-tokenizers/tests/testthat/moby-ch$i.txt.gz"
    printf '\n\n'
done | perl -CSD -0777 -pe 's/\x{FEFF}//g; s/\r//g; s/^\s+//; s/\n[ \t]*\n\s*/\x00/g; s/[ \t]*\n[ \t]*/ /g; s/\x00/\n/g; s/\s*\z/\n/' \
    > moby-dick-chapters-1-3.txt
